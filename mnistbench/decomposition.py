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
    """scikit-learn's :class:`~sklearn.decomposition.PCA`, fitting what the data allows.

    It fits ``min(n_samples, n_features)`` components (``- 1`` with
    ``arpack``) when an integer ``n_components`` asks for more, with a
    :class:`ComponentsWarning`; scikit-learn's PCA raises there. The same
    pipeline must fit 40 images in the first rung of a halving search, a
    learning curve's smallest training set, or 8x8 images (64 features);
    ``mnistbench run`` records the warning in the row's ``warnings``. On
    data larger than ``n_components`` the results are scikit-learn's,
    unchanged.

    Parameters
    ----------
    n_components : int, float, "mle" or None, default=None
        As in scikit-learn; an int larger than the data allows fits as many
        components as it allows, with a :class:`ComponentsWarning`, and is
        left as given (``get_params`` and clones are unchanged).
    copy, whiten, svd_solver, tol, iterated_power, n_oversamples
        scikit-learn's, with the same defaults.
    power_iteration_normalizer, random_state
        scikit-learn's, with the same defaults.

    Attributes
    ----------
    n_components_ : int
        The number of components fitted.
    components_, explained_variance_, explained_variance_ratio_, mean_
        scikit-learn's.

    See Also
    --------
    sklearn.decomposition.PCA : The PCA this one is.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from mnistbench.decomposition import PCA
    >>> X = np.random.default_rng(0).random((40, 64))  # 40 images of 8x8
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     pca = PCA(n_components=50).fit(X)
    >>> pca.n_components_, pca.n_components
    (40, 50)
    >>> print(caught[0].message)
    PCA(n_components=50) on 40 samples of 64 features: fitted 40 components
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
