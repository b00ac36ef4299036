"""One fit of one task with any implementation: how it is run, completed for every pixel,
scored and stored (docs/design.md, "The data path", step 4)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kmquant.atomic import atomic_path
from kmquant.backends import RawFit
from kmquant.implementations import IMPLEMENTATIONS, call, limited_threads
from kmquant.initial import read_centres
from kmquant.labelling import nearest_labels
from kmquant.metrics import sum_of_squares
from kmquant.pixels import Pixels, colour_label_counts, distinct_colours
from kmquant.pixels import load as load_pixels
from kmquant.runs import Run
from kmquant.spaces import RGB, SPACES, to_srgb


@dataclass(frozen=True)
class Task:
    """Which fit: an image, an implementation (kmquant.implementations), a mode, K, a seed."""

    image: str
    impl: str
    mode: str
    k: int
    seed: int


@dataclass
class FitResult:
    centres: np.ndarray  # k_effective x 3 in [0, 1]; 0 x 3 after an error
    labels: np.ndarray  # one per pixel; empty after an error
    meta: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.meta["status"] != "error"


def status_of(raw: RawFit) -> tuple[str, str]:
    if raw.error is not None:
        return "error", "; ".join([raw.error, *raw.warnings])
    if raw.warnings:
        return "warning", "; ".join(raw.warnings)
    return "ok", ""


def complete(
    raw: RawFit,
    pixels: Pixels,
    ident: dict[str, Any],
    own_labels: bool = True,
    space: str = RGB,
) -> FitResult:
    """Label every pixel, compute what the fit itself is (how many clusters it left empty,
    its objective) and assemble its record; the image it gives is scored where it is written
    (`kmquant.scoring`).

    A converged fit on all pixels keeps the labels its implementation gave (what the library
    really returns), where `own_labels`: the implementation computes in double precision, as
    this labelling does. A fit on a sample, one stopped at max_iter, or one in single
    precision labels every pixel with its nearest final centre: at max_iter scikit-learn
    relabels against its final centres but R returns the labels of its last assignment, made
    one centre update earlier, so their raw labels describe different steps of the same run.
    `n_not_nearest` counts fit-sample pixels whose own label is not their nearest centre
    (Hartigan-Wong, unconverged runs and single-precision distances can leave some).
    `fit_sse` is the K-means objective on every pixel, with the unrounded centres. A fit in a
    colour `space` (kmquant.spaces) has its centres in that space's coordinates: its pixels
    are labelled and its objective summed there, and its record names the space and counts
    the centres that lie outside the sRGB gamut (`to_srgb`). A fit in sRGB records neither,
    so that the study's sRGB fits keep the bytes they had before spaces were added
    (`space_of` reads the space of any record).
    """
    status, message = status_of(raw)
    meta: dict[str, Any] = {
        **ident,
        "status": status,
        "message": message,
        "n_iter": raw.n_iter,
        "converged": raw.converged,
        "n_pixels": pixels.n,
        "n_fit_pixels": len(pixels.fit_rows),
        "fit_seconds": raw.seconds,
    }
    if raw.centres is None or raw.labels is None:
        empty = np.zeros((0, 3))
        return FitResult(empty, np.zeros(0, dtype=np.uint8), meta)
    centres = raw.centres
    nearest = nearest_labels(pixels, centres, space)
    own = own_labels and pixels.samples_all and raw.converged
    labels = raw.labels.astype(nearest.dtype) if own else nearest
    rows, row_labels, weights = colour_label_counts(pixels.grouping, labels)
    counts = np.bincount(row_labels, weights=weights, minlength=len(centres))
    meta |= {
        "n_not_nearest": int((raw.labels != nearest[pixels.fit_rows]).sum()),
        "n_empty_clusters": int((counts == 0).sum()),
        "fit_sse": sum_of_squares(
            pixels.in_space(space)[rows],
            centres,
            row_labels,
            weights,
            SPACES[space].objective_scale,
        ),
    }
    if space != RGB:
        meta |= {"space": space, "n_out_of_gamut": to_srgb(space, centres)[1]}
    return FitResult(centres, labels, meta)


def space_of(meta: Mapping[str, Any]) -> str:
    """The colour space of a fit's record, or of a pair's (`complete`)."""
    return str(meta.get("space", RGB))


def fit_image(
    pixels: Pixels,
    task: Task,
    max_iter: int,
    threads: int | None,
    init: np.ndarray | None = None,
    space: str = RGB,
) -> FitResult:
    """One fit of an image's fit sample in a colour `space`, completed for every pixel: from
    the given initial centres (a shared-start mode, in the space's coordinates), or the
    implementation's own seeded default."""
    from kmquant.initial import effective_k

    entry = IMPLEMENTATIONS[task.impl]
    features = pixels.fit_in_space(space)
    with limited_threads([task.impl], threads):
        if init is not None:
            raw = call(task.impl, "fit_shared", features, init, max_iter, threads)
            k_eff = len(init)
        else:
            distinct = distinct_colours(pixels.fit_colours(), pixels.max_value)[0]
            k_eff = effective_k(task.k, len(distinct))
            raw = call(task.impl, "fit_native", features, k_eff, task.seed, max_iter, threads)
    if entry.iteration_cap is not None and entry.iteration_cap < max_iter and not raw.converged:
        raw.warnings.append(
            f"not converged within {entry.iteration_cap} iterations, the most that "
            f"{entry.library} runs (max_iter {max_iter} was asked)"
        )
    ident = {
        "image": task.image,
        "impl": task.impl,
        "mode": task.mode,
        "k_requested": task.k,
        "k_effective": k_eff,
        "seed": task.seed,
    }
    return complete(raw, pixels, ident, entry.exact, space)


def fit_files(
    pixels: str | Path,
    image: str,
    impl: str,
    runs: Sequence[Run],
    max_iter: int,
    threads: int | None,
) -> None:
    """The fits of `runs` (kmquant.runs) of one image in one process, from the image's saved
    pixels and each run's CSV of initial centres (sRGB colours, transformed into the run's
    space), each saved to its own file as soon as it is done: each library is imported (and R
    started) once for them all. The same fits, one by one, as `fit_image` runs each alone."""
    loaded = load_pixels(pixels)
    for run in runs:
        init = None if run.init is None else SPACES[run.space].forward(read_centres(run.init))
        task = Task(image, impl, run.mode, run.k, run.seed)
        result = fit_image(loaded, task, max_iter, threads, init, run.space)
        logging.info("%s", json.dumps(result.meta, sort_keys=True))
        save(result, run.out)


def save(result: FitResult, path: str | Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(
            handle,
            centres=result.centres,
            labels=result.labels,
            meta=np.array(json.dumps(result.meta, sort_keys=True)),
        )


def load(path: str | Path, labels: bool = True) -> FitResult:
    """A saved fit; without its per-pixel labels (left empty) when only the palette is needed."""
    with np.load(path) as data:
        kept = data["labels"] if labels else np.zeros(0, dtype=np.uint8)
        return FitResult(data["centres"], kept, json.loads(str(data["meta"])))


def load_meta(path: str | Path) -> dict[str, Any]:
    with np.load(path) as data:
        return json.loads(str(data["meta"]))
