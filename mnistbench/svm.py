"""``SVC`` that uses every core it is given: scikit-learn's SVC, whose
one-vs-one problems are fitted side by side and whose RBF decision function
is computed with BLAS.

libsvm fits a multi-class SVM as one binary SVM per pair of classes, one
after the other on one core; each pair only sees its two classes, so the
pairs can be fitted at once, on threads (libsvm releases the GIL), and
assembled into the very model libsvm would have built: the same support
vectors, coefficients and intercepts (tested identical). It uses as many
threads as joblib is given jobs (``joblib.parallel_config(n_jobs=...)``,
which ``mnistbench run`` sets to each job's threads). Even on one thread,
the pairs fitted one by one, each on a compact copy of its two classes,
cost less than libsvm's own multi-class fit: 58 s against 135 s for the
``svm`` pipeline's model on Fashion-MNIST (2-core AMD EPYC).

libsvm also evaluates each test image's kernel against every support vector
in a plain C loop; with tens of thousands of support vectors that is most of
a benchmark's predict time, and test-time augmentation multiplies it. The
same sums as matrix products are an order of magnitude faster and give
libsvm's answers: the one-vs-one decision values to rounding, and the same
votes, ties broken the same way (tested identical on real images).
"""

from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.svm import SVC as _SVC
from sklearn.svm import _libsvm
from sklearn.utils.multiclass import _ovr_decision_function
from sklearn.utils.validation import check_is_fitted

__all__ = ["SVC"]

# Kernel values are computed for this many bytes' worth of (test image,
# support vector) pairs at a time.
CHUNK_BYTES = 128 * 2**20


