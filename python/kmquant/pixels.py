"""The pixels of one image as the fits see them (design section 2, steps 1 to 3)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kmquant.atomic import atomic_path
from kmquant.images import load_rgb


@dataclass(frozen=True)
class Pixels:
    """An image's integer RGB array, its max value and the rows the fits use."""

    rgb: np.ndarray  # H x W x 3, uint8 or uint16
    max_value: int
    fit_rows: np.ndarray  # sorted row indices into the N x 3 pixel list
    rejected: str = ""  # why the image could not be used; empty for a usable image

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
        """X = rgb / max_value, float64 N x 3: the exact copy both languages fit."""
        return self.colours.astype(np.float64) / self.max_value

    def fit_colours(self) -> np.ndarray:
        return self.colours[self.fit_rows]

    def fit_features(self) -> np.ndarray:
        return self.fit_colours().astype(np.float64) / self.max_value

    @property
    def samples_all(self) -> bool:
        return len(self.fit_rows) == self.n


def fit_sample(n: int, fit_max_pixels: int, seed: int) -> np.ndarray:
    """All rows, or `fit_max_pixels` rows drawn without replacement (sorted)."""
    if n <= fit_max_pixels:
        return np.arange(n, dtype=np.int64)
    rows = np.random.default_rng(seed).choice(n, size=fit_max_pixels, replace=False)
    return np.sort(rows).astype(np.int64)


def prepare(path: str | Path, fit_max_pixels: int, sample_seed: int, background: str) -> Pixels:
    rgb, max_value = load_rgb(path, background)
    n = rgb.shape[0] * rgb.shape[1]
    return Pixels(rgb, max_value, fit_sample(n, fit_max_pixels, sample_seed))


def rejection(message: str) -> Pixels:
    """The record of an image that cannot be used: the study goes on without it."""
    return Pixels(np.zeros((0, 0, 3), np.uint8), 0, np.zeros(0, np.int64), rejected=message)


def save(pixels: Pixels, path: str | Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(
            handle,
            rgb=pixels.rgb,
            max_value=pixels.max_value,
            fit_rows=pixels.fit_rows,
            rejected=np.array(pixels.rejected),
        )


def load(path: str | Path) -> Pixels:
    with np.load(path) as data:
        rejected = str(data["rejected"]) if "rejected" in data.files else ""
        return Pixels(data["rgb"], int(data["max_value"]), data["fit_rows"], rejected)


def is_rejected(path: str | Path) -> bool:
    """Whether a pixels file records a rejected image (reads only that field)."""
    with np.load(path) as data:
        return "rejected" in data.files and bool(str(data["rejected"]))


def distinct_colours(
    colours: np.ndarray, max_value: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct rows in lexicographic order, index of each row's colour, rows per colour).

    Each colour is packed into one integer, which sorts far faster than np.unique(axis=0).
    """
    base = np.int64(max_value) + 1
    c = colours.astype(np.int64)
    keys = (c[:, 0] * base + c[:, 1]) * base + c[:, 2]
    _, first, inverse, counts = np.unique(
        keys, return_index=True, return_inverse=True, return_counts=True
    )
    return colours[first], inverse.ravel(), counts
