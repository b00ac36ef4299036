"""Where every result of a study lives: the one map from (image, implementation, mode, K,
seed, colour space) to a path under the results folder.

The workflow's rules take their inputs and outputs from here, and the commands that find
files in a finished run (tables, figures, explorer) ask the same object. A part left out
stays a Snakemake wildcard, so `Results().fit()` is the pattern
`results/fits/{impl}/{mode}/{image}/k{k}_s{seed}.npz` and `Results().fit(mode="tied")` the
tied mode's. A fit in sRGB (`rgb`, the study's own space) is named by its K and seed alone,
one in another colour space also by its space (`k16_s0_cielab`). Each result's log and
benchmark sit at the same place under `logs/` and `benchmarks/` (`log_of`, `benchmark_of`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kmquant.errors import InputError
from kmquant.spaces import RGB

Part = str | int

#: The suffixes of result files (a result without one is a folder).
RESULT_SUFFIXES = frozenset({".npz", ".csv", ".json", ".png", ".svg", ".html", ".rst", ".sha256"})


#: Every table the study writes (results/tables/{name}.csv), and those that are not the same on
#: every rerun: the times of its jobs.
TABLES = (
    "fits",
    "agreement",
    "native_summary",
    "reference",
    "ranking",
    "rate_distortion",
    "k_for_quality",
    "over_images",
    "paired",
    "agreement_over_images",
    "conversions",
    "convergence",
    "convergence_centres",
    "convergence_check",
    "images",
    "rejected_images",
    "timings",
)
TIMED_TABLES = frozenset({"timings"})


def run_name(k: Part = "{k}", seed: Part = "{seed}", space: str = RGB) -> str:
    """One fit's file name within its (implementation, mode, image) folder, without suffix."""
    return f"k{k}_s{seed}" + ("" if space == RGB else f"_{space}")


def record_name(name: str) -> str:
    """The scored record beside the written image `name` (without suffix)."""
    return f"{name}.json"


def reference_name(k: Part = "{k}") -> str:
    """One reference quantizer output's file name within its (method, image) folder."""
    return f"k{k}"


