"""Pixel transformers: the scikit-learn contract and what they compute."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from mnistbench.preprocessing import GrayLevels


@parametrize_with_checks([GrayLevels(), GrayLevels(levels=4)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_gray_levels_bins_the_unit_interval():
    X = np.array([[0.0, 0.05, 0.0625, 0.5, 0.99, 1.0]], dtype=np.float32)
    out = GrayLevels(16).fit_transform(X)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(
        out * 16, [[0, 0, 1, 8, 15, 15]]
    )  # 1.0 joins the top level


def test_gray_levels_keep_order_and_count():
    X = np.random.default_rng(0).random((200, 30)).astype(np.float32)
    out = GrayLevels(8).fit_transform(X)
    assert len(np.unique(out)) == 8
    assert out.min() >= 0 and out.max() < 1
    # monotone: a brighter pixel never gets a darker level
    order = np.argsort(X[:, 0])
    assert np.all(np.diff(out[order, 0]) >= 0)


def test_gray_levels_leave_the_input_alone():
    X = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    before = X.copy()
    GrayLevels(4).fit(X).transform(X)
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize(
    "levels, error",
    [(1, ValueError), (0, ValueError), (2.5, TypeError), (True, TypeError)],
)
def test_gray_levels_reject_bad_levels(levels, error):
    with pytest.raises(error, match="levels"):
        GrayLevels(levels).fit(np.zeros((3, 2)))
