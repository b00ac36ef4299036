"""Figure details that a reader relies on."""

from __future__ import annotations


def test_metric_figures_mark_warned_and_failed_fits(tmp_path) -> None:
    import pandas as pd

    from kmquant import figures

    rows = [
        {"image": "a", "impl": impl, "mode": "matched", "k_requested": k, "seed": 0,
         "status": status, "sse": sse}
        for impl, k, status, sse in [
            ("python", 2, "ok", 10.0), ("python", 4, "warning", 5.0),
            ("r", 2, "ok", 10.0), ("r", 4, "error", None),
        ]
    ]  # fmt: skip
    figure = figures.metric_panels(pd.DataFrame(rows), [("sse", "SSE", "SSE", True)], "test")
    svg = figures.save(figure, tmp_path / "m")[1].read_text()
    assert "fit warned (see fits.csv)" in svg
    assert "fit failed (no value)" in svg


def test_large_images_are_subsampled_for_the_grid_keeping_only_palette_colours(tmp_path) -> None:
    import numpy as np
    from PIL import Image

    from kmquant import figures

    palette = np.array([[255, 0, 0], [0, 0, 255], [9, 9, 9]], dtype=np.uint8)
    labels = np.random.default_rng(0).integers(0, 3, (1300, 2500))
    Image.fromarray(palette[labels]).save(tmp_path / "big.png")
    shown = figures._png_pixels(tmp_path / "big.png")
    assert shown.shape == (434, 834, 3)  # every 3rd row and column: 2500 / 3 <= 1200 < 2500 / 2
    np.testing.assert_array_equal(shown, palette[labels[::3, ::3]])


def test_figures_are_drawn_by_name_and_an_unknown_name_is_refused(tmp_path) -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "kmquant", "figure", "--tables", str(tmp_path / "t.csv")]
    unknown = [*command, "--figures", "timing", "nope", "--out", "a", "b"]
    done = subprocess.run(unknown, capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "figure: no figure named nope" in done.stderr
    uneven = [*command, "--figures", "timing", "--out", "a", "b"]
    done = subprocess.run(uneven, capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "one stem per figure" in done.stderr
