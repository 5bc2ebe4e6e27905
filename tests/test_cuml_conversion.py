"""The cuml engine's conversions, for real: cuML builds its estimators without
a GPU (only fitting needs one). Skips where cuML does not import; run with
`tox -e cuml`, which installs cuML's PyPI wheel (about 6.5 GB)."""

import importlib

import pytest

from mnistbench import engines, pipelines

cuml = pytest.importorskip("cuml", exc_type=ImportError)

# scikit-learn estimator -> its cuML class, and how each parameter carries
# over: {cuML parameter: scikit-learn parameter}, written out here rather than
# taken from the engine, so that the test checks the engine.
ON_GPU = {
    "PCA": (
        "cuml.decomposition.PCA",
        {"n_components": "n_components", "whiten": "whiten"},
    ),
    "LogisticRegression": (
        "cuml.linear_model.LogisticRegression",
        {
            "C": "C",
            "max_iter": "max_iter",
            "tol": "tol",
            "fit_intercept": "fit_intercept",
        },
    ),
    "SVC": (
        "cuml.svm.SVC",
        {
            p: p
            for p in (
                "C",
                "kernel",
                "gamma",
                "degree",
                "coef0",
                "tol",
                "cache_size",
                "max_iter",
            )
        },
    ),
    "RandomForestClassifier": (
        "cuml.ensemble.RandomForestClassifier",
        {
            "n_estimators": "n_estimators",
            "split_criterion": "criterion",
            "max_features": "max_features",
            "bootstrap": "bootstrap",
            "random_state": "random_state",
        },
    ),
    "KNeighborsClassifier": (
        "cuml.neighbors.KNeighborsClassifier",
        {"n_neighbors": "n_neighbors", "weights": "weights"},
    ),
}

# Where each step of the built-in pipelines runs once converted.
RAN_ON = {
    "logreg": "reduce:gpu,clf:gpu",
    "svm": "reduce:gpu,clf:gpu",
    "rf": "scale:cpu,clf:gpu",
    "knn": "reduce:gpu,clf:gpu",
    "pca_mlp": "reduce:cpu+gpu,clf:cpu",
    "deskew_knn": "scale:cpu,reduce:gpu,clf:gpu",
    "hog_knn": "scale:cpu+gpu,clf:gpu",
    "deskew_svm": "scale:cpu,reduce:gpu,clf:gpu",
    "hog_svm": "scale:cpu+gpu,clf:gpu",
}


def _cuml_class(path: str) -> type:
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("name", pipelines.available())
def test_every_pipeline_converts_step_by_step(name):
    pipe = pipelines.get(name)
    # Engine.convert alone: engines.convert() would first ask for a GPU.
    converted = engines.get("cuml").convert(pipe)
    before = list(engines.leaf_estimators(pipe))
    after = list(engines.leaf_estimators(converted))
    assert len(before) == len(after)
    for old, new in zip(before, after):
        kind = type(old).__name__
        if kind in ON_GPU:
            path, carried = ON_GPU[kind]
            assert isinstance(new, _cuml_class(path)), (name, kind)
            params = new.get_params()
            for theirs, ours in carried.items():
                assert params[theirs] == getattr(old, ours), (name, kind, theirs)
        else:  # stays on the CPU, unchanged
            assert type(new) is type(old), (name, kind)
            assert new.get_params() == old.get_params()
    if name in RAN_ON:
        assert engines.Tracker(converted, "cuml").ran_on() == RAN_ON[name]


def test_the_forest_keeps_its_depth_limit_and_knn_its_metric():
    pipe = pipelines.get("rf", clf__max_depth=12)
    forest = engines.get("cuml").convert(pipe).named_steps["clf"]
    assert forest.get_params()["max_depth"] == 12
    pipe = pipelines.get("knn", clf__metric="manhattan")
    knn = engines.get("cuml").convert(pipe).named_steps["clf"]
    assert knn.get_params()["metric"] == "manhattan"
    assert knn.get_params()["algorithm"] == "brute"


def test_a_gpu_step_before_a_cpu_step_hands_it_numpy():
    converted = engines.get("cuml").convert(pipelines.get("pca_mlp"))
    pca, scaler = converted.named_steps["reduce"].steps
    assert pca[1].get_params()["output_type"] == "numpy"
    assert type(scaler[1]).__module__.startswith("sklearn.")


@pytest.mark.parametrize(
    ("name", "on_gpu"),
    [("svm", True), ("knn", True), ("pca_mlp", False), ("rf", False)],
)
def test_the_arrays_go_to_the_gpu_only_when_every_step_is_cumls(name, on_gpu):
    pytest.importorskip("cupy", exc_type=ImportError)
    from mnistbench.engines.cuml import Device

    # A CPU step reads NumPy, and the classifier reads the labels too.
    converted = engines.get("cuml").convert(pipelines.get(name))
    assert Device(converted).gpu_input is on_gpu
