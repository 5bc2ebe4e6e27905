"""The registry and the built-in pipelines as scikit-learn estimators."""

import pickle
import warnings

import numpy as np
import pytest
from helpers import write_plugin
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline

from mnistbench import data, pipelines
from mnistbench.pipelines import STEPS, UnknownPipelineError

BUILTIN = ["logreg", "svm", "rf", "knn", "pca_mlp"]
SOTA = ["deskew_knn", "hog_knn", "deskew_svm", "hog_svm"]
SOTA_PLUS = ["hog_svm_flips", "hog_svm_flips_tta18", "hog_svm_shifts"]
SOTA_LONG = ["hog_kmeans_svm_flips", "hog_svm_rotations", "hog_svm_rotations_tta"]
ALL = BUILTIN + SOTA + SOTA_PLUS + SOTA_LONG


def _seeded(pipe):
    return pipe.set_params(
        **{
            k: 0
            for k, v in pipe.get_params().items()
            if k.endswith("random_state") and v is None
        }
    )


@pytest.fixture(scope="module")
def sample():
    ds = data.load("mnist-sample")
    # 1,000 training images (100 per class), the full 1,000-image test split
    idx = np.concatenate([np.flatnonzero(ds.y_train == k)[:100] for k in range(10)])
    return ds.X_train[idx], ds.y_train[idx], ds.X_test, ds.y_test


def test_builtins_registered_first():
    assert pipelines.available()[: len(ALL)] == ALL


def test_groups():
    assert pipelines.groups()[:4] == ["core", "sota", "sota-plus", "sota-long"]
    assert pipelines.available("sota-plus") == SOTA_PLUS
    assert pipelines.available("sota-long") == SOTA_LONG
    assert pipelines.available("core")[:5] == BUILTIN
    assert pipelines.available("sota") == SOTA
    assert pipelines.info("hog_svm").group == "sota"
    with pytest.raises(UnknownPipelineError, match="unknown pipeline group 'x'.*sota"):
        pipelines.available("x")
    with pytest.raises(ValueError, match="group must be a non-empty string"):
        pipelines.register("g", _custom, group="")


# hog_kmeans_svm_flips fits its 18-view slice in about 20 s: slow here; its
# fit is checked on 600 images by the sklearnex test in test_engines and on
# 500 by test_sklearn_api_round_trips.
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.slow)
        if name == "hog_kmeans_svm_flips"
        else name
        for name in ALL
    ],
)
def test_fits_a_slice_and_beats_chance_by_far(name, sample):
    X, y, X_test, y_test = sample
    pipe = pipelines.get(name)
    assert isinstance(pipe, Pipeline)
    assert [step for step, _ in pipe.steps] == list(STEPS)
    assert _seeded(pipe).fit(X, y).score(X_test, y_test) > 0.75  # chance is 0.10


@pytest.mark.parametrize("name", ALL)
def test_documented_with_an_anchor(name):
    doc = pipelines.describe(name)
    assert len(doc) > 200
    assert "LeCun" in doc or "Fashion-MNIST" in doc


@pytest.mark.parametrize("name", ALL)
def test_sklearn_api_round_trips(name, sample):
    X, y, X_test, _ = sample
    pipe = pipelines.get(name)
    params = pipe.get_params()
    assert "clf" in params and "scale" in params and "reduce" in params
    twin = clone(pipe)
    assert twin is not pipe
    assert twin.get_params().keys() == params.keys()
    pipe.set_params(**{k: 0 for k in params if k.endswith("random_state")})
    fitted = pipe.fit(X[::2], y[::2])
    back = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(
        back.predict(X_test[:50]), fitted.predict(X_test[:50])
    )


def test_preprocessing_beats_raw_pixels_on_real_digits(sample):
    """Deskewing and HOG help handwriting (LeCun's table): on 1,000 real
    MNIST digits, each variant beats its classifier on raw pixels."""
    X, y, X_test, y_test = sample

    def score(name):
        return _seeded(pipelines.get(name)).fit(X, y).score(X_test, y_test)

    assert score("deskew_knn") > score("knn") + 0.02
    assert score("deskew_svm") > score("svm") + 0.01
    assert score("hog_svm") > score("svm") + 0.02


