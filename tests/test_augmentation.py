"""Augmented: training copies, virtual support vectors, test-time augmentation."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_validate
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from mnistbench import data
from mnistbench.augmentation import ROTATE_DEGREES, TRANSFORMS, Augmented, augment
from mnistbench.decomposition import PCA
from mnistbench.svm import SVC as BlasSVC


@pytest.fixture(scope="module")
def sample():
    ds = data.load("mnist-sample")
    return np.asarray(ds.X_train[:600]), ds.y_train[:600]


def test_copies_are_the_mirror_and_the_one_pixel_shifts():  # and diagonal ones
    images = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4) + 1
    X = images.reshape(2, -1)
    (flipped,) = augment(X, ("flip",), (3, 4))
    assert np.array_equal(flipped.reshape(2, 3, 4), images[:, :, ::-1])
    down, up, right, left = (c.reshape(2, 3, 4) for c in augment(X, ("shift",), (3, 4)))
    assert np.array_equal(down[:, 1:], images[:, :-1]) and (down[:, 0] == 0).all()
    assert np.array_equal(up[:, :-1], images[:, 1:]) and (up[:, -1] == 0).all()
    assert np.array_equal(right[:, :, 1:], images[:, :, :-1])
    assert (right[:, :, 0] == 0).all()
    assert np.array_equal(left[:, :, :-1], images[:, :, 1:])
    assert (left[:, :, -1] == 0).all()
    moves = [(1, 1), (1, -1), (-1, 1), (-1, -1), (2, 0), (-2, 0), (0, 2), (0, -2)]
    for copy, (r, c) in zip(augment(X, ("diag", "shift2"), (3, 4)), moves, strict=True):
        # pixel (i, j) of the copy is pixel (i - r, j - c) of the image, or 0
        expected = np.zeros_like(images)
        rows, cols = slice(max(r, 0), 3 + min(r, 0)), slice(max(c, 0), 4 + min(c, 0))
        from_rows = slice(max(-r, 0), 3 + min(-r, 0))
        from_cols = slice(max(-c, 0), 4 + min(-c, 0))
        expected[:, rows, cols] = images[:, from_rows, from_cols]
        assert np.array_equal(copy.reshape(2, 3, 4), expected)
    # the mirror image's shifts are the shifts of the mirror image
    for name, moves in (("flip_shift", "shift"), ("flip_diag", "diag")):
        expected = augment(flipped, (moves,), (3, 4))
        for copy, want in zip(augment(X, (name,), (3, 4)), expected, strict=True):
            assert np.array_equal(copy, want)
    assert all(c.dtype == np.float32 for c in augment(X, tuple(TRANSFORMS), (3, 4)))
    assert np.array_equal(X, images.reshape(2, -1))  # the input is untouched


def test_rotate_turns_each_image_both_ways_about_its_centre(sample):
    from scipy import ndimage

    X, _ = sample
    X = X[:20]
    turned = augment(X, ("rotate",))
    assert len(turned) == 2 and all(c.dtype == np.float32 for c in turned)
    for copy, degrees in zip(turned, (ROTATE_DEGREES, -ROTATE_DEGREES)):
        for image, got in zip(X.reshape(-1, 28, 28), copy.reshape(-1, 28, 28)):
            want = ndimage.rotate(
                image, degrees, reshape=False, order=1, mode="grid-constant"
            )
            np.testing.assert_allclose(got, want, atol=1e-6)
    # ink is kept: digits sit well inside the frame
    np.testing.assert_allclose(turned[0].sum(1), X.sum(1), rtol=0.01)
    # turned back, an image is itself but for the blur of two interpolations
    back = augment(turned[0], ("rotate",))[1]
    assert np.abs(back - X).mean() < 0.05 < np.abs(turned[0] - X).mean()


class _Memory(KNeighborsClassifier):
    """1-NN that also keeps the bytes of every row it was fitted on."""

    def __init__(self):
        super().__init__(n_neighbors=1)

    def fit(self, X, y):
        self.seen_ = {row.tobytes() for row in np.asarray(X)}
        return super().fit(X, y)


def test_cross_validation_never_trains_on_copies_of_validation_images(sample):
    X, y = sample
    names = tuple(TRANSFORMS)
    model = Augmented(_Memory(), train=names)
    cv = cross_validate(model, X, y, cv=3, return_estimator=True, return_indices=True)
    for fitted, train, test in zip(
        cv["estimator"], cv["indices"]["train"], cv["indices"]["test"]
    ):
        seen = fitted.estimator_.seen_
        assert fitted.n_augmented_ == (1 + 1 + 4 + 4 + 4 + 4 + 4 + 2) * len(train)
        assert {r.tobytes() for r in X[train]} <= seen
        for copy in augment(X[train], names):
            assert {r.tobytes() for r in copy} <= seen
        for held_out in [X[test], *augment(X[test], names)]:
            assert not seen & {r.tobytes() for r in held_out}


def test_virtual_support_vectors_refit_on_the_support_vectors_copies(sample):
    X, y = sample
    svm = make_pipeline(PCA(n_components=30, random_state=0), SVC(C=10))
    first = svm.fit(X, y)[-1]
    model = Augmented(svm, train=("shift",), support_vectors=True).fit(X, y)
    assert model.n_augmented_ == 5 * len(first.support_) < 5 * len(X)
    # refitted on the support vectors and their copies: the PCA saw those
    assert model.estimator_[0].n_samples_ == model.n_augmented_
    with pytest.raises(ValueError, match="support_vectors=True needs an estimator"):
        Augmented(LogisticRegression(), support_vectors=True).fit(X, y)


def test_test_time_augmentation_averages_the_decision_function(sample):
    X, y = sample
    plain = Augmented(SVC(), train=("flip",)).fit(X[:400], y[:400])
    assert np.array_equal(plain.predict(X[400:]), plain.estimator_.predict(X[400:]))
    tta = Augmented(SVC(), train=("flip",), test=("flip",)).fit(X[:400], y[:400])
    svc, rest = tta.estimator_, X[400:]
    (mirror,) = augment(rest, ("flip",))
    mean = (svc.decision_function(rest) + svc.decision_function(mirror)) / 2
    assert np.allclose(tta.decision_function(rest), mean)
    assert np.array_equal(tta.predict(rest), svc.classes_[mean.argmax(axis=1)])
    proba = Augmented(LogisticRegression(max_iter=1000), test=("shift",)).fit(
        X[:400], y[:400]
    )
    assert np.allclose(proba.predict_proba(rest).sum(axis=1), 1)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"train": "flip"}, "train must be a tuple of transformation names"),
        ({"test": ("turn",)}, "test: unknown transformation 'turn'"),
        ({"image_shape": (5, 5)}, "does not fit 784 features"),
    ],
)
def test_bad_parameters_say_what_is_wrong(sample, params, message):
    X, y = sample
    with pytest.raises(ValueError, match=message):
        Augmented(LogisticRegression(), **params).fit(X[:50], y[:50])


def test_test_time_augmentation_is_named_where_results_show():
    from mnistbench import pipelines, report
    from mnistbench.augmentation import test_time_transforms

    assert test_time_transforms(pipelines.get("hog_svm_flips")) == (
        "flip",
        "shift",
        "diag",
    )
    assert test_time_transforms(pipelines.get("hog_svm_flips_tta18")) == (
        "flip",
        "shift",
        "diag",
        "flip_shift",
        "flip_diag",
    )
    assert "test-time augmentation" in pipelines.describe("hog_svm_flips_tta18").lower()
    assert test_time_transforms(pipelines.get("hog_svm_shifts")) == ()
    assert test_time_transforms(Augmented(SVC(), test=("shift",))) == ("shift",)
    assert "test-time augmentation" in pipelines.describe("hog_svm_flips").lower()
    (line,) = report._test_time_augmentation(["svm", "hog_svm_flips", "mine"])
    assert line.startswith("hog_svm_flips uses test-time augmentation")


@pytest.mark.parametrize("classes", [3, 10])
def test_one_vs_one_svcs_predict_what_one_vs_rest_ones_do(sample, classes):
    X, y = sample
    keep = y < classes
    X, y = X[keep], y[keep]
    half = len(X) // 2
    rest = X[half:]
    models = {
        shape: Augmented(
            make_pipeline(
                PCA(n_components=30, random_state=0),
                BlasSVC(C=5.0, decision_function_shape=shape),
            ),
            train=(),
            test=("shift",),
        ).fit(X[:half], y[:half])
        for shape in ("ovr", "ovo")
    }
    predicted = models["ovo"].predict(rest)
    assert np.array_equal(predicted, models["ovr"].predict(rest))
    assert (predicted == y[half:]).mean() > (0.9 if classes == 3 else 0.8)
    # the decision function keeps the estimator's shape: for "ovo", the mean
    # of the pairs' values over the image and its copies
    views = [rest, *augment(rest, ("shift",))]
    for shape, model in models.items():
        mean = np.mean([model.estimator_.decision_function(v) for v in views], 0)
        np.testing.assert_allclose(model.decision_function(rest), mean)
        columns = classes if shape == "ovr" else classes * (classes - 1) // 2
        assert mean.shape == (len(rest), columns)
        assert model.decision_function_shape == shape
