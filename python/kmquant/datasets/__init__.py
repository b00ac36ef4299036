"""The registry of named image datasets a study can add (`datasets:` in the config), and the
fetch that brings each of their files once, verified against its SHA-256.

A dataset is described by one YAML file: its citation, the base URL of its files on an
immutable source, the file (in the format `sha256sum` writes, so that `sha256sum -c` checks a
copy too) that lists every file with its SHA-256, and the columns of its own metadata table
that the study reads. The registered datasets are the YAML files beside this module; a study
may also name a YAML file of its own (a dataset of the user's, described the same way).
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kmquant.atomic import atomic_path
from kmquant.errors import InputError

FOLDER = Path(__file__).resolve().parent
#: Where a study keeps the files it fetched, relative to its working folder.
LOCAL = Path("resources") / "datasets"
#: The metadata columns the study reads, by the name it gives them in its tables.
COLUMNS = ("name", "colours", "licence", "author", "source")
#: The columns of images.csv that credit a dataset's image.
#: What images.csv says of a dataset's image beside the dataset's name: each column and the
#: metadata column (of COLUMNS) it is read from. The credit is all but the colour count.
CREDITED = {
    "licence": "licence",
    "author": "author",
    "source_url": "source",
    "dataset_n_colours": "colours",
}
CREDIT_COLUMNS = ("dataset", *CREDITED)
CREDIT = CREDIT_COLUMNS[: CREDIT_COLUMNS.index("dataset_n_colours")]


class FetchError(InputError, RuntimeError):
    """A dataset file that could not be fetched or is not the registered file."""


class DatasetError(InputError, ValueError):
    """A dataset that is not registered, or a description that is not complete."""


@dataclass(frozen=True)
class Dataset:
    name: str
    #: How tables and the report cite it.
    citation: str
    #: Every file's URL is this base and the file's path; it must name an immutable source.
    url: str
    #: Every file of the dataset, by its path, with its SHA-256.
    files: dict[str, str]
    #: The dataset's own table of its images (one of its files), and its columns (COLUMNS):
    #: the image's file name without its suffix, the distinct colours the dataset counts in
    #: it, and its credit.
    metadata: str
    columns: dict[str, str]

    @property
    def images(self) -> list[str]:
        """The paths of the dataset's images, sorted."""
        return sorted(path for path in self.files if path.lower().endswith(".png"))

    def local(self, path: str) -> Path:
        """Where a study keeps one of its files."""
        return LOCAL / self.name / path


def load(description: str | Path) -> Dataset:
    """A dataset from its YAML description (its file list relative to it)."""
    description = Path(description)
    try:
        spec: dict[str, Any] = yaml.safe_load(description.read_text(encoding="utf-8"))
        listed = (description.parent / spec["files"]).read_text(encoding="utf-8")
        files = {
            path: digest
            for digest, path in (line.split(maxsplit=1) for line in listed.splitlines())
        }
        columns = {column: spec["columns"][column] for column in COLUMNS}
        dataset = Dataset(
            spec["name"],
            " ".join(spec["citation"].split()),
            spec["url"],
            files,
            spec["metadata"],
            columns,
        )
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError) as error:
        raise DatasetError(f"dataset {description}: not a complete description ({error})") from None
    if dataset.metadata not in files:
        raise DatasetError(f"dataset {description}: its metadata {dataset.metadata} is not listed")
    return dataset


#: The registered datasets, by name.
DATASETS: dict[str, Dataset] = {
    dataset.name: dataset for dataset in map(load, sorted(FOLDER.glob("*.yaml")))
}


def resolve(spec: str, root: str | Path = ".") -> Dataset:
    """A registered dataset by its name, or a YAML description of one (relative to `root`)."""
    if spec in DATASETS:
        return DATASETS[spec]
    path = Path(root) / spec
    if spec.endswith((".yaml", ".yml")) and path.is_file():
        return load(path)
    raise DatasetError(
        f"'{spec}' is neither a registered dataset ({', '.join(DATASETS)}) nor "
        "a dataset's YAML description"
    )


def source_of(dataset: Dataset, path: str, mirror: str | None) -> str:
    """Where a file is read from: the dataset's URL, or a mirror (a folder or a base URL)
    that holds its files under the same paths."""
    base = dataset.url if mirror is None else mirror.rstrip("/") + "/"
    return base + path


def fetch(dataset: Dataset, path: str, out: str | Path, mirror: str | None = None) -> None:
    """Bring one listed file of `dataset` to `out`, verified against its SHA-256. A file that
    is not the listed one, or a transfer that fails or is cut off, raises FetchError naming
    the file and leaves nothing at `out`."""
    import pooch  # only where a file is fetched: every command imports this registry

    if path not in dataset.files:
        raise FetchError(f"dataset '{dataset.name}' lists no file {path}")
    source = source_of(dataset, path, mirror)
    try:
        with atomic_path(out) as temporary:
            _transfer(source, temporary)
            found, listed = pooch.file_hash(str(temporary)), dataset.files[path]
            if found != listed:
                raise FetchError(f"its SHA-256 is {found}, not the listed {listed}")
    except Exception as error:  # any failure of the transfer or the check, said in one line
        reason = " ".join(str(error).split()) or type(error).__name__
        raise FetchError(f"dataset '{dataset.name}': {path} from {source}: {reason}") from None


def _transfer(source: str, out: Path) -> None:
    import pooch

    if source.startswith(("http://", "https://")):
        pooch.HTTPDownloader(progressbar=False, timeout=60)(source, str(out), None)
    else:
        shutil.copyfile(source, out)


def credits(dataset: Dataset, metadata: str | Path) -> dict[str, dict[str, str]]:
    """Per image (its file name without the suffix), from the dataset's metadata table: the
    dataset, the image's licence, author and source URL, and the distinct colours the
    dataset counts in it (CREDIT_COLUMNS)."""
    with open(metadata, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    column = dataset.columns
    return {
        row[column["name"]]: {"dataset": dataset.name}
        | {ours: row[column[theirs]] for ours, theirs in CREDITED.items()}
        for row in rows
    }


def image_credits(
    datasets: Sequence[Dataset], metadata: Sequence[str | Path]
) -> Callable[[str], dict[str, str]]:
    """The credit of an image file (CREDIT_COLUMNS; none for an image of no dataset), from
    each dataset's metadata table among `metadata`, each file known by where the study
    fetches it (under a module's prefix too)."""
    by_file: dict[Path, dict[str, str]] = {}
    for dataset in datasets:
        table = dataset.local(dataset.metadata)
        given = [path for path in metadata if _is_fetched(path, table)]
        if not given:
            raise DatasetError(f"dataset '{dataset.name}': its metadata {table} was not given")
        rows = credits(dataset, given[0])
        for path in dataset.images:
            if Path(path).stem not in rows:
                raise DatasetError(f"dataset '{dataset.name}': its metadata has no row for {path}")
            by_file[dataset.local(path)] = rows[Path(path).stem]

    def credit(file: str) -> dict[str, str]:
        return next((row for local, row in by_file.items() if _is_fetched(file, local)), {})

    return credit


def _is_fetched(file: str | Path, local: Path) -> bool:
    """Whether `file` is the fetched file `local`, under any prefix."""
    return Path(file) == local or str(file).endswith(f"/{local}")
