"""The native-mode summary over seeds, against hand-computed values."""

from __future__ import annotations

import pytest

from kmquant.summary import native_summary


def _fit(impl: str, seed: int, sse: float, status: str = "ok", k: int = 4) -> dict:
    return {
        "image": "a",
        "mode": "native",
        "impl": impl,
        "k_requested": k,
        "seed": seed,
        "sse": sse,
        "status": status,
    }


def test_summary_by_hand() -> None:
    fits = [
        _fit("python", 0, 10.0),
        _fit("python", 1, 14.0),
        _fit("python", 2, 12.0),
        _fit("r", 0, 11.0),
        _fit("r", 1, 9.0),
        _fit("r", 2, 12.0),  # a tie: nobody wins seed 2
        {**_fit("r", 0, 1.0), "mode": "matched"},  # other mode: ignored
    ]
    rows = {row["impl"]: row for row in native_summary(fits)}
    python, r = rows["python"], rows["r"]
    assert python["sse_mean"] == pytest.approx(12.0)
    assert python["sse_sd"] == pytest.approx(2.0)
    assert (python["sse_min"], python["best_seed"], python["seeds_won"]) == (10.0, 0, 1)
    assert (r["sse_min"], r["best_seed"], r["seeds_won"]) == (9.0, 1, 1)
    assert python["best_relative_to_others"] == pytest.approx(1 / 9)
    assert r["best_relative_to_others"] == pytest.approx(-0.1)


def test_a_seed_is_won_against_every_other_implementation_that_ran_it() -> None:
    fits = [
        _fit("python", 0, 10.0),
        _fit("python", 1, 14.0),
        _fit("r", 0, 11.0),
        _fit("r", 1, 9.0),
        _fit("faiss", 0, 10.5),  # runs seed 0 only
    ]
    rows = {row["impl"]: row for row in native_summary(fits)}
    assert [row["impl"] for row in native_summary(fits)] == ["python", "r", "faiss"]
    assert (rows["python"]["seeds_won"], rows["r"]["seeds_won"]) == (1, 1)
    assert rows["faiss"]["seeds_won"] == 0  # python's 10.0 beats it at seed 0
    assert rows["faiss"]["n_seeds"] == 1
    assert rows["faiss"]["best_relative_to_others"] == pytest.approx((10.5 - 9.0) / 9.0)
    assert rows["r"]["best_relative_to_others"] == pytest.approx((9.0 - 10.0) / 10.0)


def test_failed_fits_are_left_out() -> None:
    rows = native_summary([_fit("python", 0, 5.0), _fit("r", 0, 0.0, status="error")])
    assert [(row["impl"], row["n_seeds"]) for row in rows] == [("python", 1)]
    assert rows[0]["best_relative_to_others"] is None
