"""The explorer in a real browser: Debian's chromium, headless, driven by Playwright."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import whole_run
from kmquant import explorer
from kmquant.images import amplified_difference
from kmquant.implementations import IMPLEMENTATIONS
from kmquant.paths import Results
from kmquant.spaces import RGB, SPACES

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (./setup.sh test installs it)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A page that records every request it makes."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    context.close()


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def fit_row(
    run: Path, impl: str, mode: str, image: str, k: int, space: str = RGB
) -> dict[str, str]:
    (row,) = [
        r
        for r in rows(run / "results" / "tables" / "fits.csv")
        if (r["impl"], r["mode"], r["space"], r["image"], r["k_requested"], r["seed"])
        == (impl, mode, space, image, str(k), "0")
    ]
    return row


def pair_row(
    run: Path, mode: str, image: str, k: int, a: str, b: str, space: str = RGB
) -> dict[str, str]:
    (row,) = [
        r
        for r in rows(run / "results" / "tables" / "agreement.csv")
        if (r["mode"], r["space"], r["image"], r["k_requested"], r["seed"], r["impl_a"])
        == (mode, space, image, str(k), "0", a)
        and r["impl_b"] == b
    ]
    return row


def png_palette(path: Path) -> list[str]:
    """The hex colours of an indexed PNG's palette, in index order, read with Pillow."""
    with Image.open(path) as im:
        flat = im.getpalette()
    return ["#" + bytes(flat[i : i + 3]).hex() for i in range(0, len(flat), 3)]


def shown_images(page: object) -> dict[str, tuple[str, int]]:
    """Each panel's image source and the width it decoded to (0: failed to load)."""
    page.wait_for_function("() => [...document.images].every((img) => img.hidden || img.complete)")
    shown = page.evaluate(
        """() => Object.fromEntries(["original", "a", "b", "reference"]
                                   .map((name) => {
               const img = document.getElementById(`img-${name}`);
               return [name, [img.getAttribute("src"), img.naturalWidth]];
           }))"""
    )
    return {name: tuple(value) for name, value in shown.items()}


def shown_metric(page: object, impl: str, field: str) -> float:
    return float(page.text_content(f'#metrics td[data-impl="{impl}"][data-field="{field}"]'))


def check_view(
    page: object,
    run: Path,
    image: str,
    mode: str,
    k: int,
    width: int,
    a: str = "python",
    b: str = "r",
    space: str = RGB,
) -> None:
    """What the page shows is the run's PNGs, palettes, metrics and verdict for this choice."""
    name = Results().image(a, mode, image, k, 0, space).name
    assert page.text_content("#k-value") == f"K = {k}"
    images = shown_images(page)
    assert images["original"] == (f"../images/original/{image}.png", width)
    for side, impl in (("a", a), ("b", b)):
        assert images[side] == (f"../images/{impl}/{mode}/{image}/{name}", width)
        png = run / "results" / "images" / impl / mode / image / name
        swatches = page.locator(f"#palette-{side} .swatch").all_text_contents()
        assert sorted(swatches) == sorted(png_palette(png))
        expected = fit_row(run, impl, mode, image, k, space)
        for field in ("psnr_db", "sse", "mean_ciede2000", "indexed_png_bytes"):
            assert shown_metric(page, impl, field) == pytest.approx(
                float(expected[field]), rel=1e-5
            ), field
    ordered = sorted((a, b), key=list(IMPLEMENTATIONS).index)
    pair = pair_row(run, mode, image, k, *ordered, space=space)
    assert page.get_attribute("#verdict", "data-verdict") == pair["verdict"]
    assert page.text_content('#agreement td[data-field="verdict"]') == pair["verdict"]
    ari = page.text_content('#agreement td[data-field="adjusted_rand_index"]')
    assert float(ari) == pytest.approx(float(pair["adjusted_rand_index"]), rel=1e-5)
    # Beside them, the first reference quantizer at the same K, from the reference table.
    assert images["reference"] == (f"../reference/pngquant/{image}/k{k}.png", width)
    (expected,) = [
        r
        for r in rows(run / "results" / "tables" / "reference.csv")
        if (r["method"], r["image"], r["k_requested"]) == ("pngquant", image, str(k))
    ]
    for field in ("psnr_db", "sse", "mean_ciede2000", "indexed_png_bytes"):
        assert shown_metric(page, "reference", field) == pytest.approx(
            float(expected[field]), rel=1e-5
        ), field
    assert shown_metric(page, "reference", "k_effective") == float(expected["n_colours"])
    assert page.text_content("#cap-reference").startswith(expected["version"])
    assert page.url.endswith(
        f"#image={image}&mode={mode}&space={space}&k={k}&seed=0&a={a}&b={b}&reference=pngquant"
    )


