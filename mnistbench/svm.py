"""``SVC`` that predicts with BLAS: scikit-learn's, fitted by libsvm as ever,
whose RBF decision function is computed from the fitted model in chunks of
matrix products instead of libsvm's one kernel value at a time.

libsvm evaluates each test image's kernel against every support vector in a
plain C loop; with tens of thousands of support vectors that is most of a
benchmark's predict time, and test-time augmentation multiplies it. The same
sums as matrix products are an order of magnitude faster and give libsvm's
answers: the one-vs-one decision values to rounding, and the same votes, ties
broken the same way (tested identical on real images).
"""

from __future__ import annotations

import numpy as np
from sklearn.svm import SVC as _SVC
from sklearn.utils.multiclass import _ovr_decision_function
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["SVC"]

# Kernel values are computed for this many bytes' worth of (test image,
# support vector) pairs at a time.
CHUNK_BYTES = 128 * 2**20


class SVC(_SVC):
    """scikit-learn's :class:`~sklearn.svm.SVC`, whose ``predict`` and
    ``decision_function`` compute RBF kernels with BLAS.

    Fitting is scikit-learn's (libsvm), unchanged, and so are the parameters
    and fitted attributes. For an RBF kernel, dense input, more than two
    classes and ``probability`` off, predictions are computed from
    ``support_vectors_``, ``dual_coef_`` and ``intercept_`` as libsvm does
    (one-vs-one votes, the lowest class winning a tie) with matrix products
    in float64; anything else is scikit-learn's code.
    """

    # The same fit and the same predictions as scikit-learn's SVC: the same
    # experiment, so job keys and definitions match scikit-learn's.
    __mnistbench_fingerprint__ = "sklearn.svm._classes.SVC"

    def _blas(self) -> bool:
        return (
            self.kernel == "rbf"
            and not self._sparse
            and len(self.classes_) > 2
            and self.probability in (False, "deprecated")
        )

    def _ovo(self, X) -> np.ndarray:
        """libsvm's one-vs-one decision values, pairs (i, j) for i < j."""
        X = validate_data(self, X, dtype=np.float64, order="C", reset=False)
        sv = self.support_vectors_
        weights = _pair_weights(self.dual_coef_, self.n_support_)
        sv_norms = np.einsum("ij,ij->i", sv, sv)
        out = np.empty((len(X), weights.shape[1]))
        step = max(1, CHUNK_BYTES // (8 * max(len(sv), 1)))
        for start in range(0, len(X), step):
            chunk = X[start : start + step]
            sq = np.einsum("ij,ij->i", chunk, chunk)[:, None] + sv_norms
            sq -= 2.0 * (chunk @ sv.T)
            kernel = np.exp(-self._gamma * sq, out=sq)
            out[start : start + step] = kernel @ weights
        return out + self.intercept_

    def decision_function(self, X):
        check_is_fitted(self)
        if not self._blas():
            return super().decision_function(X)
        ovo = self._ovo(X)
        if self.decision_function_shape == "ovr":
            return _ovr_decision_function(ovo < 0, -ovo, len(self.classes_))
        return ovo

    def predict(self, X):
        check_is_fitted(self)
        if not self._blas() or self.break_ties:
            return super().predict(X)
        ovo = self._ovo(X)
        n = len(self.classes_)
        votes = np.zeros((len(ovo), n), dtype=np.intp)
        for p, (i, j) in enumerate(_pairs(n)):
            wins = ovo[:, p] > 0
            votes[:, i] += wins
            votes[:, j] += ~wins
        return self.classes_[np.argmax(votes, axis=1)]  # the first maximum


def _pairs(n: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n) for j in range(i + 1, n)]


def _pair_weights(dual_coef: np.ndarray, n_support: np.ndarray) -> np.ndarray:
    """(n_SV, n_pairs): each support vector's coefficient in each pair's sum.

    libsvm's pair (i, j) sums class i's support vectors with their
    coefficients in row j - 1 of ``dual_coef_`` and class j's with row i.
    """
    n = len(n_support)
    starts = np.concatenate([[0], np.cumsum(n_support)])
    weights = np.zeros((dual_coef.shape[1], n * (n - 1) // 2))
    for p, (i, j) in enumerate(_pairs(n)):
        own_i = slice(starts[i], starts[i + 1])
        own_j = slice(starts[j], starts[j + 1])
        weights[own_i, p] = dual_coef[j - 1, own_i]
        weights[own_j, p] = dual_coef[i, own_j]
    return weights
