"""Blur: ``glass_blur`` and ``motion_blur``."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from mnistbench.corruptions._base import CHUNK_PIXELS, builtin, pixel_scale

__all__ = ["glass_blur", "motion_blur"]

# (sigma, largest displacement, passes), severity 1..5
_GLASS = ((0.7, 1, 2), (0.9, 2, 1), (1.0, 2, 3), (1.1, 3, 2), (1.5, 4, 2))
# (radius, sigma) of ImageMagick's motion blur, severity 1..5
_MOTION = ((10, 3), (15, 5), (15, 8), (15, 12), (20, 15))
# the range of the blur's direction, degrees
_MOTION_ANGLE = 45.0


def _gaussian(x, sigma, mode):
    # skimage.filters.gaussian, as MNIST-C calls it, is this per image; a 0
    # sigma along the batch axis keeps the images apart
    return ndimage.gaussian_filter(x, (0, sigma, sigma), mode=mode, truncate=4.0)


# its loop over pixels costs per call more than per image: large chunks
@builtin(chunk_pixels=8 * CHUNK_PIXELS)
def glass_blur(x, severity, rng):
    """Frosted glass: blur, shuffle pixels locally, blur again.

    Follows ``glass_blur`` in google-research/mnist-c corruptions.py, line
    265, with its ``(sigma, d, passes)`` of ``(0.7, 1, 2)``, ``(0.9, 2,
    1)``, ``(1, 2, 3)``, ``(1.1, 3, 2)``, ``(1.5, 4, 2)`` for severity 1..5:
    a Gaussian blur (``mode="nearest"``), truncated to 8 bits as MNIST-C's
    ``np.uint8`` does; then ``passes`` times, for each pixel ``(r, c)`` with
    ``d < r <= h - d`` and ``d < c <= w - d``, visited from the bottom right,
    row by row: with probability 1/2, swap it with the pixel at
    ``(r + dy, c + dx)``, ``dx, dy`` integers drawn from ``[-d, d - 1]``; then
    the blur again.

    Differences from MNIST-C: the loop over pixels runs once for the whole
    batch, each image with its own draws, so every image sees MNIST-C's
    sequence of swaps in MNIST-C's order, from another random stream. On an
    image ``h`` x ``w`` of another size than 28 x 28, sigma is scaled by
    ``sqrt(h * w) / 28`` and ``d`` by the same, rounded (at least 1).
    """
    sigma, d, passes = _GLASS[severity - 1]
    _, _, factor = pixel_scale(x.shape)
    sigma, d = sigma * factor, max(1, round(d * factor))
    n, h, w = x.shape
    levels = np.floor(_gaussian(x, sigma, "nearest") * 255.0)
    # pixel-major, so that one pixel of every image is one contiguous run
    flat = np.ascontiguousarray(levels.reshape(n, h * w).T).reshape(-1)
    cols = np.arange(w - d, d, -1)
    batch = np.arange(n)
    for _ in range(passes):
        for r in range(h - d, d, -1):
            swap = rng.random((cols.size, n)) < 0.5
            shift = rng.integers(-d, d, size=(cols.size, 2, n))
            for j, c in enumerate(cols):
                who = batch[swap[j]]
                dx, dy = shift[j, 0, who], shift[j, 1, who]
                here = (r * w + c) * n + who
                there = ((r + dy) * w + (c + dx)) * n + who
                a = flat[here]
                flat[here] = flat[there]
                flat[there] = a
    levels = flat.reshape(h * w, n).T.reshape(n, h, w)
    return _gaussian(levels / 255.0, sigma, "nearest")


def _motion_offsets(angles, width, shape):
    """ImageMagick's taps: tap ``i`` of the kernel reads the pixel
    ``(round(i sin a), round(i cos a))`` away (rows, columns), rounded half
    up; ``(n, width)`` each, clamped to the image's extent (beyond it, every
    read is of the edge anyway)."""
    h, w = shape[-2:]
    i = np.arange(width)
    a = np.deg2rad(angles)[:, np.newaxis]
    rows = np.ceil(i * np.sin(a) - 0.5).astype(np.int64)
    cols = np.ceil(i * np.cos(a) - 0.5).astype(np.int64)
    return np.clip(rows, 1 - h, h - 1), np.clip(cols, 1 - w, w - 1)


def _streak(x, taps, rows, cols):
    """``sum_i taps[i] * x`` shifted by ``(rows[:, i], cols[:, i])``, edges
    repeated. The images come sorted by angle, so each tap's shift is the
    same along runs of images: one slice of the padded batch per run."""
    m, h, w = x.shape
    top, left = max(0, -rows.min()), max(0, -cols.min())
    bottom, right = max(0, rows.max()), max(0, cols.max())
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right)), mode="edge")
    out = np.zeros_like(x)
    for i, tap in enumerate(taps):
        key = rows[:, i] * (4 * w) + cols[:, i]
        bounds = [0, *(np.flatnonzero(np.diff(key)) + 1), m]
        for start, stop in zip(bounds[:-1], bounds[1:]):
            r, c = top + rows[start, i], left + cols[start, i]
            out[start:stop] += tap * padded[start:stop, r : r + h, c : c + w]
    return out


@builtin
def motion_blur(x, severity, rng):
    """Motion blur: a one-sided Gaussian streak at a random angle.

    Follows ``motion_blur`` in google-research/mnist-c corruptions.py, line
    296, which calls ImageMagick's ``MotionBlurImage(radius, sigma,
    angle)`` with ``(radius, sigma)`` of ``(10, 3)``, ``(15, 5)``, ``(15,
    8)``, ``(15, 12)``, ``(20, 15)`` for severity 1..5 and an angle drawn
    uniformly from [-45, 45] degrees per image. As ImageMagick does, the
    line kernel has ``2 * ceil(radius) + 1`` taps weighted
    ``exp(-i**2 / (2 sigma**2))``, normalised to sum 1; tap ``i`` reads the
    pixel ``i`` pixels along the angle, rounded to the pixel grid; pixels
    beyond the edge repeat the edge (ImageMagick's default virtual pixels,
    ``mode="nearest"`` of ``scipy.ndimage.correlate`` with that kernel).

    Differences from MNIST-C: no ImageMagick (nor its PNG round trip): the
    kernel is applied as a sum of shifted copies of the batch, sorted by
    angle so that each shift is one slice for many images (the same sums as
    the correlation, faster). On an image ``h`` x ``w`` of another size
    than 28 x 28, radius and sigma are scaled by ``sqrt(h * w) / 28``.
    """
    radius, sigma = _MOTION[severity - 1]
    _, _, factor = pixel_scale(x.shape)
    radius, sigma = radius * factor, sigma * factor
    width = int(2 * np.ceil(radius) + 1)
    taps = np.exp(-(np.arange(width) ** 2) / (2.0 * sigma**2))
    taps /= taps.sum()
    angles = rng.uniform(-_MOTION_ANGLE, _MOTION_ANGLE, size=x.shape[0])
    order = np.argsort(angles, kind="stable")
    rows, cols = _motion_offsets(angles[order], width, x.shape)
    out = np.empty_like(x)
    out[order] = _streak(x[order], taps, rows, cols)
    return out
