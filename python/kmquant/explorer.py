"""The interactive explorer (results/report/explorer.html): one page that opens from the file
system with no server and no network. Its data (metrics, verdicts, palettes, the matching of
every pair's palettes) is inlined; the images it shows are the PNGs in results/images and
results/reference, linked by relative paths, and the difference of two of them is drawn by the
browser (CSS blending), for any pair of implementations."""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

from kmquant.agreement import match_palettes
from kmquant.atomic import write_text
from kmquant.colour import hex_colour
from kmquant.datasets import CREDIT
from kmquant.fitting import FitResult, load, space_of
from kmquant.implementations import HEADLINE, IMPLEMENTATIONS, ordered
from kmquant.metrics import palette_8bit
from kmquant.modes import MODES
from kmquant.paths import Inputs
from kmquant.reference import QUANTIZERS
from kmquant.reference import ordered as ordered_quantizers
from kmquant.scoring import METRICS
from kmquant.spaces import SPACES, to_srgb
from kmquant.tables import read_csv

#: What the page shows of every output, ours and the reference quantizers' alike.
SHOWN_METRICS = (*METRICS, "indexed_png_bytes", "png_size_ratio")
FIT_FIELDS = ("status", "message", "k_effective", "n_iter", "converged", *SHOWN_METRICS)
PAIR_FIELDS = (
    "status",
    "verdict",
    "message",
    "max_centre_distance_8bit",
    "share_equal_labels",
    "adjusted_rand_index",
    "max_image_difference_8bit",
    "relative_sse_difference",
    "tied_initial_pixels",
    "parting_iteration",
    "parting_pixels",
)
REFERENCE_FIELDS = ("status", "message", "version", "n_colours", *SHOWN_METRICS)
#: What the page shows of results/tables/k_for_quality.csv, per image (the smallest file it
#: finds among the methods of the chosen space and the reference quantizers).
TARGET_FIELDS = (
    "metric", "target", "method", "space", "reached", "k_requested", "indexed_png_bytes",
)  # fmt: skip
_KEY = ("image", "mode", "space", "k_requested", "seed")
#: The template's placeholder for the inlined data.
DATA_MARK = "/*KMQUANT_DATA*/null"


def cell(text: str) -> Any:
    """A CSV cell as a JSON value: empty is null, true/false are booleans, finite numbers are
    numbers, and everything else (messages, "inf", "nan") stays text."""
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def shown(fit: FitResult) -> FitResult:
    """A fit with its centres as the sRGB colours its PNG shows (kmquant.spaces.to_srgb), so
    that palettes of every space are drawn and matched alike."""
    return FitResult(to_srgb(space_of(fit.meta), fit.centres)[0], fit.labels, fit.meta)


def palette(fit: FitResult) -> list[str] | None:
    """A fit's 8-bit palette as hex colours, in its own order; None for a failed fit."""
    return [hex_colour(c) for c in palette_8bit(fit.centres)] if fit.ok else None


def matching(a: FitResult, b: FitResult) -> list[list[int]] | None:
    """The order in which the two palettes are shown colour to colour (Hungarian matching):
    the rows of a and the rows of b; None unless both fits succeeded."""
    if not (a.ok and b.ok):
        return None
    rows, cols = match_palettes(a.centres, b.centres)
    return [rows.tolist(), cols.tolist()]


def reference_menu(methods: list[str]) -> list[dict[str, str]]:
    """The reference quantizers among `methods` (those that ran) in the menu's order, the
    registry's (the JSON's keys are sorted, so they cannot say it), each with its label."""
    return [{"name": name, "label": QUANTIZERS[name].label} for name in ordered_quantizers(methods)]


