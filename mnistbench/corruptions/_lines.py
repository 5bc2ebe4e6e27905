"""Lines drawn over the image: ``dotted_line`` and ``zigzag``.

Both draw with MNIST-C's ``line_from_points`` (google-research/mnist-c
corruptions.py, line 185): a segment from ``(c0, r0)`` to ``(c1, r1)``
(column, row) lights the pixels of the columns ``floor(c0)`` to
``ceil(c1) - 1`` at ``log(1 - d / s) + 1``, clipped to [0, 1], where ``d``
is the pixel's vertical distance to the line and ``s`` its spread, 2.3
pixels in MNIST-C; the line is added to the image, clipped to 1. Only the
few pixels a segment lights are computed, for the whole batch at once.

MNIST-C's two corruptions have no severity. Here the severity sets the
spread ``s``: 1.4, 1.85, 2.3, 2.75, 3.2 pixels of a 28-pixel image for
severity 1..5 (the lit band is ``2 * s * (1 - 1/e)`` high), so severity 3
is MNIST-C's line.

On an image ``h`` x ``w`` of another size, the positions are drawn in
MNIST-C's 28-pixel frame, as MNIST-C's integers, and mapped to the image
(``u -> (u + 0.5) * w / 28 - 0.5`` for a column, with ``h`` for a row), and
the spread scales by ``h / 28``.
"""

from __future__ import annotations

import numpy as np

from mnistbench.corruptions._base import MNIST_SIZE, builtin, from_frame

__all__ = ["dotted_line", "draw_segments", "zigzag"]

# the spread of the line, pixels of a 28-pixel image, severity 1..5
_SPREAD = (1.4, 1.85, 2.3, 2.75, 3.2)
# zigzag: the length and the width of each zig, and the columns it spans
_ZIG_LENGTH = 2.0
_ZIG_WIDTH = 2.0
_ZIG_COLUMNS = (2, 25)


def draw_segments(shape, c0, r0, c1, r1, spread, dashes=None) -> np.ndarray:
    """The sum of MNIST-C's ``line_from_points`` over segments, per image.

    Parameters
    ----------
    shape : tuple of int
        ``(n, h, w)``.
    c0, r0, c1, r1 : ndarray (n, k)
        Each image's ``k`` segments, in pixel coordinates (column, row). A
        segment with ``c1 <= c0`` lights nothing, as in MNIST-C.
    spread : float
        The spread ``s``, in pixels.
    dashes : ndarray of bool (w,), optional
        The columns a segment may light; default all.

    Returns
    -------
    ndarray (n, h, w)
        The lines' intensities, summed where segments meet (not clipped).
    """
    n, h, w = shape
    drawn = c1 > c0
    slope = (r1 - r0) / np.where(drawn, c1 - c0, 1.0)
    left = np.clip(np.floor(c0), 0, w).astype(np.int64)
    right = np.clip(np.ceil(c1), 0, w).astype(np.int64)
    right = np.where(drawn, right, left)
    span = int((right - left).max(initial=0))
    if span == 0:
        return np.zeros(shape)
    cols = left[..., None] + np.arange(span)  # (n, k, span)
    centre = slope[..., None] * (cols - c0[..., None]) + r0[..., None]
    # beyond this vertical distance log(1 - d / s) + 1 <= 0: nothing lit
    reach = spread * (1.0 - np.exp(-1.0))
    rows = np.ceil(centre - reach).astype(np.int64)[..., None] + np.arange(
        int(2 * reach) + 2
    )  # (n, k, span, rows)
    distance = np.minimum(np.abs(rows - centre[..., None]), spread - 1e-10)
    value = np.clip(np.log1p(-distance / spread) + 1.0, 0.0, 1.0)
    lit = (cols < right[..., None])[..., None] & (rows >= 0) & (rows < h) & (value > 0)
    if dashes is not None:
        lit &= dashes[np.minimum(cols, w - 1)][..., None]
    image = np.arange(n).reshape(n, 1, 1, 1)
    index = (image * h + rows) * w + cols[..., None]
    flat = np.bincount(index[lit], weights=value[lit], minlength=n * h * w)
    return flat.reshape(shape)


