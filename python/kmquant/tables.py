"""The tidy result tables: one row per fit, per pair of fits, and per timed job."""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kmquant.atomic import write_text
from kmquant.datasets import CREDIT_COLUMNS, Dataset, image_credits
from kmquant.fitting import load_meta, space_of
from kmquant.metrics import STORAGE_COLUMNS
from kmquant.paths import Inputs
from kmquant.pixels import describe
from kmquant.pixels import load as load_pixels
from kmquant.scoring import METRICS
from kmquant.spaces import RGB

IDENT = ("image", "impl", "mode", "space", "k_requested", "k_effective", "seed")
#: The written image against the original: its metrics, its storage and the real file sizes,
#: the same columns for our fits and for the reference quantizers.
IMAGE_METRIC_COLUMNS = (
    *METRICS,
    *STORAGE_COLUMNS,
    "original_png_bytes",
    "indexed_png_bytes",
    "png_size_ratio",
)
FIT_COLUMNS = (
    *IDENT,
    "status",
    "message",
    "n_iter",
    "converged",
    "n_pixels",
    "n_fit_pixels",
    "n_empty_clusters",
    "n_not_nearest",
    "fit_sse",
    "n_out_of_gamut",
    *IMAGE_METRIC_COLUMNS,
)
IMAGE_COLUMNS = (
    "image",
    "file",
    "width",
    "height",
    "n_pixels",
    "max_value",
    "n_distinct_colours",
    "rejected",
    *CREDIT_COLUMNS,
)
AGREEMENT_COLUMNS = (
    "image",
    "mode",
    "space",
    "k_requested",
    "seed",
    "impl_a",
    "impl_b",
    "k_effective_a",
    "k_effective_b",
    "status",
    "verdict",
    "message",
    "causes",
    "n_iter_a",
    "n_iter_b",
    "max_centre_distance_8bit",
    "mean_centre_distance_8bit",
    "share_equal_labels",
    "adjusted_rand_index",
    "max_image_difference_8bit",
    "relative_sse_difference",
    "tied_initial_pixels",
    "parting_iteration",
    "parting_pixels",
)
REFERENCE_COLUMNS = (
    "image",
    "method",
    "version",
    "k_requested",
    "status",
    "message",
    "n_colours",
    *IMAGE_METRIC_COLUMNS,
)
TIMING_COLUMNS = (
    "image",
    "impl",
    "mode",
    "space",
    "k_requested",
    "seed",
    "fit_seconds",
    "job_fits",
    "job_wall_seconds",
    "job_cpu_seconds",
    "job_max_rss_mb",
)
_TRACE = ("image", "k_requested", "k_effective", "seed", "impl")
CONVERGENCE_COLUMNS = (
    *_TRACE,
    "iteration",
    "sse",
    "max_centre_shift_8bit",
    "max_difference_to_other_8bit",
)
CONVERGENCE_CENTRE_COLUMNS = (*_TRACE, "iteration", "cluster", "red", "green", "blue")
CONVERGENCE_CHECK_COLUMNS = (
    *_TRACE,
    "stepped_iterations",
    "stepped_converged",
    "stepped_error",
    "full_iterations",
    "full_converged",
    "max_end_difference_8bit",
    "ends_equal",
)
_SORT = (
    "image", "impl", "mode", "space", "metric", "target", "method", "k_requested", "seed",
    "iteration", "cluster",
)  # fmt: skip


def format_value(value: Any) -> str:
    """Stable text for a cell: repr for floats (round-trips exactly), lower-case booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "inf" if math.isinf(value) and value > 0 else repr(value)
    return str(value)


def write_table(
    path: str | Path, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]
) -> None:
    """Write rows sorted by their identifying columns, so reruns give the same bytes."""
    present = [key for key in _SORT if key in columns]
    ordered = sorted(rows, key=lambda row: tuple(row.get(key, "") for key in present))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[format_value(row.get(c)) for c in columns] for row in ordered])
    write_text(path, out.getvalue())


def read_benchmark(path: str | Path) -> dict[str, float]:
    """Snakemake's benchmark TSV: wall seconds, CPU seconds and peak RSS (MB) of a job."""
    with open(path, newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle, delimiter="\t"))

    def number(key: str) -> float:
        try:
            return float(row[key])
        except (KeyError, ValueError):
            return math.nan

    return {
        "job_wall_seconds": number("s"),
        "job_cpu_seconds": number("cpu_time"),
        "job_max_rss_mb": number("max_rss"),
    }


def timing_rows(
    fits: Sequence[Mapping[str, Any]], references: Sequence[Mapping[str, Any]], given: Inputs
) -> list[dict[str, Any]]:
    """Per fit: its own seconds, and the wall and CPU seconds and peak memory of its job (from
    the job's benchmark, which must be among the `given` files), which fitted every K, mode
    and seed of its (implementation, image): `job_fits` fits. Per reference output (`impl` the
    tool, `mode` "reference"): the tool's own seconds."""
    results = given.results

    def job(meta: Mapping[str, Any]) -> Path:
        return given(results.benchmark_of(results.fit_batch(meta["impl"], meta["image"])))

    jobs = [job(meta) for meta in fits]
    sizes, benchmarks = Counter(jobs), {path: read_benchmark(path) for path in set(jobs)}
    rows = [
        with_space(meta) | benchmarks[path] | {"job_fits": sizes[path]}
        for meta, path in zip(fits, jobs, strict=True)
    ]
    return rows + [dict(row) | {"impl": row["method"], "mode": "reference"} for row in references]


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