def test_explorer_follows_the_slider_image_and_mode(
    tiny_run: Path, page: object, tmp_path: Path
) -> None:
    html = tiny_run / "results" / "report" / "explorer.html"
    assert not re.search(r"https?://", html.read_text()), "nothing may load from the network"
    page.goto(html.as_uri())
    check_view(page, tiny_run, "five_colours", "matched", 2, width=30)

    page.select_option("#image", "photo")
    page.focus("#k")
    page.keyboard.press("ArrowRight")  # the slider, moved as a person would
    check_view(page, tiny_run, "photo", "matched", 8, width=48)
    # Matched, identical fits: the same colours in the same order on both rows.
    python = page.locator("#palette-a .swatch").all_text_contents()
    assert python == page.locator("#palette-b .swatch").all_text_contents()
    assert python == png_palette(
        tiny_run / "results" / "images" / "python" / "matched" / "photo" / "k8_s0.png"
    )

    assert page.locator("#palette-b .differs").count() == 0

    page.select_option("#mode", "native")
    check_view(page, tiny_run, "photo", "native", 8, width=48)
    python = page.locator("#palette-a .swatch").all_text_contents()
    r = page.locator("#palette-b .swatch").all_text_contents()
    differing = [j for j, (a, b) in enumerate(zip(python, r, strict=True)) if a != b]
    outlined = page.locator("#palette-b .swatch").evaluate_all(
        "(cells) => cells.flatMap((cell, j) => cell.classList.contains('differs') ? [j] : [])"
    )
    assert differing and outlined == differing
    page.screenshot(path=tmp_path / "explorer.png", full_page=True)
    with Image.open(tmp_path / "explorer.png") as shot:
        assert shot.width == 1300 and shot.height >= 900
    assert all(url.startswith("file://") for url in page.requests), page.requests


def test_a_link_with_a_choice_opens_on_that_choice(tiny_run: Path, page: object) -> None:
    html = tiny_run / "results" / "report" / "explorer.html"
    page.goto(html.as_uri() + "#image=photo&mode=native&k=8&seed=0&a=faiss&b=elkan")
    check_view(page, tiny_run, "photo", "native", 8, width=48, a="faiss", b="elkan")


def test_the_reference_beside_them_is_chosen_or_left_out(tiny_run: Path, page: object) -> None:
    html = tiny_run / "results" / "report" / "explorer.html"
    page.goto(html.as_uri() + "#image=photo&mode=native&k=8&seed=0&reference=libimagequant")
    assert page.input_value("#reference") == "libimagequant"
    assert shown_images(page)["reference"] == ("../reference/libimagequant/photo/k8.png", 48)
    page.select_option("#reference", "pillow_fastoctree")
    assert shown_images(page)["reference"] == ("../reference/pillow_fastoctree/photo/k8.png", 48)
    assert page.url.endswith("&reference=pillow_fastoctree")
    page.select_option("#reference", "")
    assert page.is_hidden("figure.reference")
    assert page.locator('#metrics td[data-impl="reference"]').count() == 0
    assert page.url.endswith("#image=photo&mode=native&space=rgb&k=8&seed=0&a=python&b=r")


def test_what_a_byte_buys_shows_the_figure_and_each_methods_k_per_target(
    tiny_run: Path, page: object
) -> None:
    html = tiny_run / "results" / "report" / "explorer.html"
    page.goto(html.as_uri() + "#image=photo&mode=native&k=8&seed=0")
    page.wait_for_function("() => document.getElementById('img-rate').complete")
    source, width = page.evaluate(
        "() => [document.getElementById('img-rate').getAttribute('src'),"
        " document.getElementById('img-rate').naturalWidth]"
    )
    assert source == "../figures/rate_distortion.png" and width > 0
    expected = [
        r
        for r in rows(tiny_run / "results" / "tables" / "k_for_quality.csv")
        if r["image"] == "photo"
    ]
    # every implementation and the five quantizers, at eight default targets
    assert len(expected) == (len(IMPLEMENTATIONS) + 5) * 8
    for row in expected:
        target = float(row["target"])
        key = f"{row['metric']}|{int(target) if target.is_integer() else target}"
        where = f'[data-method="{row["method"]}"][data-target="{key}"]'
        cell = page.locator(f"#k-for-quality td{where}")
        text = "not reached"
        if row["reached"] == "true":
            text = f"K = {row['k_requested']}: {round(float(row['indexed_png_bytes']))} bytes"
        assert cell.text_content() == text, key
        assert (cell.get_attribute("class") == "smallest") == (row["smallest_file"] == "true")


