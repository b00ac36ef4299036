# What every stage of the workflow shares: the checked config, the study's images, the
# constants of the grid and the functions that expand it into file lists.

import json
import os
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

import yaml

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from kmquant.datasets import LOCAL as LOCAL_DATASETS
from kmquant.datasets import DatasetError
from kmquant.datasets import resolve as resolve_dataset
from kmquant.figures import FIGURES
from kmquant.figures import (
    RATE,
    QUALITY,
    AGREEMENT,
    PER_IMAGE,
    CONVERGENCE,
    SPEED,
    TABLES,
)
from kmquant.implementations import HEADLINE, IMPLEMENTATIONS, THREADS, ordered
from kmquant.implementations import space_runs
from kmquant.modes import MODES as MODE_REGISTRY
from kmquant.modes import TRACED_MODE, figure_mode, mode_seeds, rate_mode
from kmquant.paths import Results
from kmquant.pixels import is_rejected
from kmquant.runs import Run, RunError
from kmquant.runs import dump as dump_runs
from kmquant.runs import key as run_key
from kmquant.reference import QUANTIZERS
from kmquant.spaces import RGB
from kmquant.spaces import SPACES as SPACE_REGISTRY
from kmquant.config_checks import (
    ConfigError,
    check_config,
    check_figure_images,
    check_names,
    check_renamed_keys,
    narrowed,
    with_integer_lists,
    with_registry_defaults,
)
from kmquant.study import (
    discover_images,
    figure_images,
    job_environment,
    refusal,
    shown_path,
)

try:
    check_renamed_keys(config)
except ConfigError as error:
    raise WorkflowError(str(error)) from None
# Found from this file, also where the study is a module of another workflow.
SCHEMA = "../config.schema.yaml"
with open(workflow.source_path(SCHEMA), encoding="utf-8") as schema:
    SCHEMA_RULES = yaml.safe_load(schema)
config.update(with_integer_lists(config, SCHEMA_RULES))
config.update(with_registry_defaults(config))
validate(config, SCHEMA)
try:
    check_names(config)
    NARROWED, DROPPED = narrowed(config)
    config.update(NARROWED)
    check_config(config, SCHEMA_RULES)
except ConfigError as error:
    raise WorkflowError(str(error)) from None
# What narrowing `k_values` or `seeds` left out of the lists drawn from them.
for message in DROPPED:
    logger.warning(message)


# Every result path of the study, as a pattern of wildcards or for given values.
RESULTS = Results(Path("results"))


# Written by the run (rule report_description) from its own tables and versions; under the
# prefix of a workflow that uses this one as a module with a prefix.
report:
    os.path.abspath(
        workflow.modifier.path_modifier.modify(str(RESULTS.report("workflow.rst")))
    )


try:
    # The datasets whose images the study adds, by name, each fetched into its own folder
    # (LOCAL_DATASETS), and how the config names each (a registered name, or a description).
    RESOLVED = [(spec, resolve_dataset(spec)) for spec in config["datasets"]]
    DATASET_SPECS = {dataset.name: spec for spec, dataset in RESOLVED}
    DATASETS = {dataset.name: dataset for _, dataset in RESOLVED}
    FETCHED = {
        str(dataset.local(path))
        for dataset in DATASETS.values()
        for path in dataset.images
    }
    IMAGES = discover_images(config, fetched=sorted(map(Path, FETCHED)))
    check_figure_images(config["per_image_figures"], list(IMAGES))
except (ConfigError, DatasetError) as error:
    raise WorkflowError(str(error)) from None
if len(DATASET_SPECS) < len(config["datasets"]):
    raise WorkflowError(
        f"config key 'datasets': two datasets of one name in {config['datasets']}"
    )
# Files the study lists as rejected without opening them, and why (a dataset's images are
# fetched by the study itself).
REFUSED = {
    name: why
    for name, path in IMAGES.items()
    if path not in FETCHED and (why := refusal(Path(path)))
}

