"""mnistbench's SVC: libsvm's fit, predictions computed with BLAS."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from joblib import parallel_config
from sklearn.datasets import load_digits
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.svm import SVC as LibsvmSVC
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
)

from mnistbench import data
from mnistbench.decomposition import PCA
from mnistbench.svm import SVC


@pytest.fixture(scope="module")
def features():
    ds = data.load("mnist-sample")
    X = np.concatenate([ds.X_train, ds.X_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    return PCA(n_components=30, random_state=0).fit(X[:2000]).transform(X), y


#: The fitted attributes that make an SVC's model.
MODEL = (
    "support_",
    "support_vectors_",
    "n_support_",
    "dual_coef_",
    "intercept_",
    "n_iter_",
    "fit_status_",
    "shape_fit_",
)


def _votes(ovo, n):
    votes = np.zeros((len(ovo), n), dtype=int)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    for p, (i, j) in enumerate(pairs):
        votes[:, i] += ovo[:, p] > 0
        votes[:, j] += ovo[:, p] <= 0
    return votes


@pytest.mark.parametrize("n_jobs", [1, 2])  # 2: the exponentials on two threads
def test_predictions_are_libsvms_ties_included(features, n_jobs):
    X, y = features
    params = dict(C=5.0, decision_function_shape="ovo")
    ours = SVC(**params).fit(X[:2000], y[:2000])
    theirs = LibsvmSVC(**params).fit(X[:2000], y[:2000])
    rest = X[2000:]
    ovo = theirs.decision_function(rest)
    with parallel_config(n_jobs=n_jobs):
        assert np.allclose(ours.decision_function(rest), ovo, rtol=0, atol=1e-9)
        votes = _votes(ovo, 10)
        tied = (votes == votes.max(axis=1, keepdims=True)).sum(axis=1) > 1
        assert tied.sum() >= 5  # libsvm gives these to the lowest class
        assert np.array_equal(ours.predict(rest), theirs.predict(rest))
        ours.decision_function_shape = theirs.decision_function_shape = "ovr"
        assert np.allclose(ours.decision_function(rest), theirs.decision_function(rest))
        assert np.array_equal(ours.predict(rest), theirs.predict(rest))


@pytest.mark.parametrize(
    "params, classes",
    [({}, 2), ({"kernel": "linear"}, 10), ({"break_ties": True}, 10)],
)
def test_what_blas_does_not_cover_is_scikit_learns(features, params, classes):
    X, y = features
    keep = y < classes
    X, y = X[keep][:1000], y[keep][:1000]
    ours, theirs = SVC(**params).fit(X, y), LibsvmSVC(**params).fit(X, y)
    # break_ties predicts the argmax of the (BLAS) decision function
    dec = ours.decision_function(X)
    assert np.allclose(dec, theirs.decision_function(X), rtol=0, atol=1e-9)
    assert np.array_equal(ours.predict(X), theirs.predict(X))
    sparse = sp.csr_matrix(X)
    ours, theirs = SVC().fit(sparse, y), LibsvmSVC().fit(sparse, y)
    assert np.array_equal(
        ours.decision_function(sparse), theirs.decision_function(sparse)
    )


@pytest.mark.parametrize("n_jobs", [1, 2])  # 1: the pairs one after the other
def test_pairs_fitted_side_by_side_are_libsvms_model(features, n_jobs):
    X, y = features
    theirs = LibsvmSVC(C=5.0).fit(X[:2000], y[:2000])
    with parallel_config(n_jobs=n_jobs):
        ours = SVC(C=5.0).fit(X[:2000], y[:2000])
    for attr in MODEL:
        mine, libsvm = getattr(ours, attr), getattr(theirs, attr)
        assert (
            np.array_equal(mine, libsvm)
            and np.asarray(mine).dtype == np.asarray(libsvm).dtype
        ), attr
    rest = X[2000:]
    # libsvm's own prediction code reads the assembled model
    assert np.array_equal(LibsvmSVC.predict(ours, rest), theirs.predict(rest))
    with parallel_config(n_jobs=2):  # what it does not cover is libsvm's fit
        weighted = SVC(class_weight="balanced").fit(X[:500], y[:500])
    assert np.array_equal(
        weighted.dual_coef_,
        LibsvmSVC(class_weight="balanced").fit(X[:500], y[:500]).dual_coef_,
    )


def test_pairs_fitted_side_by_side_print_nothing(features, capfd):
    X, y = features
    with parallel_config(n_jobs=2):
        SVC().fit(X[:300], y[:300])
    assert capfd.readouterr().out == ""


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


@pytest.mark.parametrize("classes", [3, 10])
@pytest.mark.parametrize("kernel", ["linear", "poly", "rbf", "sigmoid", "precomputed"])
def test_every_kernel_is_libsvms_model(digits, kernel, classes):
    X, y = digits
    keep = y < classes
    X, y = X[keep], y[keep]
    train, test = slice(0, len(X) * 2 // 3), slice(len(X) * 2 // 3, None)
    if kernel == "precomputed":  # an RBF kernel, given as K(X_test, X_train)
        X = rbf_kernel(X, X[train], gamma=0.05)
    params = dict(kernel=kernel, C=3.0, coef0=0.5 if kernel != "sigmoid" else 0.0)
    with parallel_config(n_jobs=2):
        ours = SVC(**params).fit(X[train], y[train])
        theirs = LibsvmSVC(**params).fit(X[train], y[train])
        for attr in MODEL:
            mine, libsvm = getattr(ours, attr), getattr(theirs, attr)
            assert np.array_equal(mine, libsvm), attr
            assert np.asarray(mine).dtype == np.asarray(libsvm).dtype, attr
        assert np.array_equal(ours.predict(X[test]), theirs.predict(X[test]))
        assert (ours.predict(X[test]) == y[test]).mean() > 0.8  # a real model
        for shape in ("ovr", "ovo"):
            ours.decision_function_shape = theirs.decision_function_shape = shape
            np.testing.assert_allclose(
                ours.decision_function(X[test]),
                theirs.decision_function(X[test]),
                rtol=0,
                atol=1e-9,
            )


def test_precomputed_probabilities_are_scikit_learns(digits):
    X, y = digits
    gram = X @ X.T
    params = dict(kernel="precomputed", probability=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # probability: deprecated
        ours = SVC(**params).fit(gram[:900, :900], y[:900])
        theirs = LibsvmSVC(**params).fit(gram[:900, :900], y[:900])
    rest = gram[900:, :900]
    assert np.array_equal(ours.support_, theirs.support_)
    np.testing.assert_array_equal(ours.predict_proba(rest), theirs.predict_proba(rest))
    with pytest.raises(ValueError, match="expecting 900 features"):
        ours.predict(X[900:])  # the images, not their kernel


@pytest.mark.parametrize("kernel", ["linear", "poly", "rbf", "sigmoid"])
def test_sample_weights_are_repetitions_once_libsvm_converges(kernel):
    # What scikit-learn's check finds apart (its expected failure) is libsvm's
    # stopping tolerance and gamma="scale": without them, weighting a sample
    # (libsvm's multi-class fit) is repeating it (the pairs side by side).
    svc = SVC(kernel=kernel, tol=1e-10, gamma=0.1, decision_function_shape="ovo")
    with parallel_config(n_jobs=2):
        check_sample_weight_equivalence_on_dense_data("SVC", svc)


def test_sparse_data_after_a_dense_fit_is_scikit_learns_value_error(features):
    X, y = features
    dense = X[:300]
    sparse = sp.csr_matrix(X[300:400])
    ours, theirs = SVC().fit(dense, y[:300]), LibsvmSVC().fit(dense, y[:300])
    for method in ("predict", "decision_function"):
        with pytest.raises(ValueError) as expected:
            getattr(theirs, method)(sparse)
        with pytest.raises(ValueError) as raised:
            getattr(ours, method)(sparse)
        assert str(raised.value) == str(expected.value)
        assert "sparse input" in str(raised.value)
