"""The registry of colour spaces a fit can cluster in (docs/design.md, "Colour spaces"): each
space's forward transform of sRGB in [0, 1], its inverse back to sRGB, and its units.

A fit in a space clusters the forward transform of the pixels' colours, labels each pixel by
its nearest centre in that space, and shows each centre as the 8-bit sRGB colour its inverse
gives: clipped to the sRGB cube, then rounded (`to_srgb`). The constants are typed from their
sources (IEC 61966-2-1, the CIE, Ottosson's post that defines Oklab) and tested against
colour-science, the field's reference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

# numpy is imported where a transform runs: the command line reads this registry for its
# choices without importing any array library.
if TYPE_CHECKING:
    import numpy as np

#: ... x 3 coordinates to ... x 3 coordinates.
Transform = Callable[["np.ndarray"], "np.ndarray"]
Matrix = tuple[tuple[float, float, float], ...]

#: IEC 61966-2-1's matrix from linear sRGB to XYZ (four digits, as the standard prints it and
#: colour-science uses it).
SRGB_TO_XYZ: Matrix = ((0.4124, 0.3576, 0.1805), (0.2126, 0.7152, 0.0722), (0.0193, 0.1192, 0.9505))
#: The CIE's D65 white (x, y) = (0.3127, 0.3290) as XYZ with Y = 1.
D65 = (0.3127 / 0.3290, 1.0, (1 - 0.3127 - 0.3290) / 0.3290)
#: The CIE's exact constants of the cube root's linear part.
LAB_EPSILON = 216 / 24389
LAB_KAPPA = 24389 / 27
#: Ottosson's Oklab, as his post defining it computes it from sRGB (`linear_srgb_to_oklab`):
#: linear sRGB to LMS, and the cube roots of LMS to L, a, b.
OKLAB_M1: Matrix = (
    (0.4122214708, 0.5363325363, 0.0514459929),
    (0.2119034982, 0.6806995451, 0.1073969566),
    (0.0883024619, 0.2817188376, 0.6299787005),
)
OKLAB_M2: Matrix = (
    (0.2104542553, 0.7936177850, -0.0040720468),
    (1.9779984951, -2.4285922050, 0.4505937099),
    (0.0259040371, 0.7827717662, -0.8086757660),
)


def srgb_decode(rgb: np.ndarray) -> np.ndarray:
    """Linear light of sRGB values (IEC 61966-2-1's transfer curve), extended to values outside
    [0, 1] by symmetry, so that an out-of-gamut colour keeps its sign."""
    import numpy as np

    size = np.abs(rgb)
    linear = np.where(size <= 0.04045, size / 12.92, ((size + 0.055) / 1.055) ** 2.4)
    return np.copysign(linear, rgb)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """sRGB values of linear light, the inverse of `srgb_decode`."""
    import numpy as np

    size = np.abs(linear)
    rgb = np.where(size <= 0.0031308, size * 12.92, 1.055 * size ** (1 / 2.4) - 0.055)
    return np.copysign(rgb, linear)


def srgb_to_cielab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65, 2 degree observer) by the CIE's formula with the sRGB standard's matrix."""
    import numpy as np

    t = srgb_decode(rgb) @ np.transpose(SRGB_TO_XYZ) / D65
    f = np.where(t > LAB_EPSILON, np.cbrt(t), (LAB_KAPPA * t + 16) / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def cielab_to_srgb(lab: np.ndarray) -> np.ndarray:
    import numpy as np

    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    t = np.where(f**3 > LAB_EPSILON, f**3, (116 * f - 16) / LAB_KAPPA)
    return srgb_encode((t * D65) @ np.linalg.inv(SRGB_TO_XYZ).T)


def srgb_to_oklab(rgb: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.cbrt(srgb_decode(rgb) @ np.transpose(OKLAB_M1)) @ np.transpose(OKLAB_M2)


def oklab_to_srgb(lab: np.ndarray) -> np.ndarray:
    import numpy as np

    lms = (lab @ np.linalg.inv(OKLAB_M2).T) ** 3
    return srgb_encode(lms @ np.linalg.inv(OKLAB_M1).T)


def _same(values: np.ndarray) -> np.ndarray:
    return values


@dataclass(frozen=True)
class Space:
    name: str
    #: Its name in prose.
    label: str
    #: sRGB in [0, 1] to the space's coordinates, float64.
    forward: Transform
    #: The space's coordinates to sRGB, unclipped: outside [0, 1] where a coordinate lies
    #: outside the sRGB gamut.
    inverse: Transform
    #: What a unit of its coordinates is, and the factor from its coordinates to the units its
    #: fit's objective (`fit_sse`) is reported in.
    units: str
    objective_scale: float = 1.0
    #: How the figures draw a fit of the space (matplotlib line style).
    linestyle: str = "-"


SPACES: dict[str, Space] = {
    space.name: space
    for space in (
        Space(
            "rgb",
            "sRGB",
            _same,
            _same,
            "sRGB code values over the format's maximum (0 to 1); objective in 8-bit levels",
            255.0,
        ),
        Space(
            "linear",
            "linear-light sRGB",
            srgb_decode,
            srgb_encode,
            "linear light (0 to 1, IEC 61966-2-1's curve); objective in 8-bit steps of light",
            255.0,
            ":",
        ),
        Space(
            "cielab",
            "CIELAB",
            srgb_to_cielab,
            cielab_to_srgb,
            "CIELAB (D65) L*, a*, b*; objective in squared CIE76 differences",
            linestyle="--",
        ),
        Space(
            "oklab",
            "Oklab",
            srgb_to_oklab,
            oklab_to_srgb,
            "Ottosson's Oklab L, a, b (white L = 1); objective in its squared units",
            linestyle="-.",
        ),
    )
}
#: The space of every fit before spaces were added: the identity on sRGB.
RGB = "rgb"

#: Half an 8-bit step: a channel this far outside [0, 1] changes its 8-bit colour when clipped.
_HALF_STEP = 0.5 / 255


def to_srgb(space: str, centres: np.ndarray) -> tuple[np.ndarray, int]:
    """Centres in `space` as sRGB in [0, 1], each channel clipped to the cube, and how many
    centres lay outside the gamut by more than half an 8-bit step (their shown colour is
    the clipped one). An empty (NaN) centre stays NaN."""
    import numpy as np

    rgb = SPACES[space].inverse(centres)
    outside = (rgb < -_HALF_STEP) | (rgb > 1 + _HALF_STEP)
    return np.clip(rgb, 0.0, 1.0), int(outside.any(axis=-1).sum())
