"""Native mode over seeds: how each implementation's defaults fare per image and K."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import groupby
from pathlib import Path
from statistics import fmean, stdev
from typing import Any

from kmquant.agreement import relative_difference
from kmquant.implementations import ordered
from kmquant.modes import USER_MODE
from kmquant.spaces import RGB
from kmquant.tables import read_csv, write_table

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
    "best_relative_to_others",
)


def native_summary(fits: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per image, K and implementation, in sRGB: SSE over seeds, seeds won, best against the
    others'.

    An implementation wins a seed when its SSE at that seed is lower than that of every other
    implementation that ran the seed; a tie wins for none. `best_relative_to_others` is
    (own best - best of the others) / best of the others.
    """
    # The seeds of sRGB's fits: a fit in another space is no other seed of the same defaults.
    ok = [
        f
        for f in fits
        if f["mode"] == USER_MODE and f["status"] != "error" and f.get("space", RGB) == RGB
    ]
    rows = []

    def task(f: Mapping[str, Any]) -> tuple[str, int]:
        return (f["image"], int(f["k_requested"]))

    for (image, k), group in groupby(sorted(ok, key=task), key=task):
        sse: dict[str, dict[int, float]] = defaultdict(dict)
        for f in group:
            sse[f["impl"]][int(f["seed"])] = float(f["sse"])
        for impl in ordered(list(sse)):
            own = sse[impl]
            others = [values for name, values in sse.items() if name != impl]
            best_seed = min(own, key=lambda s: (own[s], s))
            best_other = min((min(values.values()) for values in others), default=None)
            rivals = {seed: [values[seed] for values in others if seed in values] for seed in own}
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
                    "seeds_won": sum(
                        1 for s, theirs in rivals.items() if theirs and own[s] < min(theirs)
                    ),
                    "best_relative_to_others": None
                    if best_other is None
                    else relative_difference(best_other, own[best_seed]),
                }
            )
    return rows


def write(fits: str | Path, out: str | Path) -> None:
    """native_summary.csv from fits.csv."""
    write_table(out, SUMMARY_COLUMNS, native_summary(read_csv(fits)))
