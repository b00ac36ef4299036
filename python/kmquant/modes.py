"""The registry of the study's modes: how each starts its fits and what its pairs show.

Every part of the study that names a mode (the Snakefile, the CLI, tables, figures, the report
and the explorer) reads it from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Mode:
    name: str
    #: "off_lattice" and "lattice" modes read a shared file of initial centres and run every
    #: implementation from it; "own" modes start each implementation its own way.
    start: str
    #: What a reader learns from the mode's pairs of implementations, one sentence.
    shows: str
    #: How its lines are drawn in the figures (matplotlib line style).
    linestyle: str
    #: The config key of the seeds it runs, where not every seed (`seeds`).
    seeds_key: str = "seeds"
    #: Whether it runs in every colour space of the study (kmquant.spaces), or in sRGB alone.
    every_space: bool = True

    @property
    def shared_start(self) -> bool:
        return self.start != "own"

    @property
    def off_lattice(self) -> bool:
        return self.start == "off_lattice"


MODES: dict[str, Mode] = {
    mode.name: mode
    for mode in (
        Mode(
            "matched",
            "off_lattice",
            "the proof: every implementation runs Lloyd's algorithm (or Elkan's) from the same "
            "centres, K distinct colours of the image each moved by a seeded offset of less than "
            "half a colour step per channel, so that no pixel is exactly equidistant from two of "
            "them; runs in double precision must end identical",
            "-",
        ),
        Mode(
            "tied",
            "lattice",
            "the finding: the same colours without the offset, so that thousands of pixels are "
            "exactly equidistant from two initial centres; each implementation breaks those ties "
            "by its own floating-point rounding, and the pairs show where and how far that alone "
            "sends two correct implementations apart",
            ":",
            "tied_seeds",
            # Its ties are those of the sRGB lattice: the same colours in another space tie
            # nowhere, and its pairs there would repeat the proof.
            every_space=False,
        ),
        Mode(
            "native",
            "own",
            "what users get by default: each library's own seeded start and algorithm "
            "(k-means++ with Lloyd in scikit-learn, a random start with Hartigan-Wong in R, ...), "
            "compared over seeds",
            "--",
        ),
    )
}

#: The mode whose fits the image grids and palettes show, in order of choice.
FIGURE_MODES = ("matched", "tied", "native")
#: The mode whose runs are also stepped one iteration at a time (the convergence traces).
TRACED_MODE = "matched"
#: The mode of `kmquant compress`: each library's own defaults, as a user would run it.
USER_MODE = "native"


def figure_mode(modes: Sequence[str]) -> str:
    """The mode a study's per-image figures show: the proof when it was run."""
    return next(mode for mode in FIGURE_MODES if mode in modes)


def rate_mode(modes: Sequence[str]) -> str:
    """The mode whose fits stand for K-means where it is weighed against the other quantizers
    by file size: what a user gets (each library's defaults) when it was run."""
    return USER_MODE if USER_MODE in modes else figure_mode(modes)


def mode_seeds(mode: str, config: Mapping[str, Any]) -> list[int]:
    """The seeds a mode runs: every seed, except that the tied experiment, which shows one
    finding rather than a distribution, runs `tied_seeds` (by default the first seed)."""
    key = MODES[mode].seeds_key
    if key == "seeds":
        return list(config["seeds"])
    return list(config.get(key) or config["seeds"][:1])
