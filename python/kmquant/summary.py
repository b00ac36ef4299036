"""Native mode over seeds: how each language's defaults fare per image and K."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import groupby
from statistics import fmean, stdev
from typing import Any

from kmquant.agreement import relative_difference
from kmquant.modes import USER_MODE

SUMMARY_COLUMNS = (
    "image",
    "k_requested",
    "impl",
    "n_seeds",
    "sse_mean",
    "sse_sd",
    "sse_min",
    "best_seed",
    "seeds_won",
    "best_relative_to_other",
)


def native_summary(fits: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per image, K and language: SSE over seeds, seeds won, best against the other's best.

    A language wins a seed when its SSE at that seed is lower than the other's; a tie wins
    for neither. `best_relative_to_other` is (own best - other best) / other best.
    """
    ok = [f for f in fits if f["mode"] == USER_MODE and f["status"] != "error"]
    rows = []

    def task(f: Mapping[str, Any]) -> tuple[str, int]:
        return (f["image"], int(f["k_requested"]))

    for (image, k), group in groupby(sorted(ok, key=task), key=task):
        sse = {(f["impl"], int(f["seed"])): float(f["sse"]) for f in group}
        for impl, other in (("python", "r"), ("r", "python")):
            own = {seed: value for (name, seed), value in sse.items() if name == impl}
            theirs = {seed: value for (name, seed), value in sse.items() if name == other}
            if not own:
                continue
            best_seed = min(own, key=lambda s: (own[s], s))
            best_other = min(theirs.values(), default=None)
            rows.append(
                {
                    "image": image,
                    "k_requested": k,
                    "impl": impl,
                    "n_seeds": len(own),
                    "sse_mean": fmean(own.values()),
                    "sse_sd": stdev(own.values()) if len(own) > 1 else 0.0,
                    "sse_min": own[best_seed],
                    "best_seed": best_seed,
                    "seeds_won": sum(1 for s in own if s in theirs and own[s] < theirs[s]),
                    "best_relative_to_other": None
                    if best_other is None
                    else relative_difference(best_other, own[best_seed]),
                }
            )
    return rows
