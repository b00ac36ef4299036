"""Regenerate the README's pictures from a finished default study:

    python docs/readme_images.py RESULTS_FOLDER

copies two figures and photographs the explorer (Debian's chromium, headless) into docs/.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent
VIEW = "#image=china&mode=matched&k=64&seed=0&a=python&b=opencv"


def main(results: Path) -> None:
    for figure in ("rate_distortion", "matrix"):
        shutil.copyfile(results / "figures" / f"{figure}.png", DOCS / f"{figure}.png")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto((results / "report" / "explorer.html").resolve().as_uri() + VIEW)
        page.wait_for_function("() => [...document.images].every((i) => i.hidden || i.complete)")
        page.screenshot(path=DOCS / "explorer.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
