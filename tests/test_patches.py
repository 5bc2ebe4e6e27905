"""KMeansFeatures: learned patch shapes, triangle codes, pooled by region."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from mnistbench import data
from mnistbench.patches import KMeansFeatures


@pytest.fixture(scope="module")
def digits():
    ds = data.load("mnist-sample")
    return ds.X_train[:1000], ds.y_train[:1000], ds.X_test[:300], ds.y_test[:300]


@pytest.fixture(scope="module")
def fitted(digits):
    X, *_ = digits
    return KMeansFeatures(n_centroids=20, n_patches=5000, random_state=0).fit(X)


def _reference_codes(model, image):
    """The codes of one image, patch by patch in plain loops."""
    p, s, q = model.patch_size, model.stride, model.pooling
    height, width = model.image_shape_
    rows = range(0, height - p + 1, s)
    cols = range(0, width - p + 1, s)
    grid = np.zeros((len(rows), len(cols), model.n_centroids))
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            patch = image[r : r + p, c : c + p].ravel().astype(np.float64)
            patch = (patch - patch.mean()) / np.sqrt(patch.var() + 0.01)
            z = (patch - model.mean_) @ model.whitening_
            distance = np.linalg.norm(model.centroids_ - z, axis=1)
            grid[i, j] = np.maximum(distance.mean() - distance, 0)
    # q x q regions of positions, the remainder in the last ones
    row_parts = np.array_split(np.arange(len(rows)), q)
    col_parts = np.array_split(np.arange(len(cols)), q)
    pooled = [grid[np.ix_(a, b)].sum(axis=(0, 1)) for a in row_parts for b in col_parts]
    return np.concatenate(pooled)


def test_codes_are_coates_and_ngs_triangle_codes_pooled_by_region(digits, fitted):
    _, _, X_test, _ = digits
    codes = fitted.transform(X_test[:3])
    assert codes.shape == (3, 9 * 20) and codes.dtype == np.float32
    for image, row in zip(X_test[:3].reshape(-1, 28, 28), codes):
        np.testing.assert_allclose(
            row, _reference_codes(fitted, image), rtol=1e-3, atol=1e-3
        )
    assert (codes >= 0).all() and (codes > 0).any()
    # float64 in, float64 out, the same codes
    wide = fitted.transform(X_test[:3].astype(np.float64))
    assert wide.dtype == np.float64
    np.testing.assert_allclose(wide, codes, rtol=1e-4, atol=1e-3)


def test_the_regions_sum_to_the_whole_image(digits, fitted):
    X, _, X_test, _ = digits
    whole = KMeansFeatures(n_centroids=20, n_patches=5000, pooling=1, random_state=0)
    whole.fit(X)
    np.testing.assert_allclose(whole.centroids_, fitted.centroids_)
    by_region = fitted.transform(X_test[:5]).reshape(5, 9, 20).sum(axis=1)
    np.testing.assert_allclose(whole.transform(X_test[:5]), by_region, rtol=1e-4)


def test_learned_from_the_training_images_and_seeded(digits, fitted):
    X, *_ = digits
    again = KMeansFeatures(n_centroids=20, n_patches=5000, random_state=0).fit(X)
    np.testing.assert_array_equal(again.centroids_, fitted.centroids_)
    other = KMeansFeatures(n_centroids=20, n_patches=5000, random_state=1).fit(X)
    assert not np.allclose(other.centroids_, fitted.centroids_)
    # whitened patches have about unit variance in every direction
    assert fitted.whitening_.shape == (25, 25)
    assert fitted.get_feature_names_out()[0] == "kmeansfeatures0"


def test_codes_of_real_digits_make_a_good_classifier(digits):
    X, y, X_test, y_test = digits
    codes = KMeansFeatures(n_centroids=50, random_state=0).fit(X)
    clf = LogisticRegression(C=0.01, max_iter=2000).fit(codes.transform(X), y)
    assert clf.score(codes.transform(X_test), y_test) > 0.85  # chance is 0.10


@pytest.mark.parametrize(
    ("params", "n_features", "match"),
    [
        ({"n_centroids": 0}, 784, "n_centroids must be a positive int, got 0"),
        ({"stride": 1.5}, 784, "stride must be a positive int, got 1.5"),
        ({"n_patches": 10}, 784, r"n_patches \(10\) must be at least n_centroids"),
        ({}, 780, "780 features are not a square image"),
        ({}, 16, "images of 4x4 pixels are too small for 5x5-pixel patches"),
        ({"pooling": 13}, 784, "every 2 pixels pooled over 13x13 regions"),
    ],
)
def test_bad_input_gets_a_clear_error(params, n_features, match):
    X = np.random.default_rng(0).random((300, n_features), dtype=np.float32)
    with pytest.raises(ValueError, match=match):
        KMeansFeatures(**params).fit(X)