def explorer_data(given: Inputs, page_folder: Path) -> dict[str, Any]:
    """Everything the page shows, from a run's tables, fits and PNGs, all among the `given`
    files; file links are relative to `page_folder`, and null where the file does not exist."""

    def link(path: Path) -> str | None:
        path = given(path)
        return Path(os.path.relpath(path, page_folder)).as_posix() if path.exists() else None

    run = given.results
    fits: dict[tuple[str, ...], dict[str, dict[str, str]]] = defaultdict(dict)
    for row in read_csv(given(run.table("fits"))):
        fits[tuple(row[c] for c in _KEY)][row["impl"]] = row
    pairs: dict[tuple[str, ...], dict[str, dict[str, str]]] = defaultdict(dict)
    for row in read_csv(given(run.table("agreement"))):
        pairs[tuple(row[c] for c in _KEY)][f"{row['impl_a']}|{row['impl_b']}"] = row
    views = {}
    for key, rows in fits.items():
        image, mode, space, k, seed = key
        fitted = {
            impl: shown(load(given(run.fit(impl, mode, image, k, seed, space)), labels=False))
            for impl in rows
        }
        views["|".join(key)] = {
            "fits": {
                impl: {field: cell(row[field]) for field in FIT_FIELDS}
                | {
                    "png": link(run.image(impl, mode, image, k, seed, space)),
                    "palette": palette(fitted[impl]),
                }
                for impl, row in rows.items()
            },
            "pairs": {
                name: {field: cell(row[field]) for field in PAIR_FIELDS}
                | {"match": matching(fitted[row["impl_a"]], fitted[row["impl_b"]])}
                for name, row in pairs.get(key, {}).items()
            },
        }
    references: dict[str, dict[str, Any]] = defaultdict(dict)
    table = given(run.table("reference"))
    for row in read_csv(table) if table.exists() else []:
        image, method, k = row["image"], row["method"], row["k_requested"]
        png = run.reference_png(method, image, k)
        references[method][f"{image}|{k}"] = {
            field: cell(row[field]) for field in REFERENCE_FIELDS
        } | {"png": link(png)}
    images = sorted({key[0] for key in fits})
    targets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    k_table = given(run.table("k_for_quality"))
    for row in read_csv(k_table) if k_table.exists() else []:
        targets[row["image"]].append({field: cell(row[field]) for field in TARGET_FIELDS})
    image_table = given(run.table("images"))
    credits = {
        row["image"]: {column: row[column] for column in CREDIT}
        for row in (read_csv(image_table) if image_table.exists() else [])
        if row.get("dataset")
    }
    modes = [mode for mode in MODES if mode in {key[1] for key in fits}]
    spaces = [space for space in SPACES if space in {key[2] for key in fits}]
    impls = ordered([impl for rows in fits.values() for impl in rows])
    return {
        "images": {image: link(run.original(image)) for image in images},
        # A dataset's image is shown with its credit (dataset, licence, author, source).
        "credits": {image: credit for image, credit in credits.items() if image in images},
        "modes": modes,
        "mode_text": {mode: MODES[mode].shows for mode in modes},
        "mode_seeds": {
            mode: sorted({int(key[4]) for key in fits if key[1] == mode}) for mode in modes
        },
        # The colour spaces the fits cluster in, in the registry's order, each by its label.
        "spaces": [{"name": space, "label": SPACES[space].label} for space in spaces],
        "ks": sorted({int(key[3]) for key in fits}),
        # The menus' order and what the page calls each implementation (the registry's).
        "implementations": [
            {
                "name": name,
                "label": IMPLEMENTATIONS[name].label,
                "colour": IMPLEMENTATIONS[name].colour,
            }
            for name in impls
        ],
        "headline": [name for name in HEADLINE if name in impls],
        "metrics": [
            {"name": name, "label": metric.axis_label, "target": metric.target_text("%s")}
            for name, metric in METRICS.items()
        ],
        "views": views,
        "references": dict(references),
        "rate_figure": link(run.figure("rate_distortion")),
        "k_for_quality": dict(targets),
        "reference_methods": reference_menu(list(references)),
    }


def write(given: Inputs, out: str | Path) -> None:
    """The page, at `out`, its links relative to where it lies."""
    write_text(out, render(explorer_data(given, Path(out).parent)))


def render(data: dict[str, Any]) -> str:
    """The page: the packaged template with `data` inlined as JSON (safe inside <script>)."""
    template = resources.files("kmquant").joinpath("explorer.html").read_text(encoding="utf-8")
    payload = json.dumps(data, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")
    if DATA_MARK not in template:
        raise RuntimeError("explorer.html lost its data placeholder")
    return template.replace(DATA_MARK, payload)
