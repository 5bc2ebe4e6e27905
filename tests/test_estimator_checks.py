"""scikit-learn's own check suite, for every estimator class mnistbench defines,
in the configurations a user would pass."""

import importlib
import inspect
import pkgutil
import warnings

import pytest
from joblib import parallel_config
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC as LibsvmSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

import mnistbench
from mnistbench.augmentation import Augmented
from mnistbench.decomposition import PCA, ComponentsWarning
from mnistbench.patches import KMeansFeatures
from mnistbench.preprocessing import HOG, Deskew, GrayLevels
from mnistbench.svm import SVC

try:
    from mnistbench.engines import _onedal
except ImportError:  # scikit-learn-intelex is not installed
    _onedal = None

# scikit-learn's SVC fails these two checks as well (its
# PER_ESTIMATOR_XFAIL_CHECKS): libsvm stops at tol=1e-3, and gamma="scale"
# reads the variance of X without the weights, so weighted and repeated
# samples give decision values apart by more than the check's 1e-7. With
# tol=1e-10 and a fixed gamma both pass (test_svm).
SAMPLE_WEIGHTS = {
    f"check_sample_weight_equivalence_on_{kind}_data": (
        "libsvm's tol and gamma='scale' (as sklearn.svm.SVC)"
    )
    for kind in ("dense", "sparse")
}
# The check takes the argmax of the decision function for the prediction;
# "ovo" gives one column per pair of classes, not per class (scikit-learn's
# SVC(decision_function_shape="ovo") fails it too).
OVO = {"check_classifiers_train": "an 'ovo' decision function is not per class"}


def _svc_failures(svc) -> dict[str, str]:
    # scikit-learn runs no weight-equivalence check on a precomputed kernel
    failures = {} if svc.kernel == "precomputed" else dict(SAMPLE_WEIGHTS)
    if svc.decision_function_shape == "ovo":
        failures.update(OVO)
    return failures


SVCS = [
    SVC(kernel=kernel, decision_function_shape=shape)
    for kernel in ("linear", "poly", "rbf", "sigmoid", "precomputed")
    for shape in ("ovr", "ovo")
]


@parametrize_with_checks(SVCS, expected_failed_checks=_svc_failures)
def test_svc(estimator, check):
    with parallel_config(n_jobs=2):  # pairs fitted side by side
        check(estimator)


# scikit-learn's checks fit at most 20 features: 50 components always clamp.
@parametrize_with_checks([PCA(n_components=50), PCA()])
def test_pca(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComponentsWarning)
        check(estimator)


# scikit-learn's checks feed 1 to 20 features, which are not square images:
# these configurations take any number of features (a 1-pixel-high image,
# 1x1 HOG cells). The defaults, on real 28x28 images, are tested in
# test_preprocessing.
PIXEL_TRANSFORMERS = [
    GrayLevels(),
    GrayLevels(levels=4),
    Deskew(image_shape=(1, -1)),
    Deskew(image_shape=(-1, 1)),
    HOG(image_shape=(1, -1), pixels_per_cell=(1, 1), cells_per_block=(1, 1)),
    HOG(
        image_shape=(-1, 1),
        orientations=4,
        pixels_per_cell=(1, 1),
        cells_per_block=(1, 1),
        block_norm="L1",
    ),
    # 1-pixel patches: normalised, each is 0, and k-means finds one shape
    KMeansFeatures(
        n_centroids=1, patch_size=1, pooling=1, n_patches=20, image_shape=(1, -1)
    ),
]


@parametrize_with_checks(PIXEL_TRANSFORMERS)
def test_pixel_transformers(estimator, check):
    check(estimator)


# As images one pixel wide, the checks' samples have a mirror image that is
# the image itself (a test-time copy that keeps the checks' accuracy), and
# shifts that move the values down or up (training copies).
AUGMENTED = [
    Augmented(LogisticRegression(), image_shape=(-1, 1), test=("flip",)),
    Augmented(KNeighborsClassifier(), train=("flip", "shift"), image_shape=(-1, 1)),
    Augmented(LibsvmSVC(), support_vectors=True, image_shape=(-1, 1)),
    *(
        Augmented(SVC(decision_function_shape=shape), image_shape=(-1, 1), test=test)
        for shape in ("ovr", "ovo")
        for test in ((), ("flip",))
    ),
]


@parametrize_with_checks(
    AUGMENTED,
    expected_failed_checks=lambda est: (
        OVO if est.decision_function_shape == "ovo" else {}
    ),
)
def test_augmented(estimator, check):
    with parallel_config(n_jobs=2):
        check(estimator)


ONEDAL = (
    []
    if _onedal is None
    else [
        _onedal.SVC(),
        _onedal.SVC(decision_function_shape="ovo"),
        _onedal.KNeighborsClassifier(),
    ]
)


def _onedal_failures(est) -> dict[str, str]:
    return _svc_failures(est) if isinstance(est, _onedal.SVC) else {}


@pytest.mark.skipif(_onedal is None, reason="scikit-learn-intelex is not installed")
@parametrize_with_checks(ONEDAL, expected_failed_checks=_onedal_failures)
def test_sklearnex_float64_wrappers(estimator, check):
    check(estimator)


def test_every_estimator_class_is_checked():
    checked = {
        type(est) for est in SVCS + PIXEL_TRANSFORMERS + AUGMENTED + ONEDAL + [PCA()]
    }
    defined = set()
    for module in pkgutil.walk_packages(mnistbench.__path__, "mnistbench."):
        if module.name == "mnistbench.engines._onedal" and _onedal is None:
            continue
        for name, cls in vars(importlib.import_module(module.name)).items():
            if (
                inspect.isclass(cls)
                and issubclass(cls, BaseEstimator)
                and cls.__module__ == module.name
                and not name.startswith("_")
            ):
                defined.add(cls)
    assert defined and defined <= checked, defined - checked