@builtin
def dotted_line(x, severity, rng):
    """A dotted line across the image.

    Follows ``dotted_line`` in google-research/mnist-c corruptions.py, line
    593: a line from column 0 to column 27 (rows ``r0``, ``r1`` integers
    drawn from 0..26, as ``rng.integers(0, 27, size=(n, 2))``), dashed by
    blanking the columns ``c`` with ``c // 2`` even (two off, two on), added
    to the image.

    Differences from MNIST-C: MNIST-C's has no severity; here the severity
    sets the spread of ``line_from_points`` (MNIST-C corruptions.py, line
    185), 1.4, 1.85, 2.3, 2.75, 3.2 pixels for severity 1..5, so severity 3
    (2.3) is MNIST-C's line. Only the pixels the line lights are computed,
    for the whole batch at once. On an image ``h`` x ``w`` of another size,
    the rows drawn are mapped from the 28-pixel frame (``u -> (u + 0.5) * h
    / 28 - 0.5``), the spread scales by ``h / 28`` and the dashes are
    ``2 * w / 28`` columns long.
    """
    n, h, w = x.shape
    spread = _SPREAD[severity - 1] * h / MNIST_SIZE
    ends = from_frame(rng.integers(0, MNIST_SIZE - 1, size=(n, 2)), h)
    c0 = np.full((n, 1), from_frame(0, w))
    c1 = np.full((n, 1), from_frame(MNIST_SIZE - 1, w))
    dash = np.floor((np.arange(w) + 0.5) * (MNIST_SIZE / 2) / w).astype(np.int64)
    lines = draw_segments(
        x.shape, c0, ends[:, :1], c1, ends[:, 1:], spread, dashes=dash % 2 == 1
    )
    return x + lines


def _zigzag_points(r0, r1):
    """MNIST-C's zigzag corners in its 28-pixel frame: ``(n, points)``
    columns and rows, along the line from ``(2, r0)`` to ``(25, r1)``."""
    a, b = _ZIG_LENGTH, _ZIG_WIDTH
    first, last = _ZIG_COLUMNS
    theta = np.arctan((r1 - r0) / (last - first))
    length = (last - first) / np.cos(theta)
    # |r1 - r0| <= 5 keeps the length in [23, 23.6): the same number of
    # corners for every image
    zigs = int((length.min() - a) // (2 * a)) + 1
    corner = np.arange(zigs)
    n = len(length)
    along = np.tile(np.concatenate([[0.0], (2 * corner + 1) * a]), (n, 1))
    across = np.tile(np.concatenate([[0.0], (-1.0) ** corner * b]), (n, 1))
    # MNIST-C's last corner, as it computes it (not a regular zig's); it
    # adds it when the length is not a whole number of zigs, which with
    # these constants it never is
    full = 2 * a * (length // (2 * a))
    along = np.concatenate([along, length[:, None]], axis=1)
    end = across[:, -1] / (2 * (length - full))
    across = np.concatenate([across, end[:, None]], axis=1)
    cos, sin = np.cos(theta)[:, None], np.sin(theta)[:, None]
    cols = cos * along - sin * across + first
    rows = sin * along + cos * across + r0[:, None]
    return cols, rows


@builtin
def zigzag(x, severity, rng):
    """A zigzag line across the image.

    Follows ``zigzag`` in google-research/mnist-c corruptions.py, line 609:
    zigs 2 pixels long and 2 wide along the line from column 2, row ``r0``
    (an integer from 0..26) to column 25, row ``r0 + k`` (``k`` an integer
    from -5..4), drawn as ``rng.integers(0, 27, size=n)`` then
    ``rng.integers(-5, 5, size=n)``; each zig is a segment of MNIST-C's
    ``line_from_points``, added to the image.

    Differences from MNIST-C: MNIST-C's has no severity; here the severity
    sets the spread of ``line_from_points`` (MNIST-C corruptions.py, line
    185), 1.4, 1.85, 2.3, 2.75, 3.2 pixels for severity 1..5, so severity 3
    (2.3) is MNIST-C's zigzag. Only the pixels the segments light are
    computed, for the whole batch at once. On an image ``h`` x ``w`` of
    another size, the corners are mapped from the 28-pixel frame (``u ->
    (u + 0.5) * w / 28 - 0.5`` for columns, ``h`` for rows) and the spread
    scales by ``h / 28``.
    """
    n, h, w = x.shape
    spread = _SPREAD[severity - 1] * h / MNIST_SIZE
    r0 = rng.integers(0, MNIST_SIZE - 1, size=n).astype(np.float64)
    r1 = r0 + rng.integers(-5, 5, size=n)
    cols, rows = _zigzag_points(r0, r1)
    cols, rows = from_frame(cols, w), from_frame(rows, h)
    lines = draw_segments(
        x.shape, cols[:, :-1], rows[:, :-1], cols[:, 1:], rows[:, 1:], spread
    )
    return x + lines
