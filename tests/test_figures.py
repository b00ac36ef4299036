"""Figure details that a reader relies on."""

from __future__ import annotations


def test_metric_figures_mark_warned_and_failed_fits(tmp_path) -> None:
    import pandas as pd

    from kmquant import figures

    rows = [
        {"image": "a", "impl": impl, "mode": "matched", "k_requested": k, "seed": 0,
         "status": status, "sse": sse}
        for impl, k, status, sse in [
            ("python", 2, "ok", 10.0), ("python", 4, "warning", 5.0),
            ("r", 2, "ok", 10.0), ("r", 4, "error", None),
        ]
    ]  # fmt: skip
    paths = figures.metric_panels(
        pd.DataFrame(rows), [("sse", "SSE", "SSE", True)], "test", tmp_path / "m"
    )
    svg = paths[1].read_text()
    assert "fit warned (see fits.csv)" in svg
    assert "fit failed (no value)" in svg