def test_a_failed_fit_is_shown_with_its_message(
    tiny_run: Path, page: object, tmp_path: Path
) -> None:
    results = tiny_run / "results"
    data = explorer.explorer_data(whole_run(results), tmp_path)
    view = data["views"]["photo|matched|rgb|8|0"]
    view["fits"]["r"] |= {
        "status": "error",
        "message": "initial centers are not distinct",
        "png": None,
        "palette": None,
    }
    failure = "r failed: initial centers are not distinct"
    view["pairs"]["python|r"] |= {"verdict": "failed", "match": None, "message": failure}
    page_path = tmp_path / "explorer.html"
    page_path.write_text(explorer.render(data), encoding="utf-8")
    page.goto(page_path.as_uri() + "#image=photo&mode=matched&k=8&seed=0")
    assert page.is_hidden("#img-b") and page.is_hidden("#blend")
    assert "initial centers are not distinct" in page.text_content("figure.b .missing")
    assert page.text_content("#palette-b").endswith("initial centers are not distinct")
    assert page.text_content("#verdict") == (
        "Python (scikit-learn) and R (stats::kmeans): failed. "
        "r failed: initial centers are not distinct"
    )
    assert shown_images(page)["a"][1] == 48


def blended_difference(page: object) -> np.ndarray:
    """The difference panel as the browser draws it, at the PNGs' own size, as RGB pixels."""
    page.add_style_tag(
        content="figure.difference img { width: auto; } .blend { position: fixed;"
        " top: 0; left: 0; z-index: 9; width: max-content; }"
    )
    page.wait_for_function("() => document.getElementById('diff-b').complete")
    shot = page.locator("#blend").screenshot()
    with Image.open(io.BytesIO(shot)) as im:
        return np.asarray(im.convert("RGB"))


def test_the_browser_draws_the_difference_of_any_pair_as_the_study_computes_it(
    tiny_run: Path, page: object
) -> None:
    """The headline pair's difference, blended by the browser, is the study's own difference
    PNG pixel for pixel; any other pair is drawn from its two PNGs the same way."""
    results = tiny_run / "results"
    html = results / "report" / "explorer.html"
    page.set_viewport_size({"width": 1300, "height": 900})
    page.goto(html.as_uri() + "#image=photo&mode=native&k=8&seed=0&a=python&b=r")
    stored = np.asarray(
        Image.open(results / "images" / "difference" / "native" / "photo" / "k8_s0.png").convert(
            "RGB"
        )
    )
    assert stored.any()  # the native fits differ: a real difference to draw
    np.testing.assert_array_equal(blended_difference(page), stored)
    page.goto(html.as_uri() + "#image=photo&mode=native&k=8&seed=0&a=faiss&b=opencv")
    page.reload()
    pngs = [
        np.asarray(
            Image.open(results / "images" / impl / "native" / "photo" / "k8_s0.png").convert("RGB")
        )
        for impl in ("faiss", "opencv")
    ]
    np.testing.assert_array_equal(blended_difference(page), amplified_difference(*pngs))


def test_the_matrix_shows_every_pair_and_a_click_shows_it(tiny_run: Path, page: object) -> None:
    html = tiny_run / "results" / "report" / "explorer.html"
    page.goto(html.as_uri() + "#image=photo&mode=matched&k=8&seed=0")
    cells = page.locator("#matrix td.pair")
    n = len(IMPLEMENTATIONS)
    assert cells.count() == n * (n - 1)
    cell = page.locator('#matrix td.pair[data-a="opencv"][data-b="scipy"]')
    row = pair_row(tiny_run, "matched", "photo", 8, "scipy", "opencv")
    assert cell.get_attribute("data-verdict") == row["verdict"]
    assert float(cell.text_content()) == pytest.approx(float(row["share_equal_labels"]))
    cell.click()
    assert (page.input_value("#a"), page.input_value("#b")) == ("opencv", "scipy")
    check_view(page, tiny_run, "photo", "matched", 8, width=48, a="opencv", b="scipy")


