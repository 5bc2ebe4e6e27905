"""``PCA`` that fits whatever the data's size: scikit-learn's, except that
asking for more components than the data has uses as many as it has.

A fixed ``n_components`` suits full-size data, but the same pipeline must also
fit 40 images in the first rung of a halving search, a learning curve's
smallest training set, or 8x8 images (64 features). scikit-learn's PCA raises
there; this one fits ``min(n_samples, n_features)`` components and says so
with a :class:`ComponentsWarning`, which ``mnistbench run`` records in the
row's ``warnings``. Otherwise it is scikit-learn's PCA, unchanged: on data
larger than ``n_components`` the results are identical.
"""

from __future__ import annotations

import numbers
import warnings

from scipy.sparse import issparse
from sklearn.decomposition import PCA as _PCA
from sklearn.utils.validation import _num_features, _num_samples

__all__ = ["PCA", "ComponentsWarning"]


class ComponentsWarning(UserWarning):
    """A reduce step fitted fewer components than it asked for."""


class PCA(_PCA):
    """scikit-learn's :class:`~sklearn.decomposition.PCA`, which fits
    ``min(n_samples, n_features)`` components (``- 1`` with ``arpack``) when
    an integer ``n_components`` asks for more, with a
    :class:`ComponentsWarning`. The parameters are scikit-learn's; the
    number fitted is ``n_components_``.
    """

    # Wherever scikit-learn's PCA fits, this one is the same computation, so
    # it is the same experiment: job keys of earlier runs still match.
    __mnistbench_fingerprint__ = "sklearn.decomposition._pca.PCA"

    def _fit(self, X):
        asked = self.n_components
        if not isinstance(asked, numbers.Integral) or isinstance(asked, bool):
            return super()._fit(X)
        try:
            shape = (_num_samples(X), _num_features(X))
        except TypeError:  # not 2-D: scikit-learn's checks say what is wrong
            return super()._fit(X)
        arpack = self.svd_solver == "arpack" or (
            self.svd_solver == "auto" and issparse(X)
        )
        limit = min(shape) - int(arpack)
        if asked <= limit or limit < 1:
            return super()._fit(X)
        warnings.warn(
            f"PCA(n_components={asked}) on {shape[0]} samples of {shape[1]} "
            f"features: fitted {limit} components",
            ComponentsWarning,
            stacklevel=3,
        )
        self.n_components = limit
        try:
            return super()._fit(X)
        finally:
            self.n_components = asked
