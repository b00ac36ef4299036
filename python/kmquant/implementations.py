"""The registry of the study's K-means implementations: what each is, how it is called and how
it is drawn (docs/design.md, "Implementations").

Every part of the study that names an implementation (the workflow, the CLI, tables, figures,
the report and the explorer) reads it from here; each entry's fitting code is a module of
`kmquant.backends`, imported only when a fit of that implementation runs, so that a Python
fit never starts R and an R fit never imports OpenCV.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    import numpy as np

    from kmquant.backends import Backend, RawFit, Step

#: Threads of every run the study makes of an implementation, each fit and the re-runs that
#: step it: a library's sums can depend on how many threads add them (scikit-learn's centres
#: move by about 1e-13 between one thread and two), so one count, not the machine's cores,
#: keeps every run's numbers the same on every machine and each stepped run on its fit's path.
THREADS = 1
#: How implementations count the iterations they report (`Implementation.counts`).
ITERATION_COUNTS = ("labels", "objective", "fixed")
#: What an implementation does with a cluster that loses all its points: its centre becomes
#: NaN and stays empty ("nan"), stays where it was and stays empty ("keep"), or is moved onto
#: points of the data so that the cluster is not empty ("relocate").
EMPTY_CLUSTER_KINDS = ("nan", "keep", "relocate")


@dataclass(frozen=True)
class Implementation:
    name: str
    #: How figures, pages and tables of the report name it.
    label: str
    language: str
    #: How sentences name it ("OpenCV's cv2.kmeans"), and where its version is read:
    #: "pip:<installed Python distribution>" or "R:<R package>".
    library: str
    version_of: str
    #: The call a reader would write to run it as the study does from a shared start.
    call: str
    #: The arithmetic of its distances and centre updates: "float64" or "float32".
    precision: str
    #: How it computes a point's squared distance to a centre, which decides exact ties.
    distance: str
    algorithm: str
    #: How it takes the shared start of matched and tied mode: the initial "centres", or the
    #: "labels" of every pixel's nearest initial centre (it computes the centres from them).
    start: str
    #: Its own seeded default in native mode and how it is seeded.
    native: str
    #: How it stops, against the study's rule "no label changed within max_iter".
    stopping: str
    #: What it does with an emptied cluster, in words and as one of EMPTY_CLUSTER_KINDS.
    on_empty: str
    empty_cluster: str
    #: How it counts the iterations it reports: up to the iteration whose assignment changed
    #: no label ("labels", as Lloyd's textbook loop counts), one more, up to the iteration
    #: whose objective equalled the previous one's ("objective"), always max_iter ("fixed"),
    #: or not at all (None).
    counts: str | None
    #: The module of kmquant.backends that fits with it, and the options it is called with.
    backend: str
    options: Mapping[str, Any] = field(default_factory=dict)
    #: The most iterations it runs whatever it is asked (None: it honours max_iter).
    iteration_cap: int | None = None
    #: Its line colour (Okabe-Ito and Tol, safe for colour-blind readers) and marker.
    colour: str = "black"
    marker: str = "o"

    @property
    def exact(self) -> bool:
        """Computes in double precision, as the study's own labelling and metrics do."""
        return self.precision == "float64"