def test_test_time_shifts_are_new_views_only_after_deskewing(sample):
    """hog_svm_rotations deskews inside Augmented, so each shifted test view
    deskews back to the image and averaging over them changes nothing;
    hog_svm_rotations_tta deskews first, so the shifted views are new."""
    X, y, X_test, _ = sample
    change = {}
    for name in ("hog_svm_rotations", "hog_svm_rotations_tta"):
        pipe = _seeded(pipelines.get(name)).set_params(
            clf__train=("shift",), clf__test=()
        )
        pipe.fit(X[::2], y[::2])
        augmented, views = pipe.named_steps["clf"], pipe[:-1].transform(X_test[:100])
        alone = augmented.decision_function(views)
        averaged = augmented.set_params(test=("shift",)).decision_function(views)
        change[name] = np.abs(averaged - alone).mean() / np.abs(alone).mean()
    assert change["hog_svm_rotations"] < 1e-4  # measured: 1e-17
    assert change["hog_svm_rotations_tta"] > 0.02  # measured: 0.06


def test_clf_c_means_the_same_everywhere():
    assert pipelines.get("svm", clf__C=3.0).get_params()["clf__C"] == 3.0
    assert pipelines.get("logreg", clf__C=3.0).get_params()["clf__C"] == 3.0
    pipe = pipelines.get("logreg", reduce=PCA(n_components=20))
    assert pipe.named_steps["reduce"].n_components == 20


def test_cross_val_score_and_grid_search(sample):
    X, y, _, _ = sample
    scores = cross_val_score(pipelines.get("knn"), X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.7
    search = GridSearchCV(pipelines.get("logreg"), {"clf__C": [0.1, 1.0]}, cv=2)
    search.fit(X[:400], y[:400])
    assert search.best_params_["clf__C"] in (0.1, 1.0)
    assert isinstance(search.best_estimator_, Pipeline)


def test_get_returns_fresh_unfitted_pipelines():
    a, b = pipelines.get("rf"), pipelines.get("rf")
    assert a is not b and a.named_steps["clf"] is not b.named_steps["clf"]
    assert not hasattr(a.named_steps["clf"], "estimators_")


def test_unknown_pipeline_lists_names():
    with pytest.raises(UnknownPipelineError, match="unknown pipeline 'cnn'.*logreg"):
        pipelines.get("cnn")


def test_bad_parameter():
    with pytest.raises(UnknownPipelineError, match="bad parameter"):
        pipelines.get("svm", clf__nonsense=1)


def _custom():
    """A custom pipeline for the test."""
    return pipelines.make(clf=pipelines.get("knn").named_steps["clf"])


def test_register_and_unregister():
    pipelines.register("custom_knn", _custom)
    try:
        assert "custom_knn" in pipelines.available()
        assert pipelines.info("custom_knn").summary == "A custom pipeline for the test."
        with pytest.raises(ValueError, match="already registered"):
            pipelines.register("custom_knn", _custom)
    finally:
        pipelines.unregister("custom_knn")
    assert "custom_knn" not in pipelines.available()


def test_factory_must_return_a_pipeline():
    pipelines.register("not_a_pipeline", dict)
    try:
        with pytest.raises(TypeError, match="not a sklearn Pipeline"):
            pipelines.get("not_a_pipeline")
    finally:
        pipelines.unregister("not_a_pipeline")


def test_entry_point_plugins(tmp_path, monkeypatch, fresh_plugins):
    site = write_plugin(
        tmp_path / "site",
        "[mnistbench.pipelines]\n"
        "sleepy = helpers:sleepy\nbroken = helpers:no_such_factory\n"
        "svm = helpers:boom\n",
    )
    monkeypatch.syspath_prepend(str(site))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = pipelines.available()
    messages = [str(w.message) for w in caught if w.category is RuntimeWarning]
    assert "sleepy" in names and "broken" not in names
    assert any("'broken'" in m and "failed to load" in m for m in messages)
    assert any("'svm'" in m and "name is taken" in m for m in messages)
    assert pipelines.info("svm").source == "mnistbench"  # not replaced by the plugin
    assert pipelines.info("sleepy").source.startswith("plugin helpers:sleepy")
