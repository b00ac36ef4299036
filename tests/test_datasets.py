"""Datasets as data: the registry, and each file fetched once, verified, from a real HTTP
server started here or from a mirror folder, with every way a transfer fails."""

from __future__ import annotations

import csv
import hashlib
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import describe_dataset, metadata_csv, run_snakemake, write_config
from kmquant import datasets
from kmquant.datasets import DATASETS, Dataset, FetchError

#: The files a small dataset of the tests serves; `cut.bin` is sent cut off in the middle,
#: `bad.bin` with other bytes than its listed hash.
SERVED: dict[str, bytes] = {}


class Server(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = SERVED.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path.endswith("cut.bin"):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.close()  # the transfer stops halfway
            return
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet: the tests read what the fetch says, not the server."""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Server)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def png_bytes(colours: int, seed: int) -> bytes:
    """A small PNG of exactly `colours` distinct colours."""
    import io

    palette = np.random.default_rng(seed).permutation(256 * 256)[:colours]
    rgb = np.stack([palette // 256, palette % 256, np.full(colours, 7)], axis=1).astype(np.uint8)
    pixels = rgb[np.arange(6 * 8) % colours].reshape(6, 8, 3)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


def small_dataset(folder: Path, url: str, name: str = "sample") -> Path:
    """A dataset description of two images, their metadata (credit and colour counts) and
    two files for the failures, as its YAML file; every file also in `folder/mirror`."""
    files = {"img/one.png": png_bytes(5, 1), "img/two.png": png_bytes(11, 2)}
    files["metadata.csv"] = metadata_csv(
        [
            ["one", "5", "CC BY-SA 4.0", "A. Author", "https://example.org/one"],
            ["two", "11", "CC0 1.0", "B. Author", "https://example.org/two"],
        ]
    )
    files["cut.bin"] = png_bytes(3, 3)
    SERVED.update(files | {"bad.bin": b"other bytes"})
    mirror = folder / "mirror"
    for path, body in (files | {"bad.bin": b"other bytes"}).items():
        (mirror / path).parent.mkdir(parents=True, exist_ok=True)
        (mirror / path).write_bytes(body)
    return describe_dataset(folder, name, url, files | {"bad.bin": b"the listed bytes"})


@pytest.fixture
def sample(tmp_path: Path, server: str) -> Dataset:
    return datasets.load(small_dataset(tmp_path, server))


def _left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("where", ["url", "mirror"])
def test_a_listed_file_is_fetched_with_its_bytes(
    sample: Dataset, tmp_path: Path, where: str
) -> None:
    mirror = str(tmp_path / "mirror") if where == "mirror" else None
    out = tmp_path / "got" / "one.png"
    datasets.fetch(sample, "img/one.png", out, mirror)
    assert out.read_bytes() == SERVED["img/one.png"]
    assert _left_in(out.parent) == ["one.png"]  # no temporary left beside it


@pytest.mark.parametrize("where", ["url", "mirror"])
@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("bad.bin", r"its SHA-256 is [0-9a-f]{64}, not the listed [0-9a-f]{64}"),
        ("img/gone.png", "lists no file img/gone.png"),
        ("cut.bin", ""),
    ],
)
def test_a_file_that_is_not_the_listed_one_is_an_error_naming_it_and_leaves_nothing(
    sample: Dataset, tmp_path: Path, where: str, path: str, reason: str
) -> None:
    mirror = str(tmp_path / "mirror") if where == "mirror" else None
    if path == "cut.bin" and mirror:  # a folder cannot cut a copy off: a truncated file
        (tmp_path / "mirror" / path).write_bytes(SERVED[path][:40])
    out = tmp_path / "got" / Path(path).name
    with pytest.raises(FetchError, match=re.escape(path)) as raised:
        datasets.fetch(sample, path, out, mirror)
    assert re.search(reason, str(raised.value)), raised.value
    assert _left_in(out.parent) == []


def test_a_file_missing_at_its_source_is_an_error_naming_it(
    sample: Dataset, tmp_path: Path
) -> None:
    """A file the dataset lists that its URL or mirror does not hold."""
    del SERVED["img/two.png"]
    (tmp_path / "mirror" / "img" / "two.png").unlink()
    try:
        for mirror in (None, str(tmp_path / "mirror")):
            with pytest.raises(FetchError, match=r"img/two\.png from \S+: .*(404|No such file)"):
                datasets.fetch(sample, "img/two.png", tmp_path / "got" / "two.png", mirror)
    finally:
        SERVED["img/two.png"] = png_bytes(11, 2)
    assert _left_in(tmp_path / "got") == []


def test_cq100_is_registered_at_one_commit_with_every_file_hashed() -> None:
    cq100 = DATASETS["cq100"]
    assert re.search(r"/[0-9a-f]{40}/", cq100.url)  # a commit, never a branch
    assert len(cq100.images) == 100
    assert set(cq100.files) == {*cq100.images, "metadata.csv", "README.md"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in cq100.files.values())
    assert cq100.columns["colours"] == "Modified # Colors"


def test_a_dataset_is_a_registered_name_or_a_description(tmp_path: Path, server: str) -> None:
    small_dataset(tmp_path, server)
    assert datasets.resolve("cq100") is DATASETS["cq100"]
    assert datasets.resolve("sample.yaml", root=tmp_path).name == "sample"
    # An absolute path, its file list found beside it.
    described = datasets.resolve(str(tmp_path / "sample.yaml"), root="/")
    assert described.name == "sample" and "img/one.png" in described.images
    with pytest.raises(datasets.DatasetError, match="'kodak' is neither a registered dataset"):
        datasets.resolve("kodak")


def dataset_study(folder: Path, server: str) -> Path:
    """A study of the small dataset's images alone, fetched from `server`: its YAML."""
    description = small_dataset(folder, server)
    write_config(
        folder,
        image_dir=None,
        datasets=[description.name],
        k_values=[2],
        seeds=[0],
        modes=["matched"],
        implementations=["python"],
        reference_quantizers=[],
        convergence_k=[],
    )
    return description


def test_a_study_adds_a_datasets_images_with_their_credit(tmp_path: Path, server: str) -> None:
    """Fetched through snakemake from the dataset's URL (a real server): its images are
    studied, images.csv credits each, and its colour counts are the dataset's own."""
    dataset_study(tmp_path, server)
    run_snakemake(tmp_path, "--cores", "2", "results/tables/images.csv")
    fetched = tmp_path / "resources" / "datasets" / "sample"
    assert (fetched / "img" / "one.png").read_bytes() == SERVED["img/one.png"]
    with open(tmp_path / "results" / "tables" / "images.csv", newline="") as handle:
        rows = {row["image"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"one", "two"}
    assert rows["one"]["file"] == "resources/datasets/sample/img/one.png"
    assert (rows["one"]["licence"], rows["one"]["author"], rows["two"]["source_url"]) == (
        "CC BY-SA 4.0",
        "A. Author",
        "https://example.org/two",
    )
    for row in rows.values():
        assert row["dataset"] == "sample"
        assert row["n_distinct_colours"] == row["dataset_n_colours"]
    again = run_snakemake(tmp_path, "--cores", "2", "results/tables/images.csv")
    assert "Nothing to be done" in again.stdout + again.stderr


def test_a_study_stops_on_a_file_that_is_not_the_listed_one_and_resumes(
    tmp_path: Path, server: str
) -> None:
    """The failed fetch names the file in its log, and no file is left that looks fetched;
    the rest is kept, and the next run fetches only what is missing."""
    dataset_study(tmp_path, server)
    listed = tmp_path / "sample.sha256"
    right = listed.read_text()
    listed.write_text(right.replace(hashlib.sha256(SERVED["img/two.png"]).hexdigest(), "0" * 64))
    failed = run_snakemake(tmp_path, "--cores", "1", "--keep-going", check=False)
    assert failed.returncode != 0
    log = tmp_path / "results" / "logs" / "datasets" / "sample" / "img" / "two.png.log"
    assert f"img/two.png from {server}img/two.png: its SHA-256 is" in log.read_text()
    fetched = tmp_path / "resources" / "datasets" / "sample"
    assert _left_in(fetched / "img") == ["one.png"]
    kept = (fetched / "img" / "one.png").stat().st_mtime_ns
    listed.write_text(right)
    done = run_snakemake(tmp_path, "--cores", "1", "results/tables/images.csv")
    assert _left_in(fetched / "img") == ["one.png", "two.png"]
    assert (fetched / "img" / "one.png").stat().st_mtime_ns == kept  # not fetched again
    assert "img/one.png" not in re.sub(r"results/\S+", "", done.stdout + done.stderr)
