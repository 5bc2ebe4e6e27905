"""mnistbench's SVC: libsvm's fit, predictions computed with BLAS."""

import numpy as np
import pytest
import scipy.sparse as sp
from joblib import parallel_config
from sklearn.svm import SVC as LibsvmSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from mnistbench import data
from mnistbench.decomposition import PCA
from mnistbench.svm import SVC

# scikit-learn's own SVC fails these two checks the same way (its
# PER_ESTIMATOR_XFAIL_CHECKS): libsvm's C scales with the sample weights.
SAMPLE_WEIGHTS = {
    f"check_sample_weight_equivalence_on_{kind}_data": "as sklearn.svm.SVC"
    for kind in ("dense", "sparse")
}


@parametrize_with_checks([SVC()], expected_failed_checks=lambda _: SAMPLE_WEIGHTS)
def test_sklearn_contract(estimator, check):
    with parallel_config(n_jobs=2):  # pairs fitted side by side
        check(estimator)


@pytest.fixture(scope="module")
def features():
    ds = data.load("mnist-sample")
    X = np.concatenate([ds.X_train, ds.X_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    return PCA(n_components=30, random_state=0).fit(X[:2000]).transform(X), y


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
    for attr in (
        "support_",
        "support_vectors_",
        "n_support_",
        "dual_coef_",
        "intercept_",
        "n_iter_",
        "fit_status_",
    ):
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
