"""Affine transformations: ``shear``, ``scale``, ``rotate`` and ``translate``.

MNIST-C warps each image with ``skimage.transform.warp(image,
inverse_map=AffineTransform(...))``: the output pixel at ``(x, y)`` (column,
row) takes the input's value at ``A @ (x, y) + t``, bilinearly
interpolated, 0 outside the image, with ``t`` chosen so that the image's
centre stays in place. Here the same map is written in
``scipy.ndimage.affine_transform``'s (row, column) order: the output pixel
``o = (r, c)`` takes the input's value at ``matrix @ o + offset``, and each
corruption equals, image by image::

    scipy.ndimage.affine_transform(
        image, matrix, offset, order=1, mode="grid-constant", cval=0
    )

with the ``matrix`` and ``offset`` its docstring gives (built by
:func:`affine`; ``"grid-constant"`` interpolates towards 0 across the edge,
as scikit-image's ``warp`` does). It is computed for the whole batch at
once: the map's bilinear weights as one sparse matrix, applied to every
image that shares the map in one product.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from mnistbench.corruptions._base import builtin, pixel_scale

__all__ = ["affine", "rotate", "scale", "shear", "translate"]

# severity 1..5
_SHEAR = (0.2, 0.4, 0.6, 0.8, 1.0)  # radians, sign drawn
_ROTATE = (0.2, 0.4, 0.6, 0.8, 1.0)  # radians, sign drawn
_SCALE = (1 / 0.9, 1 / 0.8, 1 / 0.7, 1 / 0.6, 1 / 0.5)  # inverse of the zoom
_TRANSLATE = (1, 2, 3, 4, 5)  # pixels of a 28-pixel image, signs drawn


def affine(kind: str, value: float, shape: tuple[int, ...]):
    """The ``(matrix, offset)`` of a corruption's map, in (row, column) order.

    Parameters
    ----------
    kind : {"shear", "rotate", "scale", "translate"}
        The corruption.
    value : float or pair of float
        Its signed parameter: the shear angle ``s`` or rotation angle ``a``
        in radians, the scale factor ``k``, or the translation ``(dy, dx)``
        in pixels (rows, columns).
    shape : tuple of int
        The images' shape; its last two entries are ``(h, w)``.

    Returns
    -------
    matrix : ndarray (2, 2)
        ``shear``: ``[[cos s, 0], [-sin s, 1]]`` (scikit-image's
        ``AffineTransform(shear=s)`` as MNIST-C ran it, ``[[1, -sin s],
        [0, cos s]]`` in (x, y) order); ``rotate``: ``[[cos a, sin a], [-sin a,
        cos a]]``; ``scale``: ``[[k, 0], [0, k]]``; ``translate``: the
        identity.
    offset : ndarray (2,)
        ``translate``: ``(dy, dx)``; the others ``center - matrix @ center``
        with ``center = ((h - 1) / 2, (w - 1) / 2)``, which keeps the centre
        in place (MNIST-C's 13.5, 13.5).
    """
    h, w = shape[-2:]
    if kind == "translate":
        return np.eye(2), np.asarray(value, dtype=np.float64)
    if kind == "shear":
        matrix = np.array([[np.cos(value), 0.0], [-np.sin(value), 1.0]])
    elif kind == "rotate":
        matrix = np.array(
            [[np.cos(value), np.sin(value)], [-np.sin(value), np.cos(value)]]
        )
    elif kind == "scale":
        matrix = np.array([[value, 0.0], [0.0, value]])
    else:
        raise ValueError(f"no affine map for {kind!r}")
    center = np.array([(h - 1) / 2, (w - 1) / 2])
    return matrix, center - matrix @ center


def _operator(shape, matrix, offset) -> sparse.csr_array:
    """The warp as a sparse ``(h * w, h * w)`` matrix: row ``o`` holds the
    bilinear weights of the (up to four) input pixels output pixel ``o``
    reads; reads from outside the image read 0 and are left out."""
    h, w = shape
    grid = np.indices((h, w), dtype=np.float64).reshape(2, -1)
    rows, cols = matrix @ grid + np.asarray(offset, dtype=np.float64)[:, np.newaxis]
    r0, c0 = np.floor(rows), np.floor(cols)
    fr, fc = rows - r0, cols - c0
    r0, c0 = r0.astype(np.int64), c0.astype(np.int64)
    out_index, in_index, weights = [], [], []
    for dr, wr in ((0, 1.0 - fr), (1, fr)):
        for dc, wc in ((0, 1.0 - fc), (1, fc)):
            r, c = r0 + dr, c0 + dc
            inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
            out_index.append(np.flatnonzero(inside))
            in_index.append((r * w + c)[inside])
            weights.append((wr * wc)[inside])
    return sparse.csr_array(
        (
            np.concatenate(weights),
            (np.concatenate(out_index), np.concatenate(in_index)),
        ),
        shape=(h * w, h * w),
    )


def _warp(x, matrices, offsets, which):
    """Each image ``x[i]`` warped by ``matrices[which[i]]``, ``offsets[...]``."""
    n, h, w = x.shape
    flat = x.reshape(n, h * w)
    out = np.empty_like(flat)
    for k, (matrix, offset) in enumerate(zip(matrices, offsets)):
        members = np.flatnonzero(which == k)
        if members.size == 0:
            continue
        warp = _operator((h, w), matrix, offset).T
        out[members] = (flat if members.size == n else flat[members]) @ warp
    return out.reshape(n, h, w)


def _signs(rng, size):
    return rng.choice(np.array([-1.0, 1.0]), size=size)


@builtin
def shear(x, severity, rng):
    """Shear: the rows slide sideways in proportion to their height.

    Follows ``shear`` in google-research/mnist-c corruptions.py, line 511:
    angle ``s = sign * c``, ``c`` = 0.2, 0.4, 0.6, 0.8, 1.0 radians for
    severity 1..5, ``sign`` drawn per image as ``rng.choice([-1.0, 1.0],
    size=n)``; the centre ``z = ((h - 1) / 2, (w - 1) / 2)`` stays in place.
    Each image is ``affine_transform`` (see the module) with

    ``matrix = [[cos s, 0], [-sin s, 1]]``, ``offset = z - matrix @ z``,

    which is scikit-image's ``AffineTransform(shear=s)`` as MNIST-C ran it
    in 2018, ``[[1, -sin s], [0, cos s]]`` in (x, y) order.

    Differences from MNIST-C: scikit-image 0.21 and later build that
    transform with ``tan s`` instead; this keeps the matrix that made
    MNIST-C's images. The bilinear interpolation is
    ``scipy.ndimage.affine_transform``'s (``order=1``,
    ``mode="grid-constant"``), the same as ``warp``'s, for the whole batch
    at once.
    """
    angles = _SHEAR[severity - 1] * _signs(rng, x.shape[0])
    return _by_value(x, "shear", angles)


@builtin
def rotate(x, severity, rng):
    """Rotation about the image's centre.

    Follows ``rotate`` in google-research/mnist-c corruptions.py, line 532:
    angle ``a = sign * c``, ``c`` = 0.2, 0.4, 0.6, 0.8, 1.0 radians (11.5 to
    57.3 degrees) for severity 1..5, ``sign`` drawn per image as
    ``rng.choice([-1.0, 1.0], size=n)``. Each image is ``affine_transform``
    (see the module) with

    ``matrix = [[cos a, sin a], [-sin a, cos a]]``, ``offset = z - matrix @
    z``, ``z = ((h - 1) / 2, (w - 1) / 2)``.

    Differences from MNIST-C: the interpolation is
    ``scipy.ndimage.affine_transform``'s (``order=1``,
    ``mode="grid-constant"``), the same as scikit-image's ``warp``, for the
    whole batch at once.
    """
    angles = _ROTATE[severity - 1] * _signs(rng, x.shape[0])
    return _by_value(x, "rotate", angles)


@builtin
def scale(x, severity, rng):
    """Shrink towards the image's centre.

    Follows ``scale`` in google-research/mnist-c corruptions.py, line 552:
    the input is read at ``k`` times the distance from the centre, ``k`` =
    1/0.9, 1/0.8, 1/0.7, 1/0.6, 1/0.5 for severity 1..5, so the digit
    shrinks to 90% down to 50% of its size. Each image is
    ``affine_transform`` (see the module) with

    ``matrix = [[k, 0], [0, k]]``, ``offset = z - matrix @ z``,
    ``z = ((h - 1) / 2, (w - 1) / 2)``.

    No random draw: ``rng`` is unused.

    Differences from MNIST-C: the interpolation is
    ``scipy.ndimage.affine_transform``'s (``order=1``,
    ``mode="grid-constant"``), the same as scikit-image's ``warp``, for the
    whole batch at once.
    """
    return _by_value(x, "scale", np.full(x.shape[0], _SCALE[severity - 1]))


@builtin
def translate(x, severity, rng):
    """Translation by a few pixels along both axes.

    Follows ``translate`` in google-research/mnist-c corruptions.py, line
    569: by ``c`` = 1, 2, 3, 4, 5 pixels for severity 1..5 along each axis,
    in directions drawn per image as ``signs = rng.choice([-1.0, 1.0],
    size=(n, 2))`` (column first, MNIST-C's order). Each image is
    ``affine_transform`` (see the module) with

    ``matrix = [[1, 0], [0, 1]]``, ``offset = (c * signs[:, 1] * h / 28,
    c * signs[:, 0] * w / 28)``:

    the input is read ``offset`` away, so the digit moves by ``-offset``.

    Differences from MNIST-C: the interpolation is
    ``scipy.ndimage.affine_transform``'s, for the whole batch at once (on
    28 x 28 images the shifts are whole pixels and nothing is
    interpolated); on an image of another size the shift scales with it.
    """
    n = x.shape[0]
    signs = _signs(rng, (n, 2))
    rows, cols, _ = pixel_scale(x.shape)
    c = _TRANSLATE[severity - 1]
    shifts = np.stack([c * signs[:, 1] * rows, c * signs[:, 0] * cols], axis=1)
    return _by_value(x, "translate", shifts)


def _by_value(x, kind, values):
    """Warp each image by the map of its own value, one group per value."""
    distinct, which = np.unique(values, axis=0, return_inverse=True)
    maps = [affine(kind, v, x.shape) for v in distinct]
    return _warp(x, [m for m, _ in maps], [o for _, o in maps], which.ravel())
