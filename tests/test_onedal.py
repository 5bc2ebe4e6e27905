"""The sklearnex engine's float64 estimators: sklearnex's, with scikit-learn's
view of what their methods accept."""

import inspect

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_digits
from sklearn.ensemble import AdaBoostClassifier
from sklearn.model_selection import KFold, cross_validate
from sklearn.utils.validation import has_fit_parameter

pytest.importorskip("sklearnex", reason="scikit-learn-intelex is not installed")

import sklearnex.neighbors  # noqa: E402
import sklearnex.svm  # noqa: E402

from mnistbench.engines import _onedal  # noqa: E402

# the engine's estimator -> sklearnex's, which it hands float64
SKLEARNEX = {
    _onedal.SVC: sklearnex.svm.SVC,
    _onedal.KNeighborsClassifier: sklearnex.neighbors.KNeighborsClassifier,
}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


@pytest.mark.parametrize("cls", SKLEARNEX, ids=lambda cls: cls.__name__)
def test_methods_take_what_sklearnexs_take(cls):
    wrapped = SKLEARNEX[cls]
    assert issubclass(cls, wrapped)
    for name in _onedal._READ:
        if hasattr(wrapped, name):
            ours, theirs = getattr(cls, name), getattr(wrapped, name)
            assert inspect.signature(ours) == inspect.signature(theirs), name
        else:
            assert not hasattr(cls, name), name
    assert has_fit_parameter(cls(), "sample_weight") == (cls is _onedal.SVC)


def test_adaboost_takes_the_svc_and_weights_it(digits):
    X, y = digits
    # AdaBoost's weights start at 1 / n_samples, and libsvm's C scales with them
    boost = AdaBoostClassifier(_onedal.SVC(kernel="linear", C=600), n_estimators=2)
    boost.fit(X[:600], y[:600])
    assert all(isinstance(est, _onedal.SVC) for est in boost.estimators_)
    assert boost.score(X[600:], y[600:]) > 0.9
    # the weights reach the SVC, given by position or by name
    weights = np.linspace(0.1, 2.0, 600)
    by_name = _onedal.SVC().fit(X[:600], y[:600], sample_weight=weights)
    by_position = _onedal.SVC().fit(X[:600], y[:600], weights)
    plain = _onedal.SVC().fit(X[:600], y[:600])
    assert np.array_equal(by_name.support_, by_position.support_)
    assert np.array_equal(by_name.dual_coef_, by_position.dual_coef_)
    assert not np.array_equal(by_name.support_, plain.support_)


@pytest.mark.parametrize("cls", SKLEARNEX, ids=lambda cls: cls.__name__)
def test_metadata_routing_reaches_the_weights(digits, cls):
    X, y = digits[0][:400], digits[1][:400]
    weights = np.random.default_rng(0).uniform(0.1, 2.0, len(y))
    takes_weights = cls is _onedal.SVC
    with sklearn.config_context(enable_metadata_routing=True):
        est = cls().set_score_request(sample_weight=True)
        if takes_weights:
            est = est.set_fit_request(sample_weight=True)
        else:
            with pytest.raises(AttributeError):  # its fit takes no weights
                est.set_fit_request(sample_weight=True)
        cv = cross_validate(est, X, y, cv=KFold(2), params={"sample_weight": weights})
    by_hand, unweighted = [], []
    for train, test in KFold(2).split(X):
        fit = {"sample_weight": weights[train]} if takes_weights else {}
        model = cls().fit(X[train], y[train], **fit)
        by_hand.append(model.score(X[test], y[test], sample_weight=weights[test]))
        unweighted.append(model.score(X[test], y[test]))
    np.testing.assert_array_equal(cv["test_score"], by_hand)
    assert not np.array_equal(cv["test_score"], unweighted)
