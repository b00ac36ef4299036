"""The one map of result paths: its layout, its wildcard patterns, and a real run that writes
nothing it does not name."""

from __future__ import annotations

import subprocess
import sys
from itertools import product
from pathlib import Path

import pytest
import yaml

from kmquant.figures import FIGURES
from kmquant.implementations import IMPLEMENTATIONS
from kmquant.manifest import SNAKEMAKE_MARK
from kmquant.modes import mode_seeds
from kmquant.paths import Inputs, NotGiven, Results
from kmquant.reference import QUANTIZERS

RUN = Results(Path("results"))


def test_the_layout_is_the_documented_one() -> None:
    # The layout as docs/design.md spells it, written out here rather than taken from the code.
    assert RUN.fit("r", "tied", "china", 64, 2) == Path("results/fits/r/tied/china/k64_s2.npz")
    assert RUN.image("python", "matched", "china", 8, 0) == Path(
        "results/images/python/matched/china/k8_s0.png"
    )
    assert RUN.difference("native", "flower", 2, 1) == Path(
        "results/images/difference/native/flower/k2_s1.png"
    )
    assert RUN.init("matched", "china", 4, 0) == Path("results/init/matched/china/k4_s0.csv")
    assert RUN.agreement("tied", "china", 4, 0) == Path("results/agreement/tied/china/k4_s0.json")
    assert RUN.reference_png("pngquant", "china", 16) == Path(
        "results/reference/pngquant/china/k16.png"
    )
    assert RUN.original("china") == Path("results/images/original/china.png")
    assert RUN.table("fits") == Path("results/tables/fits.csv")
    assert RUN.figure("images_china", "svg") == Path("results/figures/images_china.svg")


def test_a_part_left_out_is_a_snakemake_wildcard() -> None:
    assert str(RUN.fit()) == "results/fits/{impl}/{mode}/{image}/k{k}_s{seed}.npz"
    assert str(RUN.fit(mode="tied", seed=0)) == "results/fits/{impl}/tied/{image}/k{k}_s0.npz"
    # Filling the pattern's wildcards gives the path asked for directly.
    values = {"impl": "r", "mode": "native", "image": "a.b", "k": 16, "seed": 3}
    assert Path(str(RUN.fit()).format(**values)) == RUN.fit(**values)


def test_logs_and_benchmarks_sit_beside_their_result() -> None:
    fit = RUN.fit("python", "matched", "china", 8, 0)
    assert RUN.log_of(fit) == Path("results/logs/fits/python/matched/china/k8_s0.log")
    assert RUN.benchmark_of(fit) == Path("results/benchmarks/fits/python/matched/china/k8_s0.tsv")
    # A folder result whose image name holds a dot keeps the whole name.
    folder = RUN.images("r", "tied", "my.photo")
    assert RUN.log_of(folder) == Path("results/logs/images/r/tied/my.photo.log")
    figure = RUN.figure("images_my.photo")
    assert RUN.log_of(figure) == Path("results/logs/figures/images_my.photo.log")


def test_a_job_reads_only_the_files_it_was_given(tmp_path: Path) -> None:
    """The results folder is found from the first file given, under any prefix; a result
    that was not given, nor lies in a folder that was, is refused."""
    run = Results(tmp_path / "prefix" / "results")
    fit, images = run.fit("r", "matched", "photo", 8, 0), run.images("r", "matched", "photo")
    given = Inputs.of(Results.fit, [fit], [images])
    assert given.results == run
    assert given(fit) == fit
    assert given(run.image("r", "matched", "photo", 8, 0)) == images / "k8_s0.png"
    for other in (run.fit("r", "matched", "photo", 16, 0), run.original("photo")):
        with pytest.raises(NotGiven, match="not among the files this job was given"):
            given(other)


def test_a_table_job_given_too_little_stops_with_the_file_it_lacked(
    tiny_run: Path, tmp_path: Path
) -> None:
    """fits.csv needs each fit's written image: without their folders on its command line,
    the job says which file it was not given instead of reading it behind Snakemake's back."""
    run = Results(tiny_run / "results")
    fit = run.fit("python", "matched", "photo", 8, 0)
    command = [
        sys.executable,
        "-m",
        "kmquant",
        "fits-table",
        str(tmp_path / "fits.csv"),
        "--fits",
        str(fit),
        "--originals",
        str(run.original("photo")),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert f"{run.image('python', 'matched', 'photo', 8, 0)} is not among" in done.stderr
    images = run.images("python", "matched", "photo")
    subprocess.run([*command, "--images", str(images)], check=True, capture_output=True)
    assert (tmp_path / "fits.csv").exists()


def test_a_run_writes_only_the_paths_the_map_names(tiny_run: Path) -> None:
    config = yaml.safe_load((tiny_run / "config.yaml").read_text())
    run = Results(tiny_run / "results")
    images = ["five_colours", "photo"]
    modes, ks = config["modes"], config["k_values"]
    grid = [
        (mode, image, k, seed)
        for mode in modes
        for image, k, seed in product(images, ks, mode_seeds(mode, config))
    ]
    named = set(run.tables())
    named |= {run.environment(), run.manifest()}
    named |= {run.report(name) for name in ("explorer.html", "workflow.rst")}
    for image in images:
        named |= {run.pixels(image), run.original(image)}
        for method, k in product(QUANTIZERS, ks):
            named |= {run.reference_png(method, image, k), run.reference_seconds(method, image)}
            named.add(run.reference(method, image) / f"k{k}.json")
        for k, seed in product(config["convergence_k"], config["seeds"]):
            named.add(run.convergence(image, k, seed))
    for mode, image, k, seed in grid:
        named |= {run.fit(impl, mode, image, k, seed) for impl in IMPLEMENTATIONS}
        named |= {run.image(impl, mode, image, k, seed) for impl in IMPLEMENTATIONS}
        named |= {run.image_record(impl, mode, image, k, seed) for impl in IMPLEMENTATIONS}
        named |= {run.agreement(mode, image, k, seed), run.difference(mode, image, k, seed)}
        if mode != "native":
            named.add(run.init(mode, image, k, seed))
    names = list(FIGURES)
    names += [f"{kind}_{image}" for kind in ("images", "palettes") for image in images]
    named |= {run.figure(name, ext) for name in names for ext in ("png", "svg")}

    written = {
        path
        for path in run.root.rglob("*")
        if path.is_file()
        and path.relative_to(run.root).parts[0] not in ("logs", "benchmarks")
        and path.name != SNAKEMAKE_MARK
    }
    assert written - named == set()
    # Every fit, pair and table the map names was written; a PNG of a failed fit may be absent.
    assert {p for p in named - written if p.suffix != ".png"} == set()
