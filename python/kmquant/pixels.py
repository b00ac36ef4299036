"""The pixels of one image as the fits see them (docs/design.md, "The data
path", steps 1 to 3)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from kmquant.atomic import atomic_path
from kmquant.colour import srgb_to_lab
from kmquant.images import ImageError, load_rgb
from kmquant.spaces import SPACES


@dataclass(frozen=True)
class Pixels:
    """An image's integer RGB array, its max value and the rows the fits use."""

    rgb: np.ndarray  # H x W x 3, uint8 or uint16
    max_value: int
    fit_rows: np.ndarray  # sorted row indices into the N x 3 pixel list
    rejected: str = ""  # why the image could not be used; empty for a usable image
    source: str = ""  # the image file, as the study's config names it
    _in_space: dict[str, np.ndarray] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.rgb.shape[0]), int(self.rgb.shape[1]))

    @property
    def n(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def colours(self) -> np.ndarray:
        """N x 3 integer colours in row-major pixel order."""
        return self.rgb.reshape(-1, 3)

    def features(self) -> np.ndarray:
        """X = rgb / max_value, float64 N x 3: the exact copy every implementation fits."""
        return self.colours.astype(np.float64) / self.max_value

    def fit_colours(self) -> np.ndarray:
        return self.colours[self.fit_rows]

    def fit_features(self) -> np.ndarray:
        return self.fit_colours().astype(np.float64) / self.max_value

    @property
    def samples_all(self) -> bool:
        return len(self.fit_rows) == self.n

    @cached_property
    def grouping(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`distinct_colours` of every pixel: the one sort of the whole image, made once and
        shared by labelling, every metric and the images table."""
        return distinct_colours(self.colours, self.max_value)

    def distinct_features(self, rows: np.ndarray) -> np.ndarray:
        """The `grouping`'s distinct colours at `rows`, in [0, 1] as `features` holds them."""
        return self.grouping[0][rows] / self.max_value

    def in_space(self, space: str) -> np.ndarray:
        """The `grouping`'s distinct colours in a colour `space` (kmquant.spaces), transformed
        once: a fit's sample, its labels and its objective read the same floats (a transform
        computed on a block of rows may round a row differently from the row alone)."""
        if space not in self._in_space:
            self._in_space[space] = SPACES[space].forward(self.grouping[0] / self.max_value)
        return self._in_space[space]

    def fit_in_space(self, space: str) -> np.ndarray:
        """The fit sample in a colour `space`, the floats every fit there reads."""
        return self.in_space(space)[self.grouping[1][self.fit_rows]]

    def fit_distinct_in_space(self, space: str) -> tuple[np.ndarray, np.ndarray]:
        """The fit sample's distinct colours in a colour `space` and how many of its pixels
        each is."""
        rows, counts = np.unique(self.grouping[1][self.fit_rows], return_counts=True)
        return self.in_space(space)[rows], counts

    @cached_property
    def distinct_lab(self) -> np.ndarray:
        """CIELAB of the `grouping`'s distinct colours, converted once for every image of this
        original that is scored."""
        return srgb_to_lab(self.grouping[0] / self.max_value)


def fit_sample(n: int, fit_max_pixels: int, seed: int) -> np.ndarray:
    """All rows, or `fit_max_pixels` rows drawn without replacement (sorted)."""
    if n <= fit_max_pixels:
        return np.arange(n, dtype=np.int64)
    rows = np.random.default_rng(seed).choice(n, size=fit_max_pixels, replace=False)
    return np.sort(rows).astype(np.int64)


def prepare(path: str | Path, fit_max_pixels: int, sample_seed: int, background: str) -> Pixels:
    rgb, max_value = load_rgb(path, background)
    n = rgb.shape[0] * rgb.shape[1]
    return Pixels(rgb, max_value, fit_sample(n, fit_max_pixels, sample_seed), source=str(path))


def write(
    image: str | Path,
    out: str | Path,
    fit_max_pixels: int,
    sample_seed: int,
    background: str,
    refused: str | None = None,
) -> Pixels:
    """Load an image and save its pixels to `out`; an image that cannot be used, or that the
    study `refused` to open (saying why), is saved as its rejection (`rejection`), so that the
    study goes on without it."""
    try:
        if refused:
            raise ImageError(f"{image}: {refused}")
        pixels = prepare(image, fit_max_pixels, sample_seed, background)
    except ImageError as error:
        logging.error("rejected: %s", error)
        pixels = rejection(str(error), image)
    else:
        logging.info(
            "%s: %d x %d pixels, max value %d, fit on %d rows",
            image,
            *pixels.shape,
            pixels.max_value,
            len(pixels.fit_rows),
        )
    save(pixels, out)
    return pixels


def rejection(message: str, source: str | Path) -> Pixels:
    """The record of an image that cannot be used: the study goes on without it."""
    empty = np.zeros((0, 0, 3), np.uint8)
    return Pixels(empty, 0, np.zeros(0, np.int64), rejected=message, source=str(source))


def describe(pixels: Pixels, name: str) -> dict[str, object]:
    """A row of the study's images table: which file a name is, its size and its colours."""
    usable = not pixels.rejected
    return {
        "image": name,
        "file": pixels.source,
        "width": pixels.shape[1] if usable else None,
        "height": pixels.shape[0] if usable else None,
        "n_pixels": pixels.n if usable else None,
        "max_value": pixels.max_value if usable else None,
        "n_distinct_colours": len(pixels.grouping[0]) if usable else None,
        "rejected": pixels.rejected,
    }


def save(pixels: Pixels, path: str | Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(
            handle,
            rgb=pixels.rgb,
            max_value=pixels.max_value,
            fit_rows=pixels.fit_rows,
            rejected=np.array(pixels.rejected),
            source=np.array(pixels.source),
        )


def load(path: str | Path) -> Pixels:
    with np.load(path) as data:
        text = {key: str(data[key]) if key in data.files else "" for key in ("rejected", "source")}
        return Pixels(data["rgb"], int(data["max_value"]), data["fit_rows"], **text)


def is_rejected(path: str | Path) -> bool:
    """Whether a pixels file records a rejected image (reads only that field)."""
    with np.load(path) as data:
        return "rejected" in data.files and bool(str(data["rejected"]))


def pack(colours: np.ndarray, max_value: int) -> np.ndarray:
    """One integer per N x 3 colour, ordered as the colours are lexicographically: int32 where
    every key fits (8-bit colours), else int64. Built channel by channel, so that no N x 3
    integer copy of a large image is ever made."""
    key: type[np.signedinteger[Any]] = np.int32 if (max_value + 1) ** 3 < 2**31 else np.int64
    keys = colours[:, 0].astype(key)
    for channel in (1, 2):
        keys *= max_value + 1
        keys += colours[:, channel]
    return keys


#: Key spaces up to this size may be grouped by counting into a table of every key.
_DENSE_KEYS = 2**24


def group(keys: np.ndarray, n_keys: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first row of each distinct key, in key order; the group of every row; rows per group):
    np.unique's answer with a 32-bit inverse, at about half its peak memory (design goal: under
    50 bytes per pixel for a 48-megapixel photo).

    When every key is known to lie in [0, n_keys) and the table of all keys is small next to
    the rows (an 8-bit photo of 2 megapixels or more), the groups are counted in linear time
    instead of sorted: the same answer, about eight times faster on a 12-megapixel photo.
    """
    index = np.int32 if len(keys) < 2**31 else np.int64
    if n_keys is not None and n_keys <= _DENSE_KEYS and n_keys <= 8 * len(keys):
        return _group_by_counting(keys, n_keys, index)
    return _group_by_sorting(keys, index)


def _group_by_sorting(
    keys: np.ndarray, index: type[np.signedinteger[Any]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    starts = np.empty(len(keys), dtype=bool)
    starts[:1] = True
    sorted_keys = keys[order]
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=starts[1:])
    del sorted_keys
    ids = np.cumsum(starts, dtype=index)
    ids -= 1
    inverse = np.empty(len(keys), dtype=index)
    inverse[order] = ids
    del ids
    bounds = np.flatnonzero(starts)
    counts = np.diff(bounds, append=len(keys))
    return order[bounds], inverse, counts


def _group_by_counting(
    keys: np.ndarray, n_keys: int, index: type[np.signedinteger[Any]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    present = np.zeros(n_keys, dtype=bool)
    present[keys] = True
    found = np.flatnonzero(present)
    del present
    n_groups = len(found)
    # Only the keys present are looked up: numbering them directly avoids a running sum over
    # the whole table (numpy's cumsum of a bool table took up to 2 s for 2^24 keys here).
    group_of_key = np.empty(n_keys, dtype=index)
    group_of_key[found] = np.arange(n_groups, dtype=index)
    del found
    inverse = group_of_key[keys]
    del group_of_key
    counts = np.bincount(inverse, minlength=n_groups)
    first = np.full(n_groups, len(keys), dtype=index)
    np.minimum.at(first, inverse, np.arange(len(keys), dtype=index))
    return first.astype(np.int64), inverse, counts


def distinct_colours(
    colours: np.ndarray, max_value: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct rows in lexicographic order, index of each row's colour, rows per colour)."""
    first, inverse, counts = group(pack(colours, max_value), (max_value + 1) ** 3)
    return colours[first], inverse, counts


def colour_label_counts(
    grouping: tuple[np.ndarray, np.ndarray, np.ndarray], labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (colour, label) pairs of a labelled image and their pixel counts, from the
    image's `distinct_colours` grouping, each colour as its row of the grouping's distinct
    colours: every metric of the image is a weighted sum over these few rows instead of over
    all pixels.

    With nearest-centre labels each colour has one label and no sort is needed; the labels an
    implementation returns for its own fit on all pixels may differ within a colour.
    """
    distinct, inverse, counts = grouping
    per_colour = np.zeros(len(distinct), dtype=labels.dtype)
    per_colour[inverse] = labels
    if np.array_equal(per_colour[inverse], labels):
        return np.arange(len(distinct)), per_colour, counts
    n_labels = int(labels.max()) + 1
    first, _, counts = group(inverse.astype(np.int64) * n_labels + labels, len(distinct) * n_labels)
    return inverse[first], labels[first], counts
