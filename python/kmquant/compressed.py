"""The compressed images of a study's fits: each fit's indexed PNG, and beside it the scored
record of the image it shows (docs/design.md, "The data path", step 5)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from kmquant.atomic import atomic_path
from kmquant.fitting import load
from kmquant.images import encode_png
from kmquant.metrics import palette_8bit
from kmquant.paths import record_name, run_name
from kmquant.pixels import Pixels
from kmquant.scoring import score_image


def write_images(pixels: Pixels, fits: Sequence[str | Path], out: str | Path) -> None:
    """Into the folder `out`: every successful fit's indexed PNG and its scored record (a
    failed fit has neither)."""
    with atomic_path(out, directory=True) as folder:
        for path in fits:
            result = load(path)
            if not result.ok:
                continue
            name = run_name(result.meta["k_requested"], result.meta["seed"])
            png = encode_png(result.labels.reshape(pixels.shape), palette_8bit(result.centres))
            (folder / f"{name}.png").write_bytes(png)
            record = score_image(pixels, result.centres, result.labels)
            text = json.dumps(record, sort_keys=True, indent=1) + "\n"
            (folder / record_name(name)).write_text(text, encoding="utf-8")