# Jobs run the `python -m kmquant` imported here: with the Python that runs snakemake (the
# project's .venv) or, under --sdm conda, with the rules' conda environment.
os.environ.update(job_environment(sys.executable, os.environ))
ENV = "../envs/kmquant.yaml"  # relative to the rules files

IMPLS = ordered(config["implementations"])
# The pair drawn wherever one pair is shown (difference images, image grids, palettes and the
# convergence traces), where the study runs it.
SHOWN = [impl for impl in HEADLINE if impl in IMPLS]
REFERENCES = config["reference_quantizers"]
MODES = config["modes"]
# The colour spaces the fits cluster in, in the registry's order: rgb first, every result of
# the study is of it; the others set beside it (space_runs).
SPACES = [space for space in SPACE_REGISTRY if space in config["spaces"]]
KS = config["k_values"]
# Modes that start every implementation from one file of initial centres (matched and tied).
SHARED_START = [mode for mode in MODES if MODE_REGISTRY[mode].shared_start]
# The image grids and palettes show one mode and seed; palettes up to PALETTE_MAX_K colours.
FIGURE_MODE = figure_mode(MODES)
FIGURE_SEED = mode_seeds(FIGURE_MODE, config)[0]
PALETTE_KS = [k for k in KS if k <= config["palette_max_k"]]
# K-means against the other quantizers by file size: the fits of this mode, mean over seeds.
RATE_MODE = rate_mode(MODES)
# The report's categories (RATE, QUALITY, ..., TABLES) are kmquant.figures.CATEGORIES: each
# figure's is in its entry of the registry, each table's in its rule. Every figure and table
# has a caption in workflow/report/.

# The cheap aggregation rules and the fetch of a dataset's files each say `localrule: True`: a
# `localrules:` list names rules as this file knows them and misses them where a workflow
# renames them (`use rule * from kmquant as kmquant_*`), which would send their jobs to the
# cluster.


wildcard_constraints:
    image=r"[A-Za-z0-9_.-]+",
    impl="|".join(IMPLEMENTATIONS),
    mode="|".join(MODE_REGISTRY),
    k=r"\d+",
    seed=r"\d+",


def image_file(wildcards):
    """An image's file as a rule's input (none for a refused one): never under a module's
    prefix, but for a dataset's image, which the study fetches into its own folder."""
    path = IMAGES[wildcards.image]
    if wildcards.image in REFUSED:
        return []
    return path if path in FETCHED else local(path)


def accepted():
    """The images whose pixels loaded, known once the `pixels` checkpoint ran for each;
    rejected images are listed in results/tables/rejected_images.csv instead."""
    return [
        image
        for image in IMAGES
        if not is_rejected(checkpoints.pixels.get(image=image).output[0])
    ]


def where_any_image(*results):
    """An input function: `results` (paths, lists of them, and input functions) where some
    image of the study could be read, else nothing, said once in the run's log."""

    def inputs(wildcards):
        if not accepted():
            if not NONE_READ:
                NONE_READ.append(RESULTS.table("rejected_images"))
                logger.error(
                    "No image of the study could be read: each is listed with its reason "
                    f"in {NONE_READ[0]}."
                )
            return []
        found = (item(wildcards) if callable(item) else item for item in results)
        return [
            path
            for paths in found
            for path in ([paths] if isinstance(paths, Path) else paths)
        ]

    return inputs


# Set once the run has said that no image could be read.
NONE_READ = []


def runs(impl, mode, space=RGB):
    """The (K values, seeds) that `impl` runs in `mode` and colour `space`."""
    return space_runs(impl, mode, space, config)


def grid(impl):
    """The (K, mode, seed, space) of every fit of the study's grid that `impl` runs on each
    image, K by K, in the order of MODES and SPACES."""
    return [
        (k, mode, seed, space)
        for k in KS
        for mode in MODES
        for space in SPACES
        if k in runs(impl, mode, space)[0]
        for seed in runs(impl, mode, space)[1]
    ]


