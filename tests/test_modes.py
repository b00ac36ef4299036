"""The registry of modes is the one list every part of the study reads."""

from __future__ import annotations

import pytest
import yaml

from conftest import ROOT
from kmquant.config_checks import ConfigError, check_names
from kmquant.modes import MODES, figure_mode, mode_seeds, rate_mode


def test_the_config_check_accepts_exactly_the_registered_modes() -> None:
    check_names({"modes": list(MODES)})
    with pytest.raises(ConfigError, match=r"config key 'modes': 'lattice' is not one of \['matc"):
        check_names({"modes": ["matched", "lattice"]})


def test_the_default_study_runs_every_mode() -> None:
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert config["modes"] == list(MODES)


def test_shared_starts() -> None:
    assert [m.name for m in MODES.values() if m.shared_start] == ["matched", "tied"]
    assert [m.name for m in MODES.values() if m.off_lattice] == ["matched"]


def test_the_tied_experiment_runs_its_own_seeds_or_the_first() -> None:
    config = {"seeds": [4, 5, 6], "tied_seeds": [9]}
    assert mode_seeds("matched", config) == [4, 5, 6]
    assert mode_seeds("native", config) == [4, 5, 6]
    assert mode_seeds("tied", config) == [9]
    assert mode_seeds("tied", {"seeds": [4, 5, 6], "tied_seeds": None}) == [4]
    assert mode_seeds("tied", {"seeds": [4, 5, 6]}) == [4]


def test_figures_show_the_proof_when_it_ran_and_draw_every_mode() -> None:
    assert figure_mode(["native", "tied", "matched"]) == "matched"
    assert figure_mode(["native", "tied"]) == "tied"
    assert figure_mode(["native"]) == "native"
    # Each mode is told apart in grey print by its own line style.
    assert len({mode.linestyle for mode in MODES.values()}) == len(MODES)


def test_k_means_is_weighed_by_file_size_in_the_mode_users_get_when_it_ran() -> None:
    assert rate_mode(["matched", "tied", "native"]) == "native"
    assert rate_mode(["tied", "matched"]) == "matched"  # else the mode of the image figures
    assert rate_mode(["tied"]) == "tied"