def test_a_datasets_image_is_shown_with_its_credit(
    tiny_run: Path, page: object, tmp_path: Path
) -> None:
    """The credit of images.csv, as text (an author's name is never read as markup) with a
    link to its source; an image of no dataset has none."""
    results = shutil.copytree(tiny_run / "results", tmp_path / "results", symlinks=True)
    table = rows(results / "tables" / "images.csv")
    credit = {
        "dataset": "cq100",
        "licence": "CC BY-SA 4.0",
        "author": "<b>A. Author</b>",
        "source_url": "https://example.org/photo",
    }
    for row in table:
        row.update(credit if row["image"] == "photo" else {})
    with open(results / "tables" / "images.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    page_path = results / "report" / "explorer.html"
    explorer.write(whole_run(results), page_path)
    page.goto(page_path.as_uri() + "#image=photo&mode=matched&k=8&seed=0")
    assert page.text_content("#credit") == (
        "Image of the dataset cq100: by <b>A. Author</b>, CC BY-SA 4.0 (source)."
    )
    assert page.get_attribute("#credit a", "href") == "https://example.org/photo"
    page.select_option("#image", "five_colours")
    assert page.is_hidden("#credit")
    shown = explorer.explorer_data(whole_run(tiny_run / "results"), tmp_path)["credits"]
    assert shown == {}  # the tiny study has no dataset


def test_a_hundred_images_are_found_by_name_and_loaded_only_when_shown(
    tiny_run: Path, page: object, tmp_path: Path
) -> None:
    """The tiny run's photo under a hundred names (as a study of CQ100 has): typing in Find
    narrows the image menu to the names that hold the text, the page shows the first of
    them, and it loads only the images of the view it shows, not a hundred originals."""
    data = explorer.explorer_data(whole_run(tiny_run / "results"), tmp_path)
    names = [f"photo_{n:03d}" for n in range(100)]
    for key in [key for key in data["views"] if key.startswith("photo|")]:
        for name in names:
            data["views"][key.replace("photo|", f"{name}|", 1)] = data["views"][key]
    # Each name's original its own URL (the same file, told apart by a query).
    data["images"] = {name: f"{data['images']['photo']}?{name}" for name in names}
    (tmp_path / "explorer.html").write_text(explorer.render(data), encoding="utf-8")

    page.goto((tmp_path / "explorer.html").as_uri())
    assert page.locator("#image option").count() == 100
    assert page.text_content("#find-count") == "100 of 100"
    page.fill("#find", "_04")
    options = page.locator("#image option").all_text_contents()
    assert options == [f"photo_{n:03d}" for n in range(40, 50)]
    assert page.text_content("#find-count") == "10 of 100"
    assert page.input_value("#image") == "photo_040"
    assert "image=photo_040" in page.url
    page.select_option("#image", "photo_047")
    assert "image=photo_047" in page.url
    assert shown_images(page)["original"][1] == 48  # the photo, loaded
    originals = {url.rsplit("?", 1)[1] for url in page.requests if "?" in url}
    assert originals == {"photo_000", "photo_040", "photo_047"}  # shown, and only those
    page.fill("#find", "")
    assert page.locator("#image option").count() == 100
    assert page.input_value("#image") == "photo_047"


def test_the_space_menu_shows_each_space_s_fits_and_what_did_not_run(
    spaced_run: Path, page: object
) -> None:
    html = spaced_run / "results" / "report" / "explorer.html"
    page.goto(html.as_uri() + "#image=photo&mode=native&space=cielab&k=8&seed=0")
    assert page.input_value("#space") == "cielab"
    check_view(page, spaced_run, "photo", "native", 8, width=48, space="cielab")
    assert "clustered in CIELAB" in page.text_content("#mode-text")
    page.select_option("#space", "oklab")
    check_view(page, spaced_run, "photo", "native", 8, width=48, space="oklab")
    menu = page.locator("#space option").all_text_contents()
    assert menu == [SPACES[name].label for name in ("rgb", "cielab", "oklab")]
    # The tied experiment runs in sRGB alone.
    page.select_option("#mode", "tied")
    assert page.text_content("#cap-a") == "Python (scikit-learn): not run"
    page.select_option("#space", "rgb")
    check_view(page, spaced_run, "photo", "tied", 8, width=48)
