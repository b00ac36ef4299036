"""The checks of a study's config beyond its schema, and the narrowing of the lists that must
lie within another (an implementation's K values within `k_values`, a mode's seeds within
`seeds`) when `k_values` or `seeds` is narrowed, say on the command line."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from kmquant.implementations import IMPLEMENTATIONS, implementation_ks
from kmquant.modes import MODES, TRACED_MODE
from kmquant.reference import QUANTIZERS
from kmquant.spaces import RGB, SPACES

#: The config keys that name entries of a registry (a list of names, or a map keyed by them),
#: and that registry: the names are the registries', so the schema does not repeat them.
NAMED: dict[str, Mapping[str, Any]] = {
    "modes": MODES,
    "implementations": IMPLEMENTATIONS,
    "implementation_k_values": IMPLEMENTATIONS,
    "reference_quantizers": QUANTIZERS,
    "spaces": SPACES,
    "space_implementations": IMPLEMENTATIONS,
}
#: The keys that, left out, name every entry of their registry.
EVERY = ("implementations", "reference_quantizers")


class ConfigError(ValueError):
    """A config that names something that is not there, or a key by an old name."""


#: Keys renamed since an earlier version of the study: old name, new name. One-letter keys
#: cannot be set with `snakemake --config` (Snakemake 8.17 and later reject them).
RENAMED_KEYS = {"k": "k_values"}


def with_integer_lists(config: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """The config with the whole numbers of every integer list as integers.

    Snakemake's `--config k_values='[2,16]'` gives the list ['2', '16'] (it infers types only
    for top-level values); every other value is left for the schema to judge.
    """
    fixed = dict(config)
    for key, spec in schema["properties"].items():
        if spec.get("items", {}).get("type") == "integer" and isinstance(fixed.get(key), list):
            fixed[key] = [
                int(v) if isinstance(v, str) and re.fullmatch(r"[+-]?\d+", v.strip()) else v
                for v in fixed[key]
            ]
    return fixed


def _subsets(config: Mapping[str, Any]) -> list[tuple[str, str | None, str]]:
    """(key, entry of the key or None, the key its values must be among) for every list the
    study will use that must lie within another: a mode's own seeds, the seeds of the
    implementations beyond the headline pair and of the convergence traces (where they are
    drawn) within `seeds`, each implementation's K values within `k_values`. (A
    `convergence_k` beyond `k_values` is fitted for its trace alone.)"""
    modes = [mode for mode in config.get("modes") or [] if mode in MODES]
    keys = {MODES[mode].seeds_key for mode in modes} | {"cross_seeds", "space_seeds"}
    if TRACED_MODE in modes and config.get("convergence_k"):
        keys.add("convergence_seeds")
    lists: list[tuple[str, str | None, str]] = [
        (key, None, "seeds") for key in sorted(keys - {"seeds"}) if config.get(key)
    ]
    if config.get("space_k_values"):
        lists.append(("space_k_values", None, "k_values"))
    names = sorted(config.get("implementation_k_values") or {})
    return lists + [("implementation_k_values", name, "k_values") for name in names]


def narrowed(config: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The config with every list that must lie within another cut to the values that do,
    and one sentence for each value so left out: narrowing `k_values` or `seeds` (on the
    command line, say) narrows every list drawn from it. A list left with no value is an
    error, which names the key."""
    fixed = dict(config)
    fixed["implementation_k_values"] = dict(config.get("implementation_k_values") or {})
    dropped = []
    for key, entry, among in _subsets(config):
        name = f"{key}: {entry}" if entry else key
        values = fixed[key][entry] if entry else fixed[key]
        kept = [value for value in values if value in config[among]]
        outside = f"among '{among}' {config[among]}"
        if not kept:
            fix = f"add one to '{among}' or change '{key}'"
            raise ConfigError(f"config key '{name}': none of {values} is {outside}: {fix}")
        if entry:
            fixed[key][entry] = kept
        else:
            fixed[key] = kept
        left_out = [value for value in values if value not in kept]
        if left_out:
            dropped.append(f"config key '{name}': {left_out} not {outside}, left out")
    return fixed, dropped


def check_config(config: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    """What the schema cannot say of a narrowed config: a whole number written as a float
    (300.0, which JSON Schema counts as an integer but a command line does not) and a K that
    no implementation runs (its pairs would compare nothing). One message names the key and
    the value."""
    for key, spec in schema["properties"].items():
        for value in _integers(config.get(key), spec):
            if isinstance(value, float):
                raise ConfigError(
                    f"config key '{key}': {value} is not a whole number: write {int(value)}"
                )
    if RGB not in config.get("spaces", [RGB]):
        raise ConfigError(
            f"config key 'spaces': {config['spaces']} leaves out {RGB!r}, the space of every "
            "result the other spaces are set beside: add it"
        )
    names = config.get("implementations", list(IMPLEMENTATIONS))
    run = {k for name in names for k in implementation_ks(name, config)}
    for k in config["k_values"]:
        if k not in run:
            raise ConfigError(
                f"config key 'k_values': {k} is run by no implementation of "
                f"'implementations' {names}: let one run it in "
                "'implementation_k_values' or remove it"
            )


def with_registry_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of EVERY that `config` leaves out, each naming every entry of its registry,
    and `spaces` left out: sRGB alone, the study's own space."""
    every = {key: list(NAMED[key]) for key in EVERY if key not in config}
    return every | ({} if "spaces" in config else {"spaces": [RGB]})


def check_names(config: Mapping[str, Any]) -> None:
    """Every name the config gives in a key of NAMED is an entry of that key's registry."""
    for key, registry in NAMED.items():
        unknown = [name for name in config.get(key) or [] if name not in registry]
        if unknown:
            raise ConfigError(f"config key '{key}': {unknown[0]!r} is not one of {list(registry)}")


def check_figure_images(chosen: Sequence[str] | None, images: Sequence[str]) -> None:
    """Every image named in `per_image_figures` (`chosen`) is an image of the study."""
    unknown = [name for name in chosen or [] if name not in images]
    if unknown:
        raise ConfigError(
            f"config key 'per_image_figures': {unknown[0]} is not an image of "
            "the study (images.csv names them)"
        )


def _integers(value: Any, spec: Mapping[str, Any]) -> list[Any]:
    """The values of `value` that `spec` (of the schema) types as integers."""
    types = spec.get("type")
    if types == "integer" or (isinstance(types, list) and "integer" in types):
        return [value]
    if isinstance(value, list):
        return [v for item in value for v in _integers(item, spec.get("items", {}))]
    if isinstance(value, dict) and isinstance(spec.get("additionalProperties"), dict):
        return [v for item in value.values() for v in _integers(item, spec["additionalProperties"])]
    return []


def check_renamed_keys(config: Mapping[str, Any]) -> None:
    """One clear message for a config that still uses a key's old name."""
    for old, new in RENAMED_KEYS.items():
        if old in config:
            raise ConfigError(f"config key '{old}' is now called '{new}': rename it")