def fit_runs(impl):
    """The (K, mode, seed, space) of every fit that `impl` runs on each image: what its one
    job per image fits. The headline pair also fits the traced runs (`convergence_k`,
    `convergence_seeds`, in sRGB) where they lie outside its grid."""
    traced = [
        (k, TRACED_MODE, seed, RGB)
        for k in config["convergence_k"]
        for seed in config["convergence_seeds"]
        if impl in SHOWN and TRACED_MODE in MODES
    ]
    own = grid(impl)
    return sorted(
        own + [run for run in traced if run not in own], key=lambda run: run[0]
    )


def fit_jobs(pattern):
    """`pattern` for every fit job: one per (implementation, image) with fits to run."""
    return [
        path
        for impl in IMPLS
        if fit_runs(impl)
        for path in expand(pattern, impl=impl, image=accepted())
    ]


def mode_seeds_run(mode):
    """The seeds of `mode` that some implementation runs in sRGB."""
    return sorted({seed for impl in IMPLS for seed in runs(impl, mode)[1]})


#: The (K, mode, seed, space) of every task some implementation runs on each image, in the
#: order of the grid: what one agreement job per image compares.
PAIR_RUNS = sorted(
    {run for impl in IMPLS for run in grid(impl)},
    key=lambda run: (
        KS.index(run[0]),
        MODES.index(run[1]),
        SPACES.index(run[3]),
        run[2],
    ),
)


def longest_runs(pattern, runs):
    """The runs of one job on the image of the longest name, each with a start: at least as
    long as the JSON of any job of `runs`."""
    image = max(IMAGES, key=len)
    return [
        Run(k, mode, seed, str(pattern(mode=mode, image=image, k=k, seed=seed, space=space)),
            str(RESULTS.init(mode, image, k, seed)), space)
        for k, mode, seed, space in runs
    ]  # fmt: skip


# A job whose runs would not fit in a shell command is refused before any job runs.
try:
    for impl in IMPLS:
        dump_runs(longest_runs(partial(RESULTS.fit, impl), fit_runs(impl)))
    dump_runs(longest_runs(RESULTS.agreement, PAIR_RUNS))
except RunError as error:
    raise WorkflowError(f"config keys 'k_values' and 'seeds': {error}") from None


def fits(images=None):
    """Every fit of the given images (default: every accepted image), of every implementation,
    mode and space."""
    images = accepted() if images is None else images
    return [
        RESULTS.fit(impl, mode, image, k, seed, space)
        for mode in MODES
        for impl in IMPLS
        for space in SPACES
        for image in images
        for k in runs(impl, mode, space)[0]
        for seed in runs(impl, mode, space)[1]
    ]


def image_modes(impl):
    """The modes in which `impl` writes images: those it runs at some K and seed."""
    return [mode for mode in MODES if all(runs(impl, mode))]


#: Every (implementation, mode) whose fits become images, by the name of its folder among the
#: outputs of the images job.
IMAGE_FOLDERS = {
    f"{impl}_{mode}": (impl, mode) for impl in IMPLS for mode in image_modes(impl)
}


def image_dirs(*_):
    return [
        path
        for impl, mode in IMAGE_FOLDERS.values()
        for path in expand(RESULTS.images(impl=impl, mode=mode), image=accepted())
    ]


def difference_dirs(*_):
    return (
        expand(RESULTS.differences(), mode=MODES, image=accepted())
        if len(SHOWN) == 2
        else []
    )


def originals(*_):
    return expand(RESULTS.original(), image=accepted())


def reference_dirs(*_):
    return expand(RESULTS.reference(), method=REFERENCES, image=accepted())


