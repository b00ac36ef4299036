"""What the README shows a user, run as the user would run it: every command of its shell
blocks runs in a test exactly as written, on a fresh copy of the repository with the shipped
config.yaml (a real run where that is affordable, a dry run where it is not), or is listed
here with the reason the suite leaves it out; every picture and link it shows resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from conftest import ROOT, fresh_copy, readme_command, readme_commands, shell, small_photo
from kmquant.paths import Results

#: Each command of the README's shell blocks: the test that runs it as written ("file::test"),
#: or why the suite does not.
WHERE = {
    "./setup.sh study": "not run: set-up (below), then the default study's `snakemake --cores "
    "all`, which conftest.default_study runs",
    "./setup.sh test": "not run here: .ci/run runs it on a fresh machine",
    "source .venv/bin/activate": "not run: every test runs inside that environment",
    "snakemake --cores all": "conftest.py::default_study",
    "snakemake --cores all --config k_values='[2,16]' seeds='[0]'": "test_readme.py::"
    "test_the_override_plans_every_implementation_on_what_remains_of_its_list",
    "snakemake --cores all --config datasets='[cq100]' -- results/tables/images.csv": (
        "test_readme.py::test_the_cq100_command_plans_every_file_of_the_dataset"
    ),
    "snakemake --cores all --configfile config/cq100.yaml --config dataset_mirror=DIR": (
        "test_readme.py::test_the_cq100_profile_plans_the_benchmark_locally_and_on_slurm"
    ),
    **dict.fromkeys(
        [command for command in readme_commands() if command.startswith("python -m kmquant")],
        "test_readme.py::test_each_compress_command_writes_an_indexed_png",
    ),
    "pip install -e '.[slurm]'": "not run: it would change the environment under test; "
    "setup.sh installs the slurm extra from the lock",
    "snakemake --profile profiles/slurm": "test_slurm.py::"
    "test_the_cq100_profile_on_slurm_reproduces_the_local_run",
    "snakemake --report results/report.html": "test_readme.py::"
    "test_the_report_and_the_pictures_of_the_default_study",
    "pytest": "not run: the suite itself",
    'pytest -m "not slow"': "not run: the quick tier of the suite itself",
    "ruff check . && ruff format --check . && snakemake --lint && snakefmt --check . && mypy": (
        "test_readme.py::test_the_lint_line_passes"
    ),
    "requirements/compile.sh": "not run: it resolves every dependency against PyPI; "
    "test_lock.py checks that each lock holds every declared range",
}


def dry(command: str) -> str:
    """A snakemake command as a dry run, as the README says: with `-n`."""
    return command.replace("snakemake ", "snakemake -n ", 1)


def test_every_command_of_the_readme_is_run_by_a_test_or_says_why_not() -> None:
    assert set(readme_commands()) == set(WHERE)
    for where in WHERE.values():
        if not where.startswith("not run"):
            file, test = where.split("::")
            assert re.search(rf"def {test}\(", (ROOT / "tests" / file).read_text()), where


def test_the_override_plans_every_implementation_on_what_remains_of_its_list(
    tmp_path: Path,
) -> None:
    """The shipped config runs Elkan, SciPy, OpenCV and faiss at K = 4, 16, 64 and amap at
    4, 16; narrowed to K = 2 and 16 they run 16, Python and R both, and the log says what was
    left out. The plan is complete once each photo's pixels are loaded (a checkpoint), so
    they are loaded first."""
    copy = fresh_copy(tmp_path)
    override = readme_command("snakemake --cores all --config k_values='[2,16]' seeds='[0]'")
    planned = shell(dry(override), copy)
    log = planned.stdout + planned.stderr
    for name, gone in [("elkan", "[4, 64]"), ("amap", "[4]")]:
        assert f"'implementation_k_values: {name}': {gone} not among 'k_values' [2, 16]" in log
    results = Results(Path("results"))
    shell(f"snakemake --cores all {results.pixels('china')} {results.pixels('flower')}", copy)
    log = shell(dry(override), copy).stdout
    jobs = set(re.findall(r"results/fits/(\w+)/matched/(\w+)/k(\d+)_s(\d+)\.npz", log))
    # Python and R also fit K = 4 in matched mode: the shipped `convergence_k` traces it.
    expected = {(impl, k) for impl in ("python", "r") for k in ("2", "4")} | {
        (impl, "16") for impl in ("python", "r", "elkan", "scipy", "opencv", "faiss", "amap")
    }
    for image in ("china", "flower"):
        assert {(impl, k) for impl, name, k, seed in jobs if name == image} == expected, log
    assert {seed for *_, seed in jobs} == {"0"}


def test_each_compress_command_writes_an_indexed_png(tmp_path: Path) -> None:
    """As written, in a folder with a `photo.jpg` (a small copy of a shipped photograph)."""
    small_photo(96, 64).save(tmp_path / "photo.jpg", quality=95)
    commands = [c for c in readme_commands() if c.startswith("python -m kmquant compress")]
    assert len(commands) == 4
    for command in commands:
        done = shell(command, tmp_path)
        assert re.search(r"PSNR [0-9.]+ dB", done.stderr), done.stderr
        with Image.open(tmp_path / "photo-256.png") as png:
            assert png.mode == "P" and len(png.getcolors(256) or []) > 16
        (tmp_path / "photo-256.png").unlink()


def test_the_lint_line_passes(tmp_path: Path) -> None:
    lint = "ruff check . && ruff format --check . && snakemake --lint && snakefmt --check . && mypy"
    done = shell(readme_command(lint), fresh_copy(tmp_path), check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _targets(markdown: Path) -> list[str]:
    """The relative targets of a Markdown file's pictures and links."""
    text = re.sub(r"```.*?```", "", markdown.read_text(encoding="utf-8"), flags=re.DOTALL)
    found = re.findall(r"\]\(([^)\s]+)\)", text)
    return [t.split("#")[0] for t in found if not re.match(r"[a-z]+:", t) and t.split("#")[0]]


