"""The metric registry is the one list of metrics: every table, the ranking, the schema's
quality targets and the explorer derive from it, and each entry's flags say what its function
does."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT, small_photo
from kmquant import rate
from kmquant.explorer import SHOWN_METRICS
from kmquant.metrics import STORAGE_COLUMNS
from kmquant.pixels import Pixels
from kmquant.ranking import RANKING_COLUMNS
from kmquant.scoring import METRICS, RANKED, TARGETS, score_image
from kmquant.tables import FIT_COLUMNS, REFERENCE_COLUMNS


def _photo() -> Pixels:
    rgb = np.asarray(small_photo(24, 20))
    return Pixels(rgb, 255, np.arange(24 * 20))


def _nearest(pixels: Pixels, centres: np.ndarray) -> np.ndarray:
    features = pixels.rgb.reshape(-1, 3) / pixels.max_value
    return ((features[:, None] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)


def _scored(pixels: Pixels, k: int) -> dict[str, float]:
    """The scores of a K-colour palette drawn from the image's own pixels."""
    features = pixels.rgb.reshape(-1, 3) / pixels.max_value
    centres = features[np.linspace(0, len(features) - 1, k).astype(int)]
    return score_image(pixels, centres, _nearest(pixels, centres))


def test_a_scored_image_has_exactly_the_registered_metrics_and_the_storage() -> None:
    assert list(_scored(_photo(), 4)) == [*METRICS, *STORAGE_COLUMNS]


def test_every_table_of_outputs_has_a_column_per_metric_in_the_registrys_order() -> None:
    for columns in (FIT_COLUMNS, REFERENCE_COLUMNS):
        assert [c for c in columns if c in METRICS] == list(METRICS)
    assert [c for c in rate.RATE_COLUMNS if c in METRICS] == list(RANKED)
    assert "metric" in RANKING_COLUMNS
    assert list(SHOWN_METRICS[: len(METRICS)]) == list(METRICS)


@pytest.mark.parametrize("name", list(METRICS))
def test_the_better_direction_of_each_metric_is_what_its_flag_says(name: str) -> None:
    # A palette of 2 colours is worse than one of 48 by every measure: the flag decides
    # which way "better" points (SSE falls, PSNR rises).
    pixels = _photo()
    coarse, fine = _scored(pixels, 2)[name], _scored(pixels, 48)[name]
    assert coarse != fine
    assert (fine > coarse) == METRICS[name].higher_is_better


@pytest.mark.parametrize("name", list(METRICS))
def test_only_a_whole_image_metric_depends_on_where_the_pixels_are(name: str) -> None:
    # A metric of single pixels reads only the distinct colours and their counts, so moving
    # pixels about (with their labels) leaves it unchanged; a measure of neighbourhoods moves.
    pixels = _photo()
    features = pixels.rgb.reshape(-1, 3) / 255
    centres = features[[0, 100, 200, 300, 400]]
    order = np.random.default_rng(0).permutation(pixels.n)
    moved_rgb = pixels.rgb.reshape(-1, 3)[order].reshape(pixels.rgb.shape)
    moved = Pixels(moved_rgb, 255, np.arange(pixels.n))
    before = score_image(pixels, centres, _nearest(pixels, centres))[name]
    after = score_image(moved, centres, _nearest(moved, centres))[name]
    if METRICS[name].whole_image:
        assert after != pytest.approx(before, rel=1e-3)
    else:
        assert after == pytest.approx(before, rel=1e-12)


def test_a_target_reads_as_its_metric_and_direction() -> None:
    assert METRICS["psnr_db"].target_text(30) == "PSNR ≥ 30 dB"
    assert METRICS["mean_ciede2000"].target_text(2) == "mean CIEDE2000 ≤ 2 ΔE00"


def test_the_config_schema_accepts_exactly_the_targeted_metrics() -> None:
    import yaml

    schema = yaml.safe_load((ROOT / "workflow" / "config.schema.yaml").read_text())
    targets = schema["properties"]["quality_targets"]
    assert list(targets["properties"]) == list(TARGETS)
    assert set(targets["default"]) <= set(TARGETS)
    assert targets["additionalProperties"] is False