@dataclass(frozen=True)
class Results:
    root: Path = Path("results")

    def pixels(self, image: str = "{image}") -> Path:
        return self.root / "pixels" / f"{image}.npz"

    def original(self, image: str = "{image}") -> Path:
        """The original as an optimized RGB PNG, the reference of every file size."""
        return self.root / "images" / "original" / f"{image}.png"

    def init(
        self, mode: str = "{mode}", image: str = "{image}", k: Part = "{k}", seed: Part = "{seed}"
    ) -> Path:
        return self.root / "init" / mode / image / f"{run_name(k, seed)}.csv"

    def fit(
        self,
        impl: str = "{impl}",
        mode: str = "{mode}",
        image: str = "{image}",
        k: Part = "{k}",
        seed: Part = "{seed}",
        space: str = RGB,
    ) -> Path:
        return self.root / "fits" / impl / mode / image / f"{run_name(k, seed, space)}.npz"

    def fit_batch(self, impl: str = "{impl}", image: str = "{image}") -> Path:
        """The fits of every K, mode, seed and space of one (implementation, image), one job's work
        (its log and benchmark)."""
        return self.root / "fits" / impl / image

    def images_batch(self, image: str = "{image}") -> Path:
        """The images of every implementation and mode of one image, one job's work."""
        return self.root / "images" / image

    def images(self, impl: str = "{impl}", mode: str = "{mode}", image: str = "{image}") -> Path:
        """The folder of one (implementation, mode, image)'s indexed PNGs, one per fit."""
        return self.root / "images" / impl / mode / image

    def image(
        self,
        impl: str = "{impl}",
        mode: str = "{mode}",
        image: str = "{image}",
        k: Part = "{k}",
        seed: Part = "{seed}",
        space: str = RGB,
    ) -> Path:
        return self.images(impl, mode, image) / f"{run_name(k, seed, space)}.png"

    def image_record(
        self,
        impl: str = "{impl}",
        mode: str = "{mode}",
        image: str = "{image}",
        k: Part = "{k}",
        seed: Part = "{seed}",
        space: str = RGB,
    ) -> Path:
        """The scored record of the compressed image beside it (kmquant.scoring)."""
        return self.images(impl, mode, image) / record_name(run_name(k, seed, space))

    def differences(self, mode: str = "{mode}", image: str = "{image}") -> Path:
        """The folder of one (mode, image)'s difference images of the headline pair, one per
        task."""
        return self.root / "images" / "difference" / mode / image

    def difference(
        self, mode: str = "{mode}", image: str = "{image}", k: Part = "{k}", seed: Part = "{seed}"
    ) -> Path:
        return self.differences(mode, image) / f"{run_name(k, seed)}.png"

    def agreement(
        self,
        mode: str = "{mode}",
        image: str = "{image}",
        k: Part = "{k}",
        seed: Part = "{seed}",
        space: str = RGB,
    ) -> Path:
        return self.root / "agreement" / mode / image / f"{run_name(k, seed, space)}.json"

    def agreement_batch(self, image: str = "{image}") -> Path:
        """One job's pairs: every K, mode, seed and space of one image (its log and benchmark)."""
        return self.root / "agreement" / image

    def convergence(self, image: str = "{image}", k: Part = "{k}", seed: Part = "{seed}") -> Path:
        return self.root / "convergence" / image / f"{run_name(k, seed)}.npz"

    def reference(self, method: str = "{method}", image: str = "{image}") -> Path:
        """The folder of one reference quantizer's outputs on one image: a PNG and a scored
        record (JSON) per K."""
        return self.root / "reference" / method / image

    def reference_batch(self, image: str = "{image}") -> Path:
        """Every reference quantizer's outputs on one image, one job's work (its log and
        benchmark)."""
        return self.root / "reference" / image

    def reference_png(self, method: str, image: str, k: Part) -> Path:
        return self.reference(method, image) / f"{reference_name(k)}.png"

    def reference_seconds(self, method: str = "{method}", image: str = "{image}") -> Path:
        return self.root / "timings" / "reference" / method / f"{image}.json"

    def fetch_log(self, dataset: str = "{dataset}", path: str = "{path}") -> Path:
        """The log of the job that fetches a file of a dataset (kmquant.datasets)."""
        return self.root / "logs" / "datasets" / dataset / f"{path}.log"

    def table(self, name: str = "{name}") -> Path:
        return self.root / "tables" / f"{name}.csv"

    def tables(self, timed: bool = True) -> list[Path]:
        """Every table of TABLES; without the timed ones, those a rerun reproduces."""
        return [self.table(name) for name in TABLES if timed or name not in TIMED_TABLES]

    def figure_stem(self, name: str = "{name}") -> Path:
        """A figure without its suffix: every figure is written as PNG and SVG."""
        return self.root / "figures" / name

    def figure(self, name: str = "{name}", ext: str = "png") -> Path:
        return Path(f"{self.figure_stem(name)}.{ext}")

    def report(self, name: str) -> Path:
        """The explorer page and the report's front page."""
        return self.root / "report" / name

    def environment(self) -> Path:
        return self.root / "environment.json"

    def manifest(self) -> Path:
        return self.root / "manifest.sha256"

    def root_of(self, path: str | Path, like: Path) -> Path:
        """The results folder that holds `path`, a result laid out as `like` (a path of this
        map): wherever the workflow's results now lie, under the prefix of a workflow that
        uses this one as a module, say."""
        depth = len(like.relative_to(self.root).parts)
        return Path(path).parents[depth - 1]

    def log_of(self, result: Path) -> Path:
        """The log of the job that writes `result`."""
        return self._beside(result, "logs", ".log")

    def benchmark_of(self, result: Path) -> Path:
        """Snakemake's benchmark (seconds, memory) of the job that writes `result`."""
        return self._beside(result, "benchmarks", ".tsv")

    def _beside(self, result: Path, kind: str, suffix: str) -> Path:
        relative = result.relative_to(self.root)
        # Folders of results have no suffix, and image names may hold dots: drop only ours.
        if relative.suffix in RESULT_SUFFIXES:
            relative = relative.with_suffix("")
        return self.root / kind / relative.with_name(relative.name + suffix)


class NotGiven(InputError, ValueError):
    """A job was about to read a result its command line did not give it."""


@dataclass(frozen=True)
class Inputs:
    """The files and folders a job was given on its command line, and the map of the results
    folder they lie in. The job finds what it reads through the map, and reads it through
    this object, which refuses a path that was not given (nor lies in a folder that was): so
    what a rule declares is what its job reads, and Snakemake sees every file a job depends on.
    """

    results: Results
    given: frozenset[str]

    @classmethod
    def of(
        cls,
        kind: Callable[[Results], Path],
        anchors: Sequence[str | Path],
        *more: Sequence[str | Path],
    ) -> Inputs:
        """The files and folders `anchors`, results of `kind` (a pattern of the map such as
        `Results.fit`), and `more`: the results folder is the one that holds the first anchor,
        wherever it lies (under the prefix of a workflow that uses this one as a module, say)."""
        default = Results()
        root = default.root_of(anchors[0], kind(default)) if anchors else default.root
        paths = [*anchors, *(path for paths in more for path in paths)]
        return cls(Results(root), frozenset(os.path.abspath(path) for path in paths))

    def __call__(self, path: Path) -> Path:
        """`path`, if it or a folder that holds it was given."""
        if any(os.path.abspath(p) in self.given for p in (path, *path.parents)):
            return path
        raise NotGiven(f"{path} is not among the files this job was given")
