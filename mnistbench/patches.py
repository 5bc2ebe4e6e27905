"""Features learned from small image patches: k-means codes, as Coates, Ng and
Lee (2011) made them.

Unlike the transformers of :mod:`mnistbench.preprocessing`, which learn
nothing, :class:`KMeansFeatures` learns from the images it is fitted on: a
whitening of their small patches and a dictionary of patch shapes (k-means
centroids). Every image is then described by how strongly each shape occurs in
each region of it.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin
from sklearn.cluster import MiniBatchKMeans
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from mnistbench._images import _PixelTransformer, image_shape, positive_int

__all__ = ["KMeansFeatures"]

# Images are encoded this many at a time: each one's codes are
# (positions x centroids) float32 values, 0.3 MB for the defaults on 28x28.
CHUNK = 512
# Added to each patch's variance before it is divided out (pixels in [0, 1]),
# and to the eigenvalues of the patches' covariance before whitening: flat
# patches and flat directions are not blown up into noise.
PATCH_VARIANCE_EPS = 0.01
WHITEN_EPS = 0.1


class KMeansFeatures(ClassNamePrefixFeaturesOutMixin, _PixelTransformer):
    """Single-layer k-means features of images (Coates, Ng and Lee 2011).

    ``fit`` draws ``n_patches`` random ``patch_size`` x ``patch_size`` patches
    from the images, normalises each one (its mean subtracted, divided by its
    standard deviation), learns a ZCA whitening of them and clusters the
    whitened patches into ``n_centroids`` shapes with k-means.

    ``transform`` takes the patch at every ``stride``-th pixel of each image,
    normalised and whitened the same way, and codes it by the "triangle"
    activation: for each centroid, how much closer the patch is to it than to
    the centroids on average, or 0. The codes are summed over a ``pooling``
    x ``pooling`` grid of regions of the image, so each image gets
    ``pooling**2 * n_centroids`` features: which shapes occur where.

    Parameters
    ----------
    n_centroids : int, default=200
        Patch shapes learned by k-means.
    patch_size : int, default=5
        Side of the square patches, in pixels.
    stride : int, default=2
        Step between patch positions in ``transform``; 1 takes every patch
        (4x the work on 28x28 images).
    pooling : int, default=3
        Regions per side over which the codes are summed.
    n_patches : int, default=100_000
        Patches drawn from the training images to learn from.
    random_state : int, RandomState instance or None, default=None
        Draws the patches and seeds k-means.
    image_shape : (int, int) or None, default=None
        (height, width) of each image; None means square. One of the two may
        be -1, as in ``numpy.reshape``.

    Attributes
    ----------
    mean_ : ndarray of shape (patch_size**2,)
        The normalised patches' mean.
    whitening_ : ndarray of shape (patch_size**2, patch_size**2)
        The ZCA whitening matrix.
    centroids_ : ndarray of shape (n_centroids, patch_size**2)
        The whitened patch shapes.
    image_shape_ : (int, int)
        The image shape used.
    n_features_in_ : int
        The number of features seen in ``fit``, height * width.

    Raises
    ------
    ValueError
        In ``fit``: a bad parameter, features that do not make images of
        ``image_shape``, images smaller than a patch, or fewer patches than
        centroids.

    See Also
    --------
    mnistbench.pipelines.get : ``hog_kmeans_svm_flips`` uses these features
        beside HOG and pixels.

    Examples
    --------
    >>> from mnistbench import data
    >>> from mnistbench.patches import KMeansFeatures
    >>> ds = data.load("mnist-sample")
    >>> codes = KMeansFeatures(n_centroids=50, random_state=0).fit(ds.X_train)
    >>> codes.transform(ds.X_test[:10]).shape
    (10, 450)
    """

    def __init__(
        self,
        n_centroids: int = 200,
        patch_size: int = 5,
        stride: int = 2,
        pooling: int = 3,
        n_patches: int = 100_000,
        random_state=None,
        image_shape=None,
    ):
        self.n_centroids = n_centroids
        self.patch_size = patch_size
        self.stride = stride
        self.pooling = pooling
        self.n_patches = n_patches
        self.random_state = random_state
        self.image_shape = image_shape

    def _check_params(self) -> None:
        for name in ("n_centroids", "patch_size", "stride", "pooling", "n_patches"):
            positive_int(getattr(self, name), name)
        if self.n_patches < self.n_centroids:
            raise ValueError(
                f"n_patches ({self.n_patches}) must be at least n_centroids "
                f"({self.n_centroids})"
            )

    def _positions(self) -> tuple[int, int]:
        height, width = self.image_shape_
        p, s = self.patch_size, self.stride
        return (height - p) // s + 1, (width - p) // s + 1

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=[np.float32, np.float64])
        self._check_params()
        self.image_shape_ = image_shape(X.shape[1], self.image_shape)
        height, width = self.image_shape_
        p = self.patch_size
        rows, cols = self._positions()
        if height < p or width < p or min(rows, cols) < self.pooling:
            raise ValueError(
                f"images of {height}x{width} pixels are too small for "
                f"{p}x{p}-pixel patches every {self.stride} pixels pooled over "
                f"{self.pooling}x{self.pooling} regions"
            )
        rng = check_random_state(self.random_state)
        images = X.reshape(len(X), height, width)
        which = rng.randint(0, len(X), self.n_patches)
        top = rng.randint(0, height - p + 1, self.n_patches)
        left = rng.randint(0, width - p + 1, self.n_patches)
        window = np.arange(p)
        patches = images[
            which[:, None, None],
            top[:, None, None] + window[None, :, None],
            left[:, None, None] + window[None, None, :],
        ].reshape(self.n_patches, p * p)
        patches = _normalise(patches.astype(np.float64))
        self.mean_ = patches.mean(axis=0)
        covariance = np.atleast_2d(np.cov(patches - self.mean_, rowvar=False))
        values, vectors = np.linalg.eigh(covariance)
        self.whitening_ = (vectors / np.sqrt(values + WHITEN_EPS)) @ vectors.T
        kmeans = MiniBatchKMeans(
            self.n_centroids, n_init=3, batch_size=4096, random_state=rng
        ).fit((patches - self.mean_) @ self.whitening_)
        self.centroids_ = kmeans.cluster_centers_
        self._n_features_out = self.pooling**2 * self.n_centroids
        return self

    def transform(self, X):
        check_is_fitted(self, "centroids_")
        X = validate_data(self, X, dtype=[np.float32, np.float64], reset=False)
        dtype = X.dtype
        images = X.reshape(len(X), *self.image_shape_)
        mean = self.mean_.astype(dtype)
        whitening = self.whitening_.astype(dtype)
        centroids = self.centroids_.astype(dtype)
        squares = (centroids**2).sum(axis=1)
        out = np.empty((len(X), self._n_features_out), dtype=dtype)
        for start in range(0, len(X), CHUNK):
            chunk = images[start : start + CHUNK]
            out[start : start + CHUNK] = self._codes(
                chunk, mean, whitening, centroids, squares
            )
        return out

    def _codes(self, images, mean, whitening, centroids, squares):
        p, s, q = self.patch_size, self.stride, self.pooling
        windows = np.lib.stride_tricks.sliding_window_view(images, (p, p), (1, 2))
        windows = windows[:, ::s, ::s]
        n, rows, cols = windows.shape[:3]
        patches = _normalise(windows.reshape(n, rows, cols, p * p))
        patches = (patches - mean) @ whitening
        # squared distances to every centroid, then the triangle code
        distances = (patches**2).sum(axis=-1, keepdims=True)
        distances = distances - 2 * patches @ centroids.T + squares
        np.sqrt(np.maximum(distances, 0, out=distances), out=distances)
        codes = distances.mean(axis=-1, keepdims=True) - distances
        np.maximum(codes, 0, out=codes)
        # summed over q x q regions (a last partial row or column of
        # positions goes to the last region)
        row_edges = np.arange(q) * rows // q
        col_edges = np.arange(q) * cols // q
        pooled = np.add.reduceat(np.add.reduceat(codes, row_edges, 1), col_edges, 2)
        return pooled.reshape(n, -1)


def _normalise(patches: np.ndarray) -> np.ndarray:
    """Each patch (the last axis) minus its mean, divided by its deviation."""
    patches = patches - patches.mean(axis=-1, keepdims=True)
    return patches / np.sqrt(patches.var(axis=-1, keepdims=True) + PATCH_VARIANCE_EPS)
