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


def test_the_figures_over_images_draw_medians_and_leave_out_undefined_values(tmp_path) -> None:
    """Over three images the rate-distortion line passes through the medians (bits per pixel
    and metric, worked out here by hand); a metric undefined on every image (SSIM of images
    smaller than its window) leaves its panel saying so, where a log axis of nothing failed."""
    import pandas as pd

    from kmquant import figures

    rows = [
        {
            "image": image,
            "method": method,
            "space": "rgb" if method == "python" else "",
            "k_requested": k,
            "bits_per_pixel": bpp,
            "psnr_db": psnr,
            "mean_ciede2000": 5.0,
            "ssim": float("nan"),
        }
        for image, (bpp, psnr) in zip("abc", [(1.0, 20.0), (2.0, 30.0), (4.0, 22.0)], strict=True)
        for method in ("python", "pngquant")
        for k in (2, 4)
    ]
    figure = figures.rate_distortion_over_images_figure(pd.DataFrame(rows), "matched")
    psnr, _, ssim = figure.axes[:3]
    (line, *_) = [line for line in psnr.get_lines() if line.get_gid() == "method:python"]
    assert list(line.get_xdata()) == [2.0, 2.0] and list(line.get_ydata()) == [22.0, 22.0]
    assert [text.get_text() for text in ssim.texts] == ["no finite value"]
    figures.save(figure, tmp_path / "over")
    assert (tmp_path / "over.svg").stat().st_size > 0


def test_the_agreement_matrix_over_images_of_a_study_of_one_implementation_is_empty(
    tmp_path,
) -> None:
    """One implementation has no pairs: agreement_over_images.csv is its header alone, and the
    figure is drawn empty (it failed on the empty table)."""
    import pandas as pd

    from kmquant import figures
    from kmquant.over_images import AGREEMENT_OVER_IMAGES_COLUMNS

    empty = pd.DataFrame(columns=list(AGREEMENT_OVER_IMAGES_COLUMNS))
    figure = figures.matrix_over_images_figure(empty)
    assert "of at most 0" in figure.get_suptitle()
    figures.save(figure, tmp_path / "matrix")
