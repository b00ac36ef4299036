"""The compressed images: each fit's indexed PNG with the scored record of the image it shows
beside it (docs/design.md, "The data path", step 5), the original as an optimized RGB PNG,
the amplified differences of two implementations' PNGs, and one image compressed on its own
(`kmquant compress`)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from kmquant.atomic import atomic_path, write_bytes
from kmquant.fitting import FitResult, Task, fit_image, load, space_of
from kmquant.images import amplified_difference, decode_png, encode_original_png, encode_png
from kmquant.metrics import palette_8bit
from kmquant.modes import USER_MODE
from kmquant.paths import record_name, run_name
from kmquant.pixels import Pixels, prepare
from kmquant.scoring import image_psnr, score_image
from kmquant.spaces import RGB, to_srgb


class FitFailed(RuntimeError):
    """The fit of `kmquant compress` ended without centres."""


class NoFolder(ValueError):
    """A fit of an implementation and mode that `write_images` was given no folder for."""


def write_images(
    pixels: Pixels, fits: Sequence[str | Path], outs: Mapping[tuple[str, str], str | Path]
) -> None:
    """Into the folder `outs` names for each fit's (implementation, mode): every successful
    fit's indexed PNG and its scored record (a failed fit has neither). The image's colours
    are converted to CIELAB once for every fit."""
    with contextlib.ExitStack() as stack:
        folders = {
            key: stack.enter_context(atomic_path(out, directory=True)) for key, out in outs.items()
        }
        for path in fits:
            result = load(path)
            if not result.ok:
                continue
            key = (result.meta["impl"], result.meta["mode"])
            if key not in folders:
                raise NoFolder(f"{path}: a fit of {'/'.join(key)}, given no folder")
            space = space_of(result.meta)
            name = run_name(result.meta["k_requested"], result.meta["seed"], space)
            shown = to_srgb(space, result.centres)[0]
            png = encode_png(result.labels.reshape(pixels.shape), palette_8bit(shown))
            (folders[key] / f"{name}.png").write_bytes(png)
            record = score_image(pixels, shown, result.labels)
            text = json.dumps(record, sort_keys=True, indent=1) + "\n"
            (folders[key] / record_name(name)).write_text(text, encoding="utf-8")


def write_original(pixels: Pixels, out: str | Path) -> None:
    """The original as an optimized RGB PNG, the reference of every file size."""
    write_bytes(out, encode_original_png(pixels.rgb, pixels.max_value))


def write_differences(a: str | Path, b: str | Path, out: str | Path) -> None:
    """Into the folder `out`: |a - b| x AMPLIFY per channel of every PNG the folders `a` and
    `b` both hold, under its name."""
    with atomic_path(out, directory=True) as folder:
        for a_png in sorted(Path(a).glob("*.png")):
            b_png = Path(b) / a_png.name
            if b_png.exists():
                shown_a, shown_b = (decode_png(path.read_bytes()) for path in (a_png, b_png))
                png = encode_original_png(amplified_difference(shown_a, shown_b), 255)
                (folder / a_png.name).write_bytes(png)


def compress(
    image: str | Path,
    out: str | Path,
    k: int,
    impl: str,
    seed: int,
    max_iter: int,
    fit_max_pixels: int,
    sample_seed: int,
    background: str,
    threads: int | None,
    compress_level: int | None = None,
    space: str = RGB,
) -> tuple[FitResult, float, int]:
    """Fit K colours to the image's fit sample in a colour `space` (kmquant.spaces) with
    `impl`'s own seeded defaults, give every pixel its nearest colour there and write the
    indexed PNG to `out` (the study's smallest file, or at a zlib `compress_level`): the fit
    (its meta also saying how many centres lay outside the sRGB gamut, shown clipped), the
    PSNR of the written image and the PNG's size in bytes."""
    loaded = prepare(image, fit_max_pixels, sample_seed, background)
    task = Task(Path(image).stem, impl, USER_MODE, k, seed)
    result = fit_image(loaded, task, max_iter, threads, space=space)
    if not result.ok:
        raise FitFailed(f"the {impl} fit failed: {result.meta['message']}")
    shown = to_srgb(space, result.centres)[0]
    png = encode_png(result.labels.reshape(loaded.shape), palette_8bit(shown), compress_level)
    write_bytes(out, png)
    return result, image_psnr(loaded, shown, result.labels), len(png)