#: The columns that name a row's colour space (kmquant.spaces), and the values of a row of
#: sRGB (a reference quantizer's rows have no space: "").
SPACE_COLUMNS = ("space", "space_a", "space_b")
SRGB = (RGB, "")


def in_srgb(rows: Iterable[Mapping[str, str]]) -> list[Mapping[str, str]]:
    """The rows of fits in sRGB and of reference quantizers: what every figure and section of
    the report that is not about colour spaces shows."""
    return [row for row in rows if all(row.get(key, RGB) in SRGB for key in SPACE_COLUMNS)]


def with_space(record: Mapping[str, Any]) -> dict[str, Any]:
    """A fit's or a pair's record with its colour space named, also where it is sRGB (whose
    records name none: kmquant.fitting.complete)."""
    return dict(record) | {"space": space_of(record)}


def written_image(meta: Mapping[str, Any], given: Inputs) -> dict[str, Any]:
    """What a fit's written image is: the scored record beside its indexed PNG, and the real
    file sizes of that PNG and of the original (optimized RGB PNG), all among the `given`
    files. A failed fit has neither PNG nor record."""
    key = [meta[field] for field in ("impl", "mode", "image", "k_requested", "seed")]
    key.append(space_of(meta))
    indexed, record = given(given.results.image(*key)), given(given.results.image_record(*key))
    written = {"indexed_png_bytes": indexed.stat().st_size} if indexed.exists() else {}
    scored = read_json(record) if record.exists() else {}
    return scored | written | size_ratio(meta["image"], written, given)


def reference_records(folders: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Every record in reference quantizer folders (`Results.reference`), folder by folder
    in K order."""
    return [
        record
        for folder in folders
        for record in sorted(
            (read_json(path) for path in Path(folder).glob("*.json")),
            key=lambda record: int(record["k_requested"]),
        )
    ]


def reference_rows(folders: Sequence[str | Path], given: Inputs) -> list[dict[str, Any]]:
    """The rows of reference.csv: every record of the reference quantizer `folders`, with the
    size of the original (among the `given` files) beside each PNG's."""
    return [row | size_ratio(row["image"], row, given) for row in reference_records(folders)]


def size_ratio(image: str, meta: Mapping[str, Any], given: Inputs) -> dict[str, Any]:
    """The size of `image`'s original (optimized RGB PNG, among the `given` files) and its
    ratio to a written PNG (none if failed)."""
    size = given(given.results.original(image)).stat().st_size
    written = meta.get("indexed_png_bytes")
    ratio = {"png_size_ratio": size / written} if written else {}
    return {"original_png_bytes": size} | ratio


def read_csv(path: str | Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_fits_table(out: str | Path, fits: Sequence[str | Path], given: Inputs) -> None:
    """fits.csv: every fit's record and what its written image is (`written_image`)."""
    rows = [with_space(meta) | written_image(meta, given) for meta in map(load_meta, fits)]
    write_table(out, FIT_COLUMNS, rows)


def write_timings_table(
    out: str | Path,
    fits: Sequence[str | Path],
    reference_seconds: Sequence[str | Path],
    given: Inputs,
) -> None:
    """timings.csv: the seconds of every fit and its job, and of every reference output."""
    references = [row for path in reference_seconds for row in read_json(path)]
    write_table(out, TIMING_COLUMNS, timing_rows(list(map(load_meta, fits)), references, given))


def write_reference_table(out: str | Path, folders: Sequence[str | Path], given: Inputs) -> None:
    """reference.csv: every output of the reference quantizers (`reference_rows`)."""
    write_table(out, REFERENCE_COLUMNS, reference_rows(folders, given))


def write_agreement_table(out: str | Path, records: Sequence[str | Path]) -> None:
    """agreement.csv: every pair record of every task."""
    rows = [with_space(row) for path in records for row in read_json(path)]
    write_table(out, AGREEMENT_COLUMNS, rows)


def write_image_tables(
    images: str | Path,
    rejected: str | Path,
    pixels: Sequence[str | Path],
    datasets: Sequence[Dataset] = (),
    metadata: Sequence[str | Path] = (),
) -> None:
    """images.csv (every image: its file, size and distinct colours, and a dataset's image
    its credit and the colours the dataset counts) and rejected_images.csv (the rejected ones
    and why), from each image's loaded pixels and each dataset's metadata table."""
    credit = image_credits(datasets, metadata)
    rows = [describe(load_pixels(path), Path(path).stem) for path in pixels]
    rows = [row | credit(str(row["file"])) for row in rows]
    write_table(images, IMAGE_COLUMNS, rows)
    refused = [{"image": r["image"], "message": r["rejected"]} for r in rows if r["rejected"]]
    write_table(rejected, ("image", "message"), refused)