@pytest.mark.parametrize(
    "markdown", [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))], ids=str
)
def test_every_picture_and_link_resolves(markdown: Path) -> None:
    for target in _targets(markdown):
        assert (markdown.parent / target).exists(), f"{markdown.name}: {target}"


def test_the_readme_shows_its_pictures() -> None:
    readme = ROOT / "README.md"
    assert {"docs/rate_distortion.png", "docs/matrix.png", "docs/explorer.png"} <= set(
        _targets(readme)
    )


@pytest.mark.slow
def test_a_second_run_has_nothing_to_do(default_study: Path) -> None:
    done = shell(readme_command("snakemake --cores all"), default_study)
    assert "Nothing to be done" in done.stdout + done.stderr


@pytest.mark.slow
def test_the_report_and_the_pictures_of_the_default_study(default_study: Path) -> None:
    """The report is one file of about 17 MB, as the README says; the README's pictures are
    regenerated from the finished study by the command it gives."""
    shell(readme_command("snakemake --report results/report.html"), default_study)
    assert round((default_study / "results" / "report.html").stat().st_size / 1e6) == 17
    pictures = ("rate_distortion.png", "matrix.png", "explorer.png")
    for name in pictures:
        (default_study / "docs" / name).unlink(missing_ok=True)
    shell("python docs/readme_images.py results", default_study)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`python docs/readme_images.py results`" in readme
    for name in pictures:
        with Image.open(default_study / "docs" / name) as picture:
            assert picture.width > 600


def test_the_cq100_command_plans_every_file_of_the_dataset(tmp_path: Path) -> None:
    """A dry run (the suite has no network): each of CQ100's 101 files it reads (100 photos and
    their metadata) is one fetch job, and each photo is loaded and counted."""
    command = "snakemake --cores all --config datasets='[cq100]' -- results/tables/images.csv"
    planned = shell(dry(readme_command(command)), fresh_copy(tmp_path)).stdout
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", planned, flags=re.MULTILINE))
    assert (counts["dataset_file"], counts["pixels"], counts["image_tables"]) == ("101", "102", "1")


def test_the_cq100_profile_plans_the_benchmark_locally_and_on_slurm(tmp_path: Path) -> None:
    """The README's benchmark line as a dry run (the suite has no copy of CQ100), DIR an empty
    folder: CQ100's 101 files fetched, its 100 photographs loaded and none of the shipped
    ones; the SLURM profile plans the same jobs from the same profile."""
    command = "snakemake --cores all --configfile config/cq100.yaml --config dataset_mirror=DIR"
    copy, mirror = fresh_copy(tmp_path / "copy"), tmp_path / "mirror"
    mirror.mkdir()
    line = dry(readme_command(command)).replace("DIR", str(mirror))
    local, slurm = (
        (done.stdout + done.stderr)
        for done in (
            shell(line, copy),
            shell(line.replace("--cores all", "--profile profiles/slurm"), copy),
        )
    )
    for planned in (local, slurm):
        counts = dict(re.findall(r"^(\w+)\s+(\d+)$", planned, flags=re.MULTILINE))
        assert (counts["dataset_file"], counts["pixels"]) == ("101", "100")
        assert "china" not in planned and "flower" not in planned
    assert "Using profiles profiles/slurm" in slurm
