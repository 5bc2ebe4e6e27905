"""Pixel transformers: what they compute (the scikit-learn contract is in
test_estimator_checks)."""

import numpy as np
import pytest
from scipy import ndimage

from mnistbench import _images, data
from mnistbench.augmentation import augment
from mnistbench.preprocessing import HOG, Deskew, image_shape


@pytest.fixture(scope="module")
def digits():
    """500 real MNIST digits (the shipped sample), float32 in [0, 1]."""
    return np.asarray(data.load("mnist-sample").X_train[:500])


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"block_norm": "L1"},
        {"block_norm": "L1-sqrt"},
        {"block_norm": "L2", "orientations": 8},
        {"pixels_per_cell": (7, 7), "cells_per_block": (3, 3), "orientations": 12},
        {"pixels_per_cell": (5, 6), "cells_per_block": (2, 1)},  # partial cells
    ],
)
def test_hog_equals_scikit_image(digits, params):
    skimage_feature = pytest.importorskip("skimage.feature")
    ours = HOG(**params).fit_transform(digits)
    full = {
        "orientations": 9,
        "pixels_per_cell": (4, 4),
        "cells_per_block": (2, 2),
        "block_norm": "L2-Hys",
        **params,
    }
    theirs = np.stack([skimage_feature.hog(x.reshape(28, 28), **full) for x in digits])
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_hog_defaults_on_28x28_images(digits):
    hog = HOG().fit(digits)
    assert hog.image_shape_ == (28, 28)
    out = hog.transform(digits[:3].astype(np.float64))
    assert out.shape == (3, 6 * 6 * 2 * 2 * 9) and out.dtype == np.float64
    names = hog.get_feature_names_out()
    assert len(names) == 1296 and names[0] == "hog0"


def _moments(image):
    """Centre of mass and slant (cov / var of rows), the hard way."""
    rows, cols = np.indices(image.shape)
    mass = image.sum()
    mu_r, mu_c = (rows * image).sum() / mass, (cols * image).sum() / mass
    var_r = ((rows - mu_r) ** 2 * image).sum() / mass
    cov = ((rows - mu_r) * (cols - mu_c) * image).sum() / mass
    return mu_r, mu_c, cov / var_r


def test_deskew_equals_an_affine_transform_per_image(digits):
    ours = Deskew().fit_transform(digits[:50])
    for image, mine in zip(digits[:50], ours):
        image = image.reshape(28, 28).astype(np.float64)
        mu_r, mu_c, alpha = _moments(image)
        shear = np.array([[1.0, 0.0], [alpha, 1.0]])
        offset = np.array([mu_r, mu_c]) - shear @ [13.5, 13.5]
        theirs = ndimage.affine_transform(
            image, shear, offset=offset, order=1, mode="grid-constant", prefilter=False
        )
        np.testing.assert_allclose(mine.reshape(28, 28), theirs, atol=1e-5)


def test_deskew_makes_a_slanted_stroke_upright_and_centred():
    image = np.zeros((28, 28), dtype=np.float32)
    for row in range(4, 24):  # a stroke leaning right by 1 pixel in 2 rows
        col = 6 + row // 2
        image[row, col : col + 3] = 1.0
    assert abs(_moments(image)[2]) > 0.4
    out = Deskew().fit_transform(image.reshape(1, -1)).reshape(28, 28)
    mu_r, mu_c, alpha = _moments(out)
    assert abs(alpha) < 0.02
    assert abs(mu_r - 13.5) < 0.05 and abs(mu_c - 13.5) < 0.05
    assert out.sum() == pytest.approx(image.sum(), rel=1e-3)  # no ink lost


def test_deskew_leaves_an_upright_centred_image_alone():
    image = np.zeros((28, 28), dtype=np.float32)
    image[6:22, 12:16] = 1.0  # a vertical bar, symmetric about 13.5
    out = Deskew().fit_transform(image.reshape(1, -1))
    np.testing.assert_allclose(out.reshape(28, 28), image, atol=1e-6)


def test_deskew_undoes_shifts_so_shifted_copies_add_nothing_after_it(digits):
    # Deskew centres every image by its centre of mass: an image moved by
    # whole pixels (ink left inside the frame) deskews to the same pixels.
    # So Augmented's "shift" and "shift2" copies, ahead of a Deskew step
    # (hog_svm_shifts, hog_svm_rotations), are the originals again; its
    # "rotate" copies are not.
    deskew = Deskew().fit(digits)
    original = deskew.transform(digits)

    def unchanged(names):
        return [
            np.mean(np.abs(deskew.transform(copy) - original).max(axis=1) < 1e-5)
            for copy in augment(digits, names)
        ]

    assert min(unchanged(("shift",))) >= 0.98  # measured 0.988-1.0
    assert min(unchanged(("shift2",))) >= 0.9  # measured 0.906-0.998
    assert max(unchanged(("rotate",))) == 0.0


def test_deskew_keeps_blank_images_blank_and_batches_in_chunks(digits, monkeypatch):
    X = np.vstack([np.zeros((1, 784), np.float32), digits[:20]])
    whole = Deskew().fit_transform(X)
    assert not whole[0].any()
    monkeypatch.setattr(_images, "CHUNK", 3)
    np.testing.assert_array_equal(Deskew().fit_transform(X), whole)
    np.testing.assert_array_equal(
        HOG().fit_transform(X),
        np.vstack([HOG().fit_transform(X[i : i + 1]) for i in range(21)]),
    )


@pytest.mark.parametrize(
    "n, shape, expected",
    [
        (784, None, (28, 28)),
        (6, (2, 3), (2, 3)),
        (6, (-1, 3), (2, 3)),
        (5, (1, -1), (1, 5)),
    ],
)
def test_image_shape(n, shape, expected):
    assert image_shape(n, shape) == expected


@pytest.mark.parametrize(
    "n, shape, match",
    [
        (10, None, "not a square image"),
        (6, (4, -1), r"does not fit 6 features"),
        (6, (2, 2), r"does not fit"),
        (6, (-1, -1), r"does not fit"),
        (6, "28x28", "must be \\(height, width\\)"),
    ],
)
def test_image_shape_rejects(n, shape, match):
    with pytest.raises(ValueError, match=match):
        image_shape(n, shape)


@pytest.mark.parametrize(
    "estimator, n_features, match",
    [
        (Deskew(), 10, "not a square image"),
        (HOG(), 10, "not a square image"),
        (HOG(), 16, "fewer than one block"),  # 4x4 pixels: one 4x4 cell
        (HOG(orientations=0), 16, "orientations"),
        (HOG(pixels_per_cell=4), 16, "pixels_per_cell"),
        (HOG(cells_per_block=(1, 0)), 16, "cells_per_block"),
        (HOG(block_norm="L3"), 16, "block_norm"),
    ],
)
def test_bad_input_gets_a_clear_error(estimator, n_features, match):
    with pytest.raises(ValueError, match=match):
        estimator.fit(np.zeros((3, n_features), dtype=np.float32))
