"""Transformers for image pixels, usable as steps of any scikit-learn pipeline.

Each one takes flattened images, one per row (784 features for 28x28 images),
works on the whole batch with numpy, keeps float32 inputs float32, and learns
nothing from the data: ``fit`` only checks the input's shape.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, OneToOneFeatureMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from mnistbench._images import (
    _ImageTransformer,
    _PixelTransformer,
    image_shape,
    is_positive_int,
    positive_int,
)

__all__ = ["HOG", "Deskew", "GrayLevels", "image_shape"]


class GrayLevels(OneToOneFeatureMixin, _PixelTransformer):
    """Quantise pixel intensities in [0, 1] to ``levels`` equal-width gray levels.

    Each value ``x`` becomes ``floor(x * levels) / levels`` (1.0 goes to the
    top level), so the output stays in [0, 1) and keeps the pixels' order. It
    learns nothing from the data: the bins are fixed by the [0, 1] pixel range.

    Why: a decision tree searches split thresholds by sorting every candidate
    feature at every node, and sorting is much faster over a few distinct
    values. With 16 levels a random forest fits about twice as fast on
    MNIST-style images, at the same accuracy (measured when the defaults
    were chosen, ``results/tuning/``); the eye cannot tell 16 from 256 gray
    levels on these images either.

    Parameters
    ----------
    levels : int, default=16
        Number of gray levels, at least 2.

    Attributes
    ----------
    n_features_in_ : int
        The number of features seen in ``fit``.

    Raises
    ------
    TypeError
        In ``fit``: ``levels`` is not an int.
    ValueError
        In ``fit``: ``levels`` is less than 2.

    See Also
    --------
    mnistbench.pipelines.get : ``rf`` quantises to 16 levels first.

    Examples
    --------
    >>> import numpy as np
    >>> from mnistbench.preprocessing import GrayLevels
    >>> X = np.array([[0.0, 0.2, 0.5, 0.99, 1.0]], dtype=np.float32)
    >>> GrayLevels(levels=4).fit_transform(X)
    array([[0.  , 0.  , 0.5 , 0.75, 0.75]], dtype=float32)
    """

    def __init__(self, levels: int = 16):
        self.levels = levels

    def fit(self, X, y=None):
        levels = self.levels
        if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)):
            raise TypeError(f"levels must be an int, got {type(levels).__name__}")
        if levels < 2:
            raise ValueError(f"levels must be at least 2, got {levels}")
        validate_data(self, X, dtype=[np.float32, np.float64])
        return self

    def transform(self, X):
        check_is_fitted(self, "n_features_in_")
        X = validate_data(
            self, X, dtype=[np.float32, np.float64], reset=False, copy=True
        )
        top = X.dtype.type(self.levels)
        np.multiply(X, top, out=X)
        np.floor(X, out=X)
        np.clip(X, 0, top - 1, out=X)
        np.divide(X, top, out=X)
        return X


class Deskew(OneToOneFeatureMixin, _ImageTransformer):
    """Straighten slanted images: a shear that makes each one upright, centred.

    For each image, the intensity-weighted moments give its centre of mass
    and its slant, the slope ``alpha = cov(row, col) / var(row)`` of how the
    column of the ink drifts from the top row to the bottom one. The image is
    resampled (bilinear, zero outside) so that its centre of mass lands on the
    centre of the frame and that drift is removed:
    ``out[r, c] = in[r + dr, c + dc + alpha * (r - r_mid)]``. This is the
    deskewing of LeCun et al.'s MNIST table, where it roughly halves the error
    of k-NN (5.0% -> 2.4% error). An image with no positive intensity, or a
    single row, is only shifted, never sheared.

    The whole batch is resampled at once with numpy (no per-image loop).
    Moments use intensities clipped at 0 (pixels are never negative).

    Parameters
    ----------
    image_shape : (int, int) or None, default=None
        (height, width) of each image; None means square (784 -> 28x28). One
        of the two may be -1, as in ``numpy.reshape``.

    Attributes
    ----------
    image_shape_ : (int, int)
        The image shape used.
    n_features_in_ : int
        The number of features seen in ``fit``, height * width.

    Raises
    ------
    ValueError
        In ``fit``: the features do not make images of ``image_shape`` (or
        a square).

    See Also
    --------
    HOG : Edge features, which deskewing may precede.
    mnistbench.pipelines.get : ``deskew_knn`` and ``deskew_svm`` deskew
        first.

    Examples
    --------
    A stroke slanted like a ``/`` in a 5x5 image becomes upright:

    >>> import numpy as np
    >>> from mnistbench.preprocessing import Deskew
    >>> image = np.zeros((5, 5), dtype=np.float32)
    >>> image[np.arange(5), 4 - np.arange(5)] = 1.0
    >>> Deskew().fit_transform(image.reshape(1, -1)).reshape(5, 5)
    array([[0., 0., 1., 0., 0.],
           [0., 0., 1., 0., 0.],
           [0., 0., 1., 0., 0.],
           [0., 0., 1., 0., 0.],
           [0., 0., 1., 0., 0.]], dtype=float32)

    As a step of a pipeline, it helps k-NN classify handwritten digits:

    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from mnistbench import data
    >>> ds = data.load("mnist-sample")
    >>> X, y = ds.X_train[:1000], ds.y_train[:1000]
    >>> plain = KNeighborsClassifier().fit(X, y)
    >>> deskewed = make_pipeline(Deskew(), KNeighborsClassifier()).fit(X, y)
    >>> for model in (plain, deskewed):
    ...     print(f"{model.score(ds.X_test[:500], ds.y_test[:500]):.2f}")
    0.88
    0.90
    """

    def __init__(self, image_shape=None):
        self.image_shape = image_shape

    def _n_out(self) -> int:
        return self.n_features_in_

    def _transform_images(self, images: np.ndarray) -> np.ndarray:
        n, height, width = images.shape
        mass = np.clip(images, 0, None).astype(np.float64)
        total = mass.sum(axis=(1, 2))
        empty = total <= 0
        total[empty] = 1.0
        rows = np.arange(height, dtype=np.float64)
        cols = np.arange(width, dtype=np.float64)
        row_mass = mass.sum(axis=2)
        col_mass = mass.sum(axis=1)
        mu_r = row_mass @ rows / total
        mu_c = col_mass @ cols / total
        var_r = row_mass @ rows**2 / total - mu_r**2
        cov = np.einsum("nhw,h,w->n", mass, rows, cols) / total - mu_r * mu_c
        # A near-zero row variance (one row, a horizontal line) has no slant.
        flat = var_r <= 1e-6 * max(height, 1) ** 2
        alpha = np.where(flat, 0.0, cov / np.where(flat, 1.0, var_r))
        mid_r, mid_c = (height - 1) / 2, (width - 1) / 2
        mu_r[empty], mu_c[empty] = mid_r, mid_c
        # Where each output pixel is read from, per image.
        src_r = rows[None, :, None] + (mu_r - mid_r)[:, None, None]
        src_c = (
            cols[None, None, :]
            + (mu_c - mid_c)[:, None, None]
            + alpha[:, None, None] * (rows - mid_r)[None, :, None]
        )
        src_r = np.broadcast_to(src_r, (n, height, width))
        return _bilinear(images, src_r, src_c).reshape(n, -1)


def _bilinear(images: np.ndarray, src_r: np.ndarray, src_c: np.ndarray):
    """``images`` sampled at (src_r, src_c) per image, bilinear, 0 outside."""
    n, height, width = images.shape
    flat = images.reshape(-1)
    base = (np.arange(n) * (height * width))[:, None, None]
    r0 = np.floor(src_r)
    c0 = np.floor(src_c)
    fr = (src_r - r0).astype(images.dtype)
    fc = (src_c - c0).astype(images.dtype)
    r0 = r0.astype(np.intp)
    c0 = c0.astype(np.intp)
    out = np.zeros((n, height, width), dtype=images.dtype)
    for dr, wr in ((0, 1 - fr), (1, fr)):
        rr = r0 + dr
        ok_r = (rr >= 0) & (rr < height)
        for dc, wc in ((0, 1 - fc), (1, fc)):
            cc = c0 + dc
            ok = ok_r & (cc >= 0) & (cc < width)
            index = (
                base + np.clip(rr, 0, height - 1) * width + np.clip(cc, 0, width - 1)
            )
            out += np.where(ok, wr * wc * flat[index], 0)
    return out


_BLOCK_NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")


class HOG(ClassNamePrefixFeaturesOutMixin, _ImageTransformer):
    """Histograms of oriented gradients, as ``skimage.feature.hog`` computes them.

    Each image's gradient (central differences) votes with its magnitude into
    ``orientations`` unsigned-angle bins per cell of ``pixels_per_cell``
    pixels; the histograms of each block of ``cells_per_block`` cells are
    normalised together (``block_norm``), and all blocks are concatenated.
    The values equal scikit-image's ``hog(image, ...)`` with the same
    parameters (tested), but the whole batch is computed at once with numpy:
    scikit-image works on one image at a time. Blocks overlap with a stride of
    one cell, as in Dalal & Triggs (2005).

    With the defaults, a 28x28 image has 7x7 cells of 4x4 pixels and 6x6
    blocks of 2x2 cells: 6*6*2*2*9 = 1,296 features.

    Parameters
    ----------
    orientations : int, default=9
        Orientation bins over 0-180 degrees.
    pixels_per_cell : (int, int), default=(4, 4)
        Cell size in pixels; pixels of a last partial cell are ignored.
    cells_per_block : (int, int), default=(2, 2)
        Block size in cells.
    block_norm : {"L2-Hys", "L2", "L1", "L1-sqrt"}, default="L2-Hys"
        Block normalisation, as in scikit-image.
    image_shape : (int, int) or None, default=None
        (height, width) of each image; None means square. One of the two may
        be -1, as in ``numpy.reshape``.

    Attributes
    ----------
    image_shape_ : (int, int)
        The image shape used.
    n_features_in_ : int
        The number of features seen in ``fit``, height * width.

    Raises
    ------
    ValueError
        In ``fit``: a bad parameter, features that do not make images of
        ``image_shape``, or images too small for one block.

    See Also
    --------
    mnistbench.pipelines.hog_and_pixels : HOG features beside pixel
        components, as ``hog_knn`` and ``hog_svm`` use them.

    Examples
    --------
    >>> from mnistbench import data
    >>> from mnistbench.preprocessing import HOG
    >>> ds = data.load("mnist-sample")
    >>> hog = HOG().fit(ds.X_train)
    >>> features = hog.transform(ds.X_test[:100])
    >>> features.shape, features.dtype
    ((100, 1296), dtype('float32'))
    >>> hog.get_feature_names_out()[:3]
    array(['hog0', 'hog1', 'hog2'], dtype=object)

    Cells of 7x7 pixels make a 28x28 image 4x4 cells, 3x3 blocks:
    3*3*2*2*9 = 324 features.

    >>> HOG(pixels_per_cell=(7, 7)).fit_transform(ds.X_test[:100]).shape
    (100, 324)
    """

    def __init__(
        self,
        orientations: int = 9,
        pixels_per_cell=(4, 4),
        cells_per_block=(2, 2),
        block_norm: str = "L2-Hys",
        image_shape=None,
    ):
        self.orientations = orientations
        self.pixels_per_cell = pixels_per_cell
        self.cells_per_block = cells_per_block
        self.block_norm = block_norm
        self.image_shape = image_shape

    def _check_params(self) -> None:
        positive_int(self.orientations, "orientations")
        for name in ("pixels_per_cell", "cells_per_block"):
            value = getattr(self, name)
            if (
                not isinstance(value, (tuple, list))
                or len(value) != 2
                or not all(map(is_positive_int, value))
            ):
                raise ValueError(f"{name} must be two positive ints, got {value!r}")
        if self.block_norm not in _BLOCK_NORMS:
            raise ValueError(
                f"block_norm must be one of {', '.join(_BLOCK_NORMS)}, "
                f"got {self.block_norm!r}"
            )

    def fit(self, X, y=None):
        super().fit(X, y)
        height, width = self.image_shape_
        cells, blocks = self._grid()
        if blocks[0] < 1 or blocks[1] < 1:
            raise ValueError(
                f"images of {height}x{width} pixels hold {cells[0]}x{cells[1]} "
                f"cells of {self.pixels_per_cell[0]}x{self.pixels_per_cell[1]} "
                f"pixels, fewer than one block of {self.cells_per_block[0]}x"
                f"{self.cells_per_block[1]} cells"
            )
        self._n_features_out = self._n_out()
        return self

    def _grid(self):
        height, width = self.image_shape_
        (cr, cc), (br, bc) = self.pixels_per_cell, self.cells_per_block
        cells = (height // cr, width // cc)
        blocks = (cells[0] - br + 1, cells[1] - bc + 1)
        return cells, blocks

    def _n_out(self) -> int:
        _, blocks = self._grid()
        br, bc = self.cells_per_block
        return blocks[0] * blocks[1] * br * bc * self.orientations

    def _transform_images(self, images: np.ndarray) -> np.ndarray:
        n = len(images)
        (n_cr, n_cc), (n_br, n_bc) = self._grid()
        (cr, cc), (br, bc) = self.pixels_per_cell, self.cells_per_block
        # Same arithmetic as scikit-image: gradients in the input's precision,
        # then magnitudes and angles in float64.
        g_row = np.zeros_like(images)
        g_col = np.zeros_like(images)
        g_row[:, 1:-1, :] = images[:, 2:, :] - images[:, :-2, :]
        g_col[:, :, 1:-1] = images[:, :, 2:] - images[:, :, :-2]
        g_row = g_row[:, : n_cr * cr, : n_cc * cc].astype(np.float64)
        g_col = g_col[:, : n_cr * cr, : n_cc * cc].astype(np.float64)
        magnitude = np.hypot(g_col, g_row)
        angle = np.rad2deg(np.arctan2(g_row, g_col)) % 180
        # scikit-image compares angles with float32 bin edges
        width = np.float32(180.0 / self.orientations)
        edges = (width * np.arange(1, self.orientations, dtype=np.float32)).astype(
            np.float64
        )
        bins = np.searchsorted(edges, angle, side="right")
        hist = np.empty((n, n_cr, n_cc, self.orientations))
        for o in range(self.orientations):
            votes = np.where(bins == o, magnitude, 0.0)
            hist[..., o] = votes.reshape(n, n_cr, cr, n_cc, cc).sum(axis=(2, 4))
        hist /= cr * cc
        blocks = np.lib.stride_tricks.sliding_window_view(hist, (br, bc), axis=(1, 2))
        # (n, blocks_r, blocks_c, orientations, br, bc) -> skimage's order
        blocks = blocks.transpose(0, 1, 2, 4, 5, 3).reshape(n, n_br, n_bc, -1)
        return _normalise(blocks, self.block_norm).reshape(n, -1)


def _normalise(blocks: np.ndarray, method: str, eps: float = 1e-5) -> np.ndarray:
    """Each block (the last axis) normalised as scikit-image does."""
    if method in ("L1", "L1-sqrt"):
        out = blocks / (np.abs(blocks).sum(axis=-1, keepdims=True) + eps)
        return np.sqrt(out) if method == "L1-sqrt" else out
    out = blocks / np.sqrt((blocks**2).sum(axis=-1, keepdims=True) + eps**2)
    if method == "L2-Hys":
        out = np.minimum(out, 0.2)
        out = out / np.sqrt((out**2).sum(axis=-1, keepdims=True) + eps**2)
    return out