IMPLEMENTATIONS: dict[str, Implementation] = {
    entry.name: entry
    for entry in (
        Implementation(
            name="python",
            label="Python (scikit-learn)",
            language="Python",
            library="scikit-learn's KMeans",
            version_of="pip:scikit-learn",
            call='sklearn.cluster.KMeans(init=C0, n_init=1, algorithm="lloyd", tol=0)',
            precision="float64",
            distance="expands |x - c|^2 = |x|^2 - 2 x.c + |c|^2 on data centred on their mean",
            algorithm="Lloyd",
            start="centres",
            native="k-means++ then Lloyd, KMeans(n_clusters=K, random_state=seed) with its "
            "default tol of 1e-4",
            stopping="stops at the first iteration that changes no label (tol = 0)",
            on_empty="moves an emptied centre onto the point farthest from its own centre",
            empty_cluster="relocate",
            counts="labels",
            backend="scikit_learn",
            options={"algorithm": "lloyd"},
            colour="#0072B2",
            marker="o",
        ),
        Implementation(
            name="r",
            label="R (stats::kmeans)",
            language="R",
            library="R's kmeans",
            version_of="R:stats",
            call='stats::kmeans(x, centers = C0, algorithm = "Lloyd")',
            precision="float64",
            distance="sums squared differences",
            algorithm="Lloyd",
            start="centres",
            native="set.seed(seed); kmeans(x, centers = K, nstart = 1): K random rows, then "
            "Hartigan-Wong",
            stopping="stops at the first pass that changes no label",
            on_empty="keeps an emptied centre as NaN (0 / 0), which no pixel is nearest to",
            empty_cluster="nan",
            counts="labels",
            backend="r_kmeans",
            options={"package": "stats"},
            colour="#D55E00",
            marker="s",
        ),
        Implementation(
            name="elkan",
            label="Python (scikit-learn, Elkan)",
            language="Python",
            library="scikit-learn's Elkan KMeans",
            version_of="pip:scikit-learn",
            call='sklearn.cluster.KMeans(init=C0, n_init=1, algorithm="elkan", tol=0)',
            precision="float64",
            distance="takes the square root of summed squared differences on centred data and "
            "skips centres by triangle-inequality bounds",
            algorithm="Elkan",
            start="centres",
            native='k-means++ then Elkan, KMeans(n_clusters=K, algorithm="elkan", '
            "random_state=seed) with its default tol of 1e-4",
            stopping="stops at the first iteration that changes no label (tol = 0)",
            on_empty="moves an emptied centre onto the point farthest from its own centre",
            empty_cluster="relocate",
            counts="labels",
            backend="scikit_learn",
            options={"algorithm": "elkan"},
            colour="#56B4E9",
            marker="v",
        ),
        Implementation(
            name="scipy",
            label="Python (SciPy kmeans2)",
            language="Python",
            library="SciPy's kmeans2",
            version_of="pip:scipy",
            call='scipy.cluster.vq.kmeans2(x, C0, iter=max_iter, minit="matrix")',
            precision="float64",
            distance="sums squared differences",
            algorithm="Lloyd",
            start="centres",
            native='kmeans2(x, K, iter=max_iter, rng=seed) with its default minit="random": '
            "K points drawn from a Gaussian of the data's mean and covariance",
            stopping="has no stopping rule: it runs exactly iter = max_iter iterations; "
            "converged means that one more of its iterations moves no centre",
            on_empty="keeps an emptied centre where it was (and warns), so the cluster may "
            "stay empty",
            empty_cluster="keep",
            counts="fixed",
            backend="scipy_kmeans2",
            colour="#009E73",
            marker="D",
        ),
        Implementation(
            name="opencv",
            label="Python (OpenCV cv2.kmeans)",
            language="Python",
            library="OpenCV's cv2.kmeans",
            version_of="pip:opencv-python-headless",
            call="cv2.kmeans(x, K, nearest labels of C0, (EPS | MAX_ITER, max_iter, 0), 1, "
            "KMEANS_USE_INITIAL_LABELS)",
            precision="float32",
            distance="sums squared differences in float32",
            algorithm="Lloyd",
            start="labels",
            native="cv2.setRNGSeed(seed); cv2.kmeans(x, K, None, criteria, 1, "
            "KMEANS_PP_CENTERS): k-means++ from OpenCV's own generator",
            stopping="stops when no centre moved (epsilon 0), after at most 100 iterations "
            "whatever max_iter asks; it reports neither iterations nor convergence, so "
            "converged means that one more of its iterations moves no centre",
            on_empty="moves the point farthest from the centre of the largest cluster into an "
            "emptied one",
            empty_cluster="relocate",
            counts=None,
            backend="opencv",
            iteration_cap=100,
            colour="#CC79A7",
            marker="^",
        ),
        Implementation(
            name="faiss",
            label="Python (faiss Kmeans)",
            language="Python",
            library="faiss's Kmeans",
            version_of="pip:faiss-cpu",
            call="faiss.Kmeans(3, K, niter=max_iter, max_points_per_centroid=N + 1)"
            ".train(x, init_centroids=C0)",
            precision="float32",
            distance="expands |x|^2 + |c|^2 - 2 x.c in float32 (BLAS)",
            algorithm="Lloyd",
            start="centres",
            native="faiss.Kmeans(3, K, niter=max_iter, seed=seed): K random points of the "
            "data, no subsampling",
            stopping="stops when an iteration's float32 objective equals the previous one's "
            "(early_stop_threshold 0), which is one iteration after the labels stop changing "
            "unless rounding makes two objectives equal earlier",
            on_empty="splits the centre of a large cluster in two (a relative offset of "
            "1/1024) to fill an emptied one",
            empty_cluster="relocate",
            counts="objective",
            backend="faiss_kmeans",
            colour="#E69F00",
            marker="P",
        ),
        Implementation(
            name="amap",
            label="R (amap::Kmeans)",
            language="R",
            library="amap's Kmeans",
            version_of="R:amap",
            call='amap::Kmeans(x, centers = C0, method = "euclidean")',
            precision="float64",
            distance="takes the square root of summed squared differences",
            algorithm="Lloyd",
            start="centres",
            native="set.seed(seed); amap::Kmeans(x, centers = K): K random rows (distinct "
            "rows where a draw repeats one)",
            stopping="stops at the first pass that changes no label; it returns no iteration "
            "count and warns when it did not converge",
            on_empty="keeps an emptied centre as NaN (0 / 0), as stats::kmeans does",
            empty_cluster="nan",
            counts=None,
            backend="r_kmeans",
            options={"package": "amap"},
            colour="#882255",
            marker="X",
        ),
    )
}