def reproducible_reference_dirs(*_):
    """The folders of the deterministic reference quantizers: the PNGs and records that a
    rerun reproduces (the manifest's)."""
    methods = [method for method in REFERENCES if QUANTIZERS[method].deterministic]
    return expand(RESULTS.reference(), method=methods, image=accepted())


def words(values):
    """Values (numbers, names) as the command line takes them."""
    return " ".join(map(str, values))


def run_files(pattern, runs):
    """`pattern` for each (K, mode, seed, space) of `runs`, named by the run
    (kmquant.runs.key): a job's outputs, one per run, that its runs name again (`job_runs`).
    """
    return {
        run_key(k, mode, seed, space): pattern(mode=mode, k=k, seed=seed, space=space)
        for k, mode, seed, space in runs
    }


def shared_starts(runs):
    """The initial centres of the shared-start runs (matched, tied) of `runs`, (K, mode,
    seed, space), each named `init_` and the run's name: what a fit or pairs job reads besides
    the fits. A start is of sRGB colours, which a run in another space transforms: the runs of
    every space read the same file."""
    return {
        f"init_{run_key(k, mode, seed, space)}": RESULTS.init(mode=mode, k=k, seed=seed)
        for k, mode, seed, space in runs
        if MODE_REGISTRY[mode].shared_start
    }


def job_runs(runs):
    """A job's runs as the one JSON value its command takes (kmquant.runs), each with the
    file it writes (the job's output of the run's name) and its initial centres (the input
    `init_` and its name), as the job sees them (under a module's prefix too)."""

    def spec(wildcards, input, output):
        named = [
            Run(k, mode, seed, output[run_key(k, mode, seed, space)], space=space)
            for k, mode, seed, space in runs
        ]
        return dump_runs(
            [
                replace(run, init=getattr(input, f"init_{run.key}", None))
                for run in named
            ]
        )

    return spec


def start_run(mode):
    """The one run whose initial centres a job of `mode` writes (its K and seed wildcards,
    its output), as the JSON value its command takes."""

    def spec(wildcards, output):
        return dump_runs([Run(int(wildcards.k), mode, int(wildcards.seed), output[0])])

    return spec


def inits(*_):
    """The shared starts of every shared-start mode, K and seed some implementation runs
    in it, of every image (drawn in sRGB, read by every space's runs)."""
    return [
        path
        for mode in SHARED_START
        for path in expand(
            RESULTS.init(), mode=mode, k=KS, seed=mode_seeds_run(mode), image=accepted()
        )
    ]


def pairs(*_):
    return [
        RESULTS.agreement(mode, image, k, seed, space)
        for image in accepted()
        for k, mode, seed, space in PAIR_RUNS
    ]


def task_fits(wildcards):
    """Every fit of one image, of every implementation that runs its K, in the order of
    PAIR_RUNS: what its one agreement job compares."""
    return [
        RESULTS.fit(impl, mode, wildcards.image, k, seed, space)
        for k, mode, seed, space in PAIR_RUNS
        for impl in IMPLS
        if k in runs(impl, mode, space)[0] and seed in runs(impl, mode, space)[1]
    ]


def traces(*_):
    """Runs of the traced mode that are also stepped one iteration at a time."""
    return expand(
        RESULTS.convergence(),
        image=accepted() if TRACED_MODE in MODES and SHOWN else [],
        k=config["convergence_k"],
        seed=config["convergence_seeds"],
    )


def figures(*_):
    names = [name for name, figure in FIGURES.items() if not figure.traced or traces()]
    # The image grids and palettes show the headline pair, where the study runs it; palette
    # figures only where some K is small enough to draw (K <= palette_max_k).
    kinds = ["images", "palettes"] if PALETTE_KS else ["images"]
    kinds = kinds if len(SHOWN) == 2 else []
    drawn = figure_images(accepted(), config["per_image_figures"])
    names += [f"{kind}_{image}" for kind in kinds for image in drawn]
    return expand(RESULTS.figure("{name}", "{ext}"), name=names, ext=["png", "svg"])