class SVC(_SVC):
    """scikit-learn's :class:`~sklearn.svm.SVC`, fitted one pair of classes per thread.

    It predicts RBF kernels with BLAS. The parameters and fitted attributes
    are scikit-learn's, and so is the model. With more than two classes,
    dense input, no sample or class weights and ``probability`` off, ``fit``
    runs libsvm on each pair of classes (kernels other than precomputed), on
    as many threads as joblib allows jobs, the largest pairs first and
    ``cache_size`` shared among the threads, and ``predict`` and
    ``decision_function`` (RBF kernel) compute from
    ``support_vectors_``, ``dual_coef_`` and ``intercept_`` as libsvm does
    (one-vs-one votes, the lowest class winning a tie) with matrix products
    in float64. Anything else is scikit-learn's code.

    Parameters
    ----------
    C, kernel, degree, gamma, coef0, shrinking, probability, tol
        scikit-learn's, with the same defaults.
    cache_size : float, default=200
        Kernel cache in MB, in all: threads that fit pairs at once share it.
    class_weight, verbose, max_iter, decision_function_shape, break_ties
        scikit-learn's, with the same defaults.
    random_state : int, RandomState instance or None, default=None
        scikit-learn's.

    Attributes
    ----------
    support_, support_vectors_, n_support_, dual_coef_, intercept_
        The model, as scikit-learn's SVC (libsvm) builds it.
    classes_, fit_status_, n_features_in_
        scikit-learn's.

    See Also
    --------
    sklearn.svm.SVC : The same model, fitted by libsvm on one thread.
    mnistbench.pipelines.get : ``svm`` and the HOG pipelines use it.

    Examples
    --------
    The same model and predictions as scikit-learn's, its pairs of classes
    fitted on two threads:

    >>> import joblib
    >>> import numpy as np
    >>> import sklearn.svm
    >>> from mnistbench import data
    >>> from mnistbench.svm import SVC
    >>> ds = data.load("mnist-sample")
    >>> X, y = ds.X_train[:1000], ds.y_train[:1000]
    >>> with joblib.parallel_config(n_jobs=2):
    ...     ours = SVC(C=10).fit(X, y)
    >>> libsvm = sklearn.svm.SVC(C=10).fit(X, y)
    >>> bool(np.array_equal(ours.support_, libsvm.support_))
    True
    >>> bool(np.array_equal(ours.predict(ds.X_test), libsvm.predict(ds.X_test)))
    True
    >>> ours.score(ds.X_test, ds.y_test)
    0.93...
    """

    # Its pairs are fitted side by side on every thread the job has, so
    # `mnistbench run` can run it alone on every core (see
    # mnistbench._jobproc.spreads_over_threads).
    spreads_over_threads = True

    # The same fit and the same predictions as scikit-learn's SVC: the same
    # experiment, so job keys and definitions match scikit-learn's.
    __mnistbench_fingerprint__ = "sklearn.svm._classes.SVC"

    def _dense_fit(self, X, y, sample_weight, solver_type, kernel, random_seed):
        n_classes = len(self.classes_)
        workers = min(effective_n_jobs(None), n_classes * (n_classes - 1) // 2)
        if (
            n_classes < 3
            or len(sample_weight)
            or self.class_weight is not None
            or self._impl != "c_svc"
            or callable(self.kernel)
            # libsvm reads a precomputed kernel in place, where a pair's
            # rows and columns would be copied: its own fit is faster (0.23 s
            # against 0.75 s on 5,000 images)
            or self.kernel == "precomputed"
            or getattr(self, "_effective_probability", self.probability)
        ):
            return super()._dense_fit(
                X, y, sample_weight, solver_type, kernel, random_seed
            )
        params = dict(
            svm_type=solver_type,
            kernel=kernel,
            C=self.C,
            degree=self.degree,
            shrinking=self.shrinking,
            tol=self.tol,
            cache_size=self.cache_size / workers,  # cache_size is the total
            coef0=self.coef0,
            gamma=self._gamma,
            max_iter=self.max_iter,
            random_seed=random_seed,
        )
        _libsvm.set_verbosity_wrap(self.verbose)  # libsvm prints unless told
        rows = [np.flatnonzero((y == i) | (y == j)) for i, j in _pairs(n_classes)]
        # the largest pairs first, so that no large one starts last
        order = sorted(range(len(rows)), key=lambda p: -len(rows[p]))
        # one worker: joblib runs the pairs one by one, with no thread pool
        done = Parallel(n_jobs=workers, prefer="threads")(
            delayed(_libsvm.fit)(X[rows[p]], y[rows[p]], **params) for p in order
        )
        fits = [None] * len(rows)
        for p, fit in zip(order, done):
            fits[p] = fit
        self._assemble(X, y, rows, fits)
        self._warn_from_fit_status()

    def _assemble(self, X, y, rows, fits) -> None:
        """The multi-class model libsvm builds, from its pairs' models."""
        n_classes = len(self.classes_)
        in_pair = [r[fit[0]] for r, fit in zip(rows, fits)]  # pair SVs, as rows of X
        support = np.unique(np.concatenate(in_pair))
        support = support[np.argsort(y[support], kind="stable")]  # by class
        where = np.full(len(X), -1)
        where[support] = np.arange(len(support))
        dual_coef = np.zeros((n_classes - 1, len(support)))
        for (i, j), svs, fit in zip(_pairs(n_classes), in_pair, fits):
            coef = fit[3][0]
            of_i = y[svs] == i
            dual_coef[j - 1, where[svs[of_i]]] = coef[of_i]
            dual_coef[i, where[svs[~of_i]]] = coef[~of_i]
        self.support_ = support.astype(np.int32)
        self.support_vectors_ = X[support]
        self._n_support = np.bincount(
            y[support].astype(np.intp), minlength=n_classes
        ).astype(np.int32)
        self.dual_coef_ = dual_coef
        self.intercept_ = np.array([fit[4][0] for fit in fits])
        self._probA = self._probB = np.empty(0)
        self.fit_status_ = max(fit[7] for fit in fits)
        self._num_iter = np.concatenate([fit[8] for fit in fits])

    def _blas(self) -> bool:
        return (
            self.kernel == "rbf"
            and not self._sparse
            and len(self.classes_) > 2
            and self.probability in (False, "deprecated")
        )

    def _ovo(self, X) -> np.ndarray:
        """libsvm's one-vs-one decision values, pairs (i, j) for i < j."""
        # scikit-learn's checks and messages (sparse data to a dense fit, ...)
        X = self._validate_for_predict(X)
        sv, gamma = self.support_vectors_, self._gamma
        weights = _pair_weights(self.dual_coef_, self.n_support_)
        # -gamma |x - s|^2 = [x, |x|^2, 1] . [2 gamma s, -gamma, -gamma |s|^2]:
        # one matrix product gives the exponents, with no pass over the
        # (images x support vectors) matrix but the exponential.
        right = np.hstack(
            [
                2.0 * gamma * sv,
                np.full((len(sv), 1), -gamma),
                -gamma * np.einsum("ij,ij->i", sv, sv)[:, None],
            ]
        )
        left = np.hstack(
            [X, np.einsum("ij,ij->i", X, X)[:, None], np.ones((len(X), 1))]
        )
        out = np.empty((len(X), weights.shape[1]))
        step = max(1, CHUNK_BYTES // (8 * max(len(sv), 1)))
        workers = effective_n_jobs(None)
        for start in range(0, len(X), step):
            kernel = left[start : start + step] @ right.T
            out[start : start + step] = _exp(kernel, workers) @ weights
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


def _exp(a: np.ndarray, workers: int) -> np.ndarray:
    """``np.exp(a, out=a)``, on ``workers`` threads (numpy computes it on
    one and releases the GIL)."""
    if workers < 2 or len(a) < 2:
        return np.exp(a, out=a)
    Parallel(n_jobs=workers, prefer="threads")(
        delayed(np.exp)(part, out=part) for part in np.array_split(a, workers)
    )
    return a


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
