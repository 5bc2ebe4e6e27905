"""Weather: ``fog`` and ``spatter``."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from mnistbench.corruptions._base import builtin, pixel_scale

__all__ = ["fog", "plasma_fractal", "spatter"]

# (fog's weight, the fractal's roughness decay), severity 1..5
_FOG = ((1.5, 2.0), (2.0, 2.0), (2.5, 1.7), (2.5, 1.5), (3.0, 1.4))
# the side of MNIST-C's fractal, of which a 28 x 28 corner is used
_PLASMA_SIZE = 256
# fractals made at once: 16 x 256 x 256 float64 is 8 MB
_PLASMA_CHUNK = 16
# (mean, sd of the noise, its blur, threshold, the mask's blur), severity
# 1..5; MNIST-C's sixth entry (colour or mud) is for colour images only
_SPATTER = (
    (0.65, 0.3, 4, 0.69, 0.6),
    (0.65, 0.3, 3, 0.68, 0.6),
    (0.65, 0.3, 2, 0.68, 0.5),
    (0.65, 0.3, 1, 0.65, 1.5),
    (0.67, 0.4, 1, 0.65, 1.5),
)
# the grey of the mud
_MUD = 63 / 255


def plasma_fractal(rng, count: int, size: int, decay: float) -> np.ndarray:
    """``count`` diamond-square height maps ``(count, size, size)`` in [0, 1].

    MNIST-C's ``plasma_fractal`` (google-research/mnist-c corruptions.py,
    line 123) for a stack of maps: starting from 0 at the corner, each
    halving of the step sets the new points to the mean of their four
    neighbours plus ``wibble`` times a uniform draw from ``[-wibble,
    wibble]``, ``wibble`` starting at 100 and divided by ``decay`` at each
    level; neighbours wrap around, so the maps are periodic. Each map is
    then scaled to [0, 1]. ``size`` must be a power of two.
    """
    maps = np.empty((count, size, size))
    maps[:, 0, 0] = 0.0
    step, wibble = size, 100.0

    def wibbled(total):
        return total / 4 + wibble * rng.uniform(-wibble, wibble, total.shape)

    while step >= 2:
        half = step // 2
        corners = maps[:, ::step, ::step]
        square = corners + np.roll(corners, -1, axis=1)
        square += np.roll(square, -1, axis=2)
        maps[:, half::step, half::step] = wibbled(square)
        centres = maps[:, half::step, half::step]
        left = centres + np.roll(centres, 1, axis=1)
        left += corners + np.roll(corners, -1, axis=2)
        maps[:, ::step, half::step] = wibbled(left)
        top = centres + np.roll(centres, 1, axis=2)
        top += corners + np.roll(corners, -1, axis=1)
        maps[:, half::step, ::step] = wibbled(top)
        step, wibble = half, wibble / decay
    maps -= maps.min(axis=(1, 2), keepdims=True)
    maps /= maps.max(axis=(1, 2), keepdims=True)
    return maps


def _fractal_side(shape) -> int:
    """256 times the power of two nearest the image's size factor (and at
    least the image), so that the texture grows with the image by octaves."""
    _, _, factor = pixel_scale(shape)
    side = _PLASMA_SIZE * 2 ** max(0, round(math.log2(factor)))
    return max(side, 1 << (max(shape[-2:]) - 1).bit_length())


def _fog_layers(rng, n, h, w, decay):
    """One ``(h, w)`` fractal crop per image, ``(n, h, w)``: disjoint tiles of
    fractals made per group of images."""
    side = _fractal_side((h, w))
    per_row, per_col = side // h, side // w
    per_map = per_row * per_col
    layers = np.empty((n, h, w))
    tiles_done = 0
    while tiles_done < n:
        count = min(_PLASMA_CHUNK, -(-(n - tiles_done) // per_map))
        maps = plasma_fractal(rng, count, side, decay)
        take = min(n - tiles_done, count * per_map)
        which = np.arange(take) // per_map
        # each image its own tile of its map; the map's random shift keeps
        # the tiles from always starting at the corner MNIST-C takes
        tile = np.concatenate([rng.permutation(per_map) for _ in range(count)])[:take]
        shift = rng.integers(0, side, size=(count, 2))[which]
        rows = shift[:, :1] + (tile // per_col * h)[:, None] + np.arange(h)
        cols = shift[:, 1:] + (tile % per_col * w)[:, None] + np.arange(w)
        layers[tiles_done : tiles_done + take] = maps[
            which[:, None, None], rows[:, :, None] % side, cols[:, None, :] % side
        ]
        tiles_done += take
    return layers


@builtin
def fog(x, severity, rng):
    """Fog: a fractal haze added, then the image rescaled to keep its range.

    Follows ``fog`` in google-research/mnist-c corruptions.py, line 327,
    with ``(c, decay)`` of ``(1.5, 2)``, ``(2, 2)``, ``(2.5, 1.7)``, ``(2.5,
    1.5)``, ``(3, 1.4)`` for severity 1..5: with ``m`` the image's maximum
    and ``f`` a plasma fractal (:func:`plasma_fractal` with ``decay``),
    ``(x + c * f) * m / (m + c)``.

    Differences from MNIST-C: MNIST-C makes one 256 x 256 fractal per image
    and takes its top-left 28 x 28 corner; here a batch makes one fractal
    per group of up to 81 images (the number of 28 x 28 tiles a 256 x 256
    fractal holds) from ``rng``, and each image of the group gets its own
    tile of it, at a random shift (the fractal wraps around), so the fogs
    of the batch are distinct and as MNIST-C's are distributed, at a
    fraction of the cost. On an image of another size, the fractal is 256
    times the power of two nearest to the size's factor (and at least the
    image's side), so the haze's texture grows with the image by octaves.
    """
    c, decay = _FOG[severity - 1]
    n, h, w = x.shape
    peak = x.max(axis=(1, 2), keepdims=True)
    haze = _fog_layers(rng, n, h, w, decay)
    return (x + c * haze) * peak / (peak + c)


@builtin
def spatter(x, severity, rng):
    """Spatter: blots of grey mud over the image.

    Follows ``spatter`` in google-research/mnist-c corruptions.py, line 388,
    with ``(mean, sd, blur, threshold, mask_blur)`` of ``(0.65, 0.3, 4,
    0.69, 0.6)``, ``(0.65, 0.3, 3, 0.68, 0.6)``, ``(0.65, 0.3, 2, 0.68,
    0.5)``, ``(0.65, 0.3, 1, 0.65, 1.5)``, ``(0.67, 0.4, 1, 0.65, 1.5)`` for
    severity 1..5: Gaussian noise ``N(mean, sd)`` per pixel, blurred with
    sigma ``blur``; the pixels above ``threshold`` make a mask, blurred with
    sigma ``mask_blur`` and zeroed below 0.8; the image becomes ``x * (1 -
    mask) + 63/255 * mask``. Blurs as scikit-image's ``gaussian``
    (``mode="nearest"``, truncated at 4 sigma).

    Differences from MNIST-C: none but the random stream, and the whole
    batch at once; on an image ``h`` x ``w`` of another size than 28 x 28 both
    sigmas are scaled by ``sqrt(h * w) / 28``.
    """
    mean, sd, blur, threshold, mask_blur = _SPATTER[severity - 1]
    _, _, factor = pixel_scale(x.shape)
    liquid = rng.normal(mean, sd, size=x.shape)
    liquid = ndimage.gaussian_filter(
        liquid, (0, blur * factor, blur * factor), mode="nearest", truncate=4.0
    )
    mask = (liquid > threshold).astype(np.float64)
    mask = ndimage.gaussian_filter(
        mask, (0, mask_blur * factor, mask_blur * factor), mode="nearest", truncate=4.0
    )
    mask[mask < 0.8] = 0.0
    return x * (1.0 - mask) + _MUD * mask
