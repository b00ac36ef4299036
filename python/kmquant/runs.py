"""The runs of one job, as one structured value: each run's K, mode, seed and colour space
with the file it writes (a fit, its pairs, or its shared initial centres) and, for a
shared-start mode, the file of initial centres it starts from. A rule writes them as one JSON
list (`dump`), the job reads them back whole (`parse`), so that no run is paired with its files
by its position in several lists."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from kmquant.modes import MODES
from kmquant.spaces import RGB, SPACES

#: The fields of a run, as JSON names them (`init` only for a shared-start mode, `space` only
#: outside sRGB).
FIELDS = ("k", "mode", "seed", "out", "init", "space")
#: The longest runs a job takes: its whole shell command is one argument of the shell, and
#: Linux takes at most 131,072 bytes in one argument (MAX_ARG_STRLEN).
MAX_CHARS = 100_000


class RunError(ValueError):
    """Runs that are not a list of complete, distinct runs."""


@dataclass(frozen=True)
class Run:
    """One run of a job: a fit (written to `out`) or the pairs of the fits of one run."""

    k: int
    mode: str
    seed: int
    out: str
    #: The run's initial centres (a CSV): given for a shared-start mode, and only there; a run
    #: whose initial centres a job writes (to `out`) has none.
    init: str | None = None
    #: The colour space it clusters in (kmquant.spaces); a shared start's file holds sRGB
    #: colours, which a run in another space transforms into it.
    space: str = RGB

    @property
    def key(self) -> str:
        """A name for the run that is also an identifier (a rule's named input or output)."""
        return key(self.k, self.mode, self.seed, self.space)


def key(k: int | str, mode: str, seed: int | str, space: str = RGB) -> str:
    """The name of the run of (K, mode, seed, space), for the rules to name its files by."""
    return f"{mode}_k{k}_s{seed}" + ("" if space == RGB else f"_{space}")


def dump(runs: Sequence[Run]) -> str:
    """The runs as the one JSON value a job takes; more than MAX_CHARS of them are refused,
    since no shell would run the job."""
    text = json.dumps(
        [
            {
                name: value
                for name, value in asdict(run).items()
                if value is not None and (name, value) != ("space", RGB)
            }
            for run in runs
        ],
        separators=(",", ":"),
    )
    if len(text) > MAX_CHARS:
        raise RunError(
            f"{len(runs)} runs in one job are {len(text):,} characters, more than a shell "
            f"command takes ({MAX_CHARS:,}): run fewer seeds or K values"
        )
    return text


def parse(text: str, *, writes_starts: bool = False) -> list[Run]:
    """The runs of a job from their JSON (`dump`), checked whole: each run complete, of a
    known mode, with initial centres exactly where its mode starts from shared ones; no two
    runs of the same (K, mode, seed, space) or writing the same file. The runs of a job that
    `writes_starts` are each of a shared-start mode and write its initial centres (`out`)."""
    try:
        given = json.loads(text)
    except json.JSONDecodeError as error:
        raise RunError(f"runs: not JSON ({error})") from None
    if not isinstance(given, list) or not given:
        raise RunError("runs: give a JSON list of at least one run")
    runs = [_run(item, writes_starts) for item in given]
    for label, values in (
        ("(K, mode, seed, space)", [run.key for run in runs]),
        ("output file", [run.out for run in runs]),
    ):
        repeated = sorted({value for value in values if values.count(value) > 1})
        if repeated:
            raise RunError(f"runs: two runs of one {label}: {repeated[0]}")
    return runs


def _run(item: Any, writes_starts: bool) -> Run:
    if not isinstance(item, dict) or not {"k", "mode", "seed", "out"} <= set(item):
        raise RunError(f"runs: {json.dumps(item)} is not a run: give k, mode, seed and out")
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise RunError(f"runs: {json.dumps(item)}: no field {unknown[0]}")
    k, mode, seed, out = (item[name] for name in ("k", "mode", "seed", "out"))
    init, space = item.get("init"), item.get("space", RGB)
    if not (_whole(k, 1) and _whole(seed, 0) and isinstance(out, str)):
        raise RunError(f"runs: {json.dumps(item)}: K at least 1, a seed at least 0, out a path")
    if mode not in MODES:
        raise RunError(f"runs: {json.dumps(item)}: no mode {mode} (modes: {', '.join(MODES)})")
    if space not in SPACES or (space != RGB and not MODES[mode].every_space):
        spaces = ", ".join(SPACES) if MODES[mode].every_space else RGB
        raise RunError(f"runs: {json.dumps(item)}: a {mode} run has no space {space} ({spaces})")
    if writes_starts and not MODES[mode].shared_start:
        raise RunError(f"runs: {json.dumps(item)}: a {mode} run has no shared start to write")
    if writes_starts and space != RGB:
        raise RunError(f"runs: {json.dumps(item)}: a shared start is written in {RGB} alone")
    wants_start = MODES[mode].shared_start and not writes_starts
    if wants_start != isinstance(init, str):
        needs = "needs" if wants_start else "takes no"
        raise RunError(f"runs: {json.dumps(item)}: a {mode} run {needs} initial centres (init)")
    return Run(k, mode, seed, out, init, space)


def _whole(value: Any, least: int) -> bool:
    """A whole number (not a boolean, which JSON keeps apart) of at least `least`."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= least