#: Python against R: the pair shown wherever one pair is shown, and the two implementations
#: that run every seed of the study.
HEADLINE = ("python", "r")


def backend(name: str) -> Backend:
    """The module of kmquant.backends that fits with implementation `name`, imported now."""
    from kmquant.backends import Backend

    module = importlib.import_module(f"kmquant.backends.{IMPLEMENTATIONS[name].backend}")
    if not isinstance(module, Backend):
        raise TypeError(f"{module.__name__} lacks a function of kmquant.backends.Backend")
    return module


@contextmanager
def limited_threads(names: Iterable[str], threads: int | None) -> Iterator[None]:
    """Within the block, the native thread pools (OpenMP, BLAS) of the backends of `names`
    held to `threads` (None: no limit)."""
    from threadpoolctl import threadpool_limits

    for name in names:
        backend(name)  # a library's pools are limited only once it is loaded
    with threadpool_limits(limits=threads):
        yield


@overload
def call(
    name: str,
    function: Literal["fit_shared"],
    features: np.ndarray,
    init: np.ndarray,
    max_iter: int,
    threads: int | None,
    /,
) -> RawFit: ...
@overload
def call(
    name: str,
    function: Literal["fit_native"],
    features: np.ndarray,
    k: int,
    seed: int,
    max_iter: int,
    threads: int | None,
    /,
) -> RawFit: ...
@overload
def call(
    name: str,
    function: Literal["steps"],
    features: np.ndarray,
    init: np.ndarray,
    max_iter: int,
    threads: int | None,
    /,
) -> Iterator[Step]: ...
def call(name: str, function: str, *args: Any) -> RawFit | Iterator[Step]:
    """`function` of implementation `name`'s backend (kmquant.backends.Backend: `fit_shared`,
    `fit_native` or `steps`), called with `args` and the registry entry's options."""
    module, options = backend(name), IMPLEMENTATIONS[name].options
    if function == "fit_shared":
        return module.fit_shared(*args, **options)
    if function == "fit_native":
        return module.fit_native(*args, **options)
    if function == "steps":
        return module.steps(*args, **options)
    raise ValueError(f"{function!r} is not a function of kmquant.backends.Backend")


def ordered(names: Sequence[str]) -> list[str]:
    """`names` in the registry's order (the order of every table, figure and menu)."""
    return [name for name in IMPLEMENTATIONS if name in set(names)]


def pairs(names: Sequence[str]) -> list[tuple[str, str]]:
    """Every unordered pair of `names`, each as (a, b) in the registry's order."""
    ranked = ordered(names)
    return [(a, b) for i, a in enumerate(ranked) for b in ranked[i + 1 :]]


def implementation_seeds(name: str, config: Mapping[str, Any]) -> list[int]:
    """The seeds an implementation runs: every seed for the headline pair; for the others
    `cross_seeds` (left out or null: every seed), so that a default study stays affordable."""
    if name in HEADLINE or config.get("cross_seeds") is None:
        return list(config["seeds"])
    return [seed for seed in config["seeds"] if seed in config["cross_seeds"]]


def implementation_ks(name: str, config: Mapping[str, Any]) -> list[int]:
    """The K values an implementation runs: its `implementation_k_values` where the config
    gives them (a slow implementation may run part of the grid), else every K."""
    own = (config.get("implementation_k_values") or {}).get(name)
    return [k for k in config["k_values"] if own is None or k in own]


def run_seeds(name: str, mode: str, config: Mapping[str, Any]) -> list[int]:
    """The seeds implementation `name` runs in `mode`: those of the mode that it runs."""
    from kmquant.modes import mode_seeds

    own = implementation_seeds(name, config)
    return [seed for seed in mode_seeds(mode, config) if seed in own]


def space_runs(
    name: str, mode: str, space: str, config: Mapping[str, Any]
) -> tuple[list[int], list[int]]:
    """The (K values, seeds) implementation `name` runs in `mode` in a colour `space`: in sRGB
    (`rgb`) its K values and seeds of the mode; in another space of `spaces` those of them that
    `space_k_values` and `space_seeds` name (left out or null: all), for the implementations of
    `space_implementations` (left out or null: every one) and the modes that run in every
    space (the tied experiment is of the sRGB lattice alone)."""
    from kmquant.modes import MODES
    from kmquant.spaces import RGB

    ks, seeds = implementation_ks(name, config), run_seeds(name, mode, config)
    if space == RGB:
        return ks, seeds
    if space not in config.get("spaces", [RGB]) or not MODES[mode].every_space:
        return [], []
    if name not in (config.get("space_implementations") or [name]):
        return [], []
    space_ks, space_seeds = config.get("space_k_values"), config.get("space_seeds")
    return (
        [k for k in ks if space_ks is None or k in space_ks],
        [seed for seed in seeds if space_seeds is None or seed in space_seeds],
    )
