"""What mnistbench's pixel transformers share: the base classes, the image
shape of flattened images, and the checks of their int parameters.

:mod:`mnistbench.preprocessing` (``GrayLevels``, ``Deskew``, ``HOG``) and
:mod:`mnistbench.patches` (``KMeansFeatures``) build on these.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

# Images are transformed this many at a time, to bound the memory of the
# intermediate arrays (a few float64 copies of each chunk).
CHUNK = 2048


class _PixelTransformer(TransformerMixin, BaseEstimator):
    """Fitted before use (``fit`` checks the input), keeps float32 float32."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def is_positive_int(value) -> bool:
    """Whether ``value`` is an int (not a bool) of at least 1."""
    return (
        isinstance(value, (int, np.integer))
        and not isinstance(value, bool)
        and value >= 1
    )


def positive_int(value, name: str) -> None:
    """Raise ValueError, naming parameter ``name``, unless ``value`` is an
    int (not a bool) of at least 1."""
    if not is_positive_int(value):
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def image_shape(n_features: int, shape=None) -> tuple[int, int]:
    """The (height, width) of images flattened to ``n_features`` values.

    ``shape=None`` means square images, so ``n_features`` must be a perfect
    square (784 -> 28x28). Otherwise ``shape`` is (height, width), where one
    of the two may be -1 to be worked out from ``n_features``, as in
    ``numpy.reshape``. Raises ValueError when the shape does not fit.
    """
    if shape is None:
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"{n_features} features are not a square image; give image_shape="
                "(height, width)"
            )
        return side, side
    try:
        height, width = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"image_shape must be (height, width), got {shape!r}"
        ) from None
    if height == -1 and width > 0 and n_features % width == 0:
        height = n_features // width
    elif width == -1 and height > 0 and n_features % height == 0:
        width = n_features // height
    if height < 1 or width < 1 or height * width != n_features:
        raise ValueError(
            f"image_shape {tuple(shape)} does not fit {n_features} features"
        )
    return height, width


class _ImageTransformer(_PixelTransformer):
    """Shared plumbing: input checks, the image shape, chunked transforms."""

    # Chunks of images in numpy, one thread: a job whose pipeline has such a
    # step does not run alone on every core, where it would leave the others
    # idle meanwhile (see mnistbench._jobproc.spreads_over_threads).
    spreads_over_threads = False

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=[np.float32, np.float64])
        self._check_params()
        self.image_shape_ = image_shape(X.shape[1], self.image_shape)
        return self

    def _check_params(self) -> None:
        pass

    def transform(self, X):
        check_is_fitted(self, "image_shape_")
        X = validate_data(self, X, dtype=[np.float32, np.float64], reset=False)
        images = X.reshape(len(X), *self.image_shape_)
        out = np.empty((len(X), self._n_out()), dtype=X.dtype)
        for start in range(0, len(X), CHUNK):
            stop = start + CHUNK
            out[start:stop] = self._transform_images(images[start:stop])
        return out
