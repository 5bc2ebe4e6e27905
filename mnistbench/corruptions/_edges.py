"""Edges: ``canny_edges``, scikit-image's Canny detector run on a whole batch."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from mnistbench.corruptions._base import builtin, pixel_scale

__all__ = ["canny", "canny_edges"]

# the Gaussian's sigma, severity 1..5; MNIST-C's (scikit-image's default) is 1
_CANNY_SIGMA = (0.5, 0.75, 1.0, 1.5, 2.0)
# scikit-image's default thresholds for float images; the low one reaches
# its non-maximum suppression as a C float, so it is compared as one
_LOW = float(np.float32(0.1))
_HIGH = 0.2


def _sobel(x, axis):
    """``scipy.ndimage.sobel(image, axis)`` of each image (axis 1 or 2)."""
    across = 3 - axis
    out = ndimage.correlate1d(x, [-1, 0, 1], axis=axis, mode="reflect")
    return ndimage.correlate1d(out, [1, 2, 1], axis=across, output=out, mode="reflect")


def _thin(isobel, jsobel, magnitude):
    """scikit-image's bilinear non-maximum suppression, with the low threshold
    and the 1-pixel border left out, for a batch: the magnitude where it is
    a local maximum across the edge, else 0."""
    n, h, w = magnitude.shape
    candidate = magnitude >= _LOW
    for edge in (0, -1):  # the border: scikit-image's eroded mask
        candidate[:, edge, :] = False
        candidate[:, :, edge] = False
    # only the candidates, a small part of the pixels, by flat index
    at = np.flatnonzero(candidate)
    flat = magnitude.reshape(-1)
    i, j, m = isobel.reshape(-1)[at], jsobel.reshape(-1)[at], flat[at]
    abs_i, abs_j = np.abs(i), np.abs(j)
    # gradients of one sign (both down-left or both up-right), or of two
    same = (i <= 0) == (j <= 0)
    steep = np.where(same, abs_i > abs_j, abs_i >= abs_j)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(steep, abs_j / abs_i, abs_i / abs_j)
    # the neighbours ahead and behind across the edge, as flat offsets
    ahead_1 = np.where(steep, np.where(same, w, -w), 1)
    ahead_2 = np.where(same, w + 1, -w + 1)
    behind_1 = np.where(steep, np.where(same, -w, w), -1)
    behind_2 = np.where(same, -w - 1, w - 1)
    keep = (flat[at + ahead_2] * weight + flat[at + ahead_1] * (1.0 - weight)) <= m
    keep &= (flat[at + behind_2] * weight + flat[at + behind_1] * (1.0 - weight)) <= m
    out = np.zeros_like(magnitude)
    out.reshape(-1)[at[keep]] = m[keep]
    return out


def canny(x: np.ndarray, sigma: float) -> np.ndarray:
    """``skimage.feature.canny(image, sigma)`` of each float64 image of ``x``.

    The same steps, with the same floating-point operations, on the whole
    batch ``(n, h, w)``: a Gaussian blur (zeros beyond the edge, divided by
    the blur of ones), Sobel gradients, bilinear non-maximum suppression at
    the low threshold 0.1, and hysteresis to 0.2 over 8-connected pixels.
    Returns bool ``(n, h, w)``.
    """
    sigmas = (0, sigma, sigma)
    ones = np.ones(x.shape[1:])
    bleed = ndimage.gaussian_filter(ones, sigma, mode="constant", cval=0.0)
    bleed += np.finfo(np.float64).eps
    smoothed = ndimage.gaussian_filter(x, sigmas, mode="constant", cval=0.0)
    smoothed /= bleed
    jsobel = _sobel(smoothed, 2)
    isobel = _sobel(smoothed, 1)
    magnitude = isobel * isobel
    magnitude += jsobel * jsobel
    np.sqrt(magnitude, out=magnitude)
    thin = _thin(isobel, jsobel, magnitude)
    low = thin > 0
    # 8-connected within an image, never across images
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1] = True
    labels, count = ndimage.label(low, structure)
    if count == 0:
        return low
    good = np.zeros(count + 1, dtype=bool)
    good[labels[low & (thin >= _HIGH)]] = True
    good[0] = False
    return good[labels]


@builtin
def canny_edges(x, severity, rng):
    """The Canny edge map: white edges on black.

    Follows ``canny_edges`` in google-research/mnist-c corruptions.py, line
    664: ``skimage.feature.canny(image)``, its default sigma 1 and
    thresholds 0.1 and 0.2, as 0 and 1. Each image's result equals
    ``skimage.feature.canny(image, sigma)`` of the image as float64 in
    [0, 1], computed for the whole batch at once (:func:`canny`).

    Differences from MNIST-C: MNIST-C's has no severity; here sigma is 0.5,
    0.75, 1, 1.5, 2 for severity 1..5, so severity 3 is MNIST-C's; on an
    image ``h`` x ``w`` of another size than 28 x 28, sigma is scaled by
    ``sqrt(h * w) / 28``. No random draw: ``rng`` is
    unused.
    """
    _, _, factor = pixel_scale(x.shape)
    return canny(x, _CANNY_SIGMA[severity - 1] * factor).astype(np.float64)
