"""Engines: selection, conversion, honest ran_on, errors for what is missing."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC as SklearnSVC
from test_datasets import needs_debian_fashion

from mnistbench import engines, pipelines, runner
from mnistbench.engines import EngineUnavailable
from mnistbench.results import read_leaderboard
from mnistbench.svm import SVC as BlasSVC

HAS_SKLEARNEX = importlib.util.find_spec("sklearnex") is not None
HAS_CUML = importlib.util.find_spec("cuml") is not None
needs_sklearnex = pytest.mark.skipif(
    not HAS_SKLEARNEX, reason="scikit-learn-intelex is not installed"
)

# sklearnex's oneDAL solvers are not scikit-learn's: the same pipeline may
# differ by a few test images of 1,000 (measured: 0 to 2 on mnist-sample).
TOLERANCE = 0.01


def test_sklearn_engine_is_the_pipeline_itself():
    pipe = pipelines.get("svm")
    assert engines.convert(pipe, "sklearn") is pipe


def test_unknown_engine():
    with pytest.raises(ValueError, match="unknown engine 'tpu'"):
        engines.check("tpu")
    with pytest.raises(runner.RunError, match="--engine: unknown engine"):
        runner.run(["knn"], datasets=["mnist-sample"], engine="tpu")


@pytest.mark.skipif(HAS_CUML, reason="cuML is installed here")
def test_cuml_missing_is_one_line_with_the_install_command(tmp_path):
    with pytest.raises(EngineUnavailable, match=r'pip install "mnistbench\[gpu\]"'):
        engines.check("cuml")
    cli = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "mnistbench")]
        + ["run", "knn", "--engine", "cuml"]
        + ["--dataset", "mnist-sample", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 2
    assert cli.stderr.count("\n") == 1 and "cuML" in cli.stderr
    assert "Traceback" not in cli.stderr
    assert not (tmp_path / "leaderboard.csv").exists()  # nothing ran, nothing lost


@needs_sklearnex
def test_sklearnex_conversion_keeps_every_parameter():
    pipe = pipelines.get("pca_mlp")
    converted = engines.convert(pipe, "sklearnex")
    assert converted is not pipe
    pca = converted.named_steps["reduce"][0]
    assert type(pca).__module__.startswith("sklearnex")
    assert type(converted.named_steps["clf"]).__module__.startswith("sklearn.")  # MLP
    original = {k: v for k, v in pipe.get_params().items() if "__" in k}
    new = {k: v for k, v in converted.get_params().items() if "__" in k}
    for key, value in original.items():
        if not hasattr(value, "get_params") and not key.endswith("steps"):
            assert new[key] == value, key


@needs_sklearnex
@pytest.mark.parametrize("svc", ["sklearn", "mnistbench"])
def test_sklearnex_svc_cache_is_the_total_not_per_thread(svc):
    # oneDAL gives each thread cache_size; scikit-learn's is the whole cache
    import sklearnex.svm
    from sklearn.datasets import make_classification

    from mnistbench.engines.sklearnex import onedal_threads

    cls = SklearnSVC if svc == "sklearn" else BlasSVC
    est = cls(C=10.0, cache_size=400)
    converted = engines.convert(make_pipeline(est), "sklearnex").steps[-1][1]
    assert isinstance(converted, sklearnex.svm.SVC)
    assert converted.cache_size == pytest.approx(400 / onedal_threads())
    assert est.cache_size == 400  # the pipeline given is left as it was
    # the cache changes the time, never the model
    X, y = make_classification(600, 20, n_informative=10, n_classes=3, random_state=0)
    wide = type(converted)(C=10.0, cache_size=400).fit(X, y)
    np.testing.assert_array_equal(converted.fit(X, y).predict(X), wide.predict(X))


@needs_sklearnex
def test_sklearnex_gives_every_core_to_an_estimator_that_asks_for_them():
    # sklearnex counts n_jobs=-1 from the job's OpenMP limit, one thread in a
    # job sharing the cores: the engine hands it the core count instead
    import joblib
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # as in a job process sharing the cores
        rf = engines.convert(pipelines.get("rf", clf__criterion="gini"), "sklearnex")
        one = engines.convert(pipelines.get("rf", clf__n_jobs=1), "sklearnex")
    assert type(rf.named_steps["clf"]).__module__.startswith("sklearnex")
    assert rf.named_steps["clf"].n_jobs == joblib.cpu_count()
    assert pipelines.get("rf").named_steps["clf"].n_jobs == -1  # left as it was
    assert one.named_steps["clf"].n_jobs == 1


# What scikit-learn computes each in, whatever it is given: libsvm and the
# neighbours' distances (chunks cast up) in float64, the rest in the input's
# dtype. The fitted array that shows the dtype oneDAL computed in, and it.
ONEDAL_DTYPES = {
    "SVC": ("support_vectors_", np.float64),
    "KNeighborsClassifier": ("_fit_X", np.float64),
    "PCA": ("components_", np.float32),
    "LogisticRegression": ("coef_", np.float32),
}


@needs_sklearnex
@pytest.mark.parametrize("name", sorted(ONEDAL_DTYPES))
def test_sklearnex_hands_onedal_the_dtype_sklearn_computes_in(name):
    # oneDAL's float32 SVC lost 0.015 accuracy on an Intel Xeon (AVX-512) and
    # nothing on AMD (AVX2): the dtype that reaches oneDAL is what holds on
    # every CPU. Without the engine's cast, sklearnex keeps float32.
    from sklearn.datasets import make_classification
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    stock = {"SVC": SklearnSVC(), "KNeighborsClassifier": KNeighborsClassifier()}
    stock |= {"PCA": PCA(5), "LogisticRegression": LogisticRegression()}
    X, y = make_classification(600, 20, n_informative=10, n_classes=3, random_state=0)
    X = X.astype(np.float32)
    est = engines.convert(make_pipeline(stock[name]), "sklearnex").steps[-1][1]
    attribute, dtype = ONEDAL_DTYPES[name]
    est.fit(X, y)
    assert getattr(est, attribute).dtype == dtype
    calls = {}
    with engines.get("sklearnex").listen(calls):
        out = est.transform(X) if name == "PCA" else est.predict(X)
    assert calls[name] == {"onedal"}  # oneDAL ran it, and sklearnex logged it
    if name == "PCA":
        assert out.dtype == np.float32  # the next step reads what it would
    elif name == "SVC":
        # oneDAL is not libsvm: on an Intel Xeon (AVX-512) its float64 SVC
        # agrees with scikit-learn's on 0.987 of these predictions, at any
        # tol, where float32 agrees on 0.955; on AMD (AVX2), 0.99 or more.
        from sklearnex.svm import SVC as OnedalSVC

        expected = stock[name].fit(X, y).predict(X)
        agree = (out == expected).mean()
        agree32 = (OnedalSVC().fit(X, y).predict(X) == expected).mean()
        assert agree >= 0.98 and agree >= agree32


@needs_sklearnex
@pytest.mark.parametrize("name", pipelines.available())
def test_sklearnex_every_svc_and_neighbours_get_float64(name):
    from mnistbench.engines._base import leaf_estimators
    from mnistbench.engines._onedal import FLOAT64, Float64Input

    converted = engines.convert(pipelines.get(name), "sklearnex")
    for est in leaf_estimators(converted):
        assert isinstance(est, Float64Input) == (type(est).__name__ in FLOAT64)


@needs_sklearnex
def test_sklearnex_agrees_with_sklearn_and_says_where_it_ran(tmp_path):
    names = ["logreg", "svm", "rf", "knn", "pca_mlp"]
    kw = dict(datasets=["mnist-sample"], train_size=2000, n_jobs=2, plots=False)
    stock = runner.run(names, out=tmp_path / "sklearn", **kw).rows
    ex = runner.run(names, out=tmp_path / "ex", engine="sklearnex", **kw).rows
    assert (stock["status"] == "ok").all() and (ex["status"] == "ok").all()
    stock, ex = stock.set_index("pipeline"), ex.set_index("pipeline")
    diff = (ex["accuracy"] - stock["accuracy"]).abs()
    assert (diff <= TOLERANCE).all(), diff.to_dict()
    assert (stock["ran_on"].str.fullmatch(r"(\w+:cpu)(,\w+:cpu)*")).all()
    assert set(ex["engine"]) == {"sklearnex"}
    # the rows as written, and the steps sklearnex really accelerated
    board = read_leaderboard(tmp_path / "ex").set_index("pipeline")
    assert board.loc["svm", "ran_on"].endswith("clf:cpu-onedal")
    assert board.loc["knn", "ran_on"].endswith("clf:cpu-onedal")
    # oneDAL's forest has no entropy criterion: sklearnex falls back, and says so
    assert board.loc["rf", "ran_on"] == "scale:cpu,clf:cpu-fallback"
    assert board.loc["pca_mlp", "ran_on"].endswith("clf:cpu")  # no sklearnex MLP


@needs_sklearnex
def test_sklearnex_reaches_into_feature_unions(tmp_path):
    """hog_svm's scale step is a FeatureUnion (HOG then PCA, beside PCA): its
    PCAs are converted, its weights kept, HOG stays ours, and ran_on says so."""
    pipe = pipelines.get("hog_svm")
    union = engines.convert(pipe, "sklearnex").named_steps["scale"]
    assert union.transformer_weights == pipe.named_steps["scale"].transformer_weights
    hog, pca = union.transformer_list[0][1].steps
    assert type(hog[1]).__module__ == "mnistbench.preprocessing"
    assert type(pca[1]).__module__.startswith("sklearnex")
    rows = runner.run(
        ["hog_svm", "deskew_knn"],
        datasets=["mnist-sample"],
        train_size=1000,
        engine="sklearnex",
        out=tmp_path,
        plots=False,
    ).rows.set_index("pipeline")
    assert (rows["status"] == "ok").all() and (rows["accuracy"] > 0.9).all()
    assert rows.loc["hog_svm", "ran_on"].startswith("scale:cpu+cpu-")
    assert rows.loc["deskew_knn", "ran_on"].startswith("scale:cpu,reduce:cpu-")


@needs_sklearnex
def test_tracker_tells_accelerated_from_fallback():
    from mnistbench import data

    ds = data.load("mnist-sample")
    X, y = np.asarray(ds.X_train[:1000]), ds.y_train[:1000]
    for criterion, where in [("gini", "cpu-onedal"), ("entropy", "cpu-fallback")]:
        pipe = engines.convert(
            pipelines.get("rf", clf__criterion=criterion, clf__n_estimators=5),
            "sklearnex",
        )
        with engines.Tracker(pipe, "sklearnex") as tracker:
            pipe.fit(X, y).predict(X[:10])
        assert tracker.ran_on() == f"scale:cpu,clf:{where}"


def test_cuml_maps_every_builtin_estimator_or_keeps_it_on_the_cpu():
    """Runs without cuML: the table of what cuML replaces covers the suite."""
    from mnistbench.engines import cuml as _cuml

    cpu_only = {
        "MLPClassifier",
        "StandardScaler",
        "GrayLevels",
        "Deskew",
        "HOG",
        "KMeansFeatures",
    }
    for name in pipelines.available():
        for est in engines._leaf_estimators(pipelines.get(name)):
            kind = type(est).__name__
            assert kind in _cuml._CONVERTERS or kind in cpu_only, (name, kind)


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUML, reason="cuML is not installed")
def test_cuml_runs_every_pipeline_and_says_where(tmp_path):
    names = ["logreg", "svm", "rf", "knn", "pca_mlp"]
    kw = dict(datasets=["mnist-sample"], train_size=2000, plots=False)
    stock = runner.run(names, out=tmp_path / "cpu", **kw).rows.set_index("pipeline")
    gpu = runner.run(names, out=tmp_path / "gpu", engine="cuml", **kw).rows
    assert (gpu["status"] == "ok").all(), gpu["error"].tolist()
    gpu = gpu.set_index("pipeline")
    assert (gpu["warmup_s"] > 0).all()
    assert ((gpu["accuracy"] - stock["accuracy"]).abs() <= 0.03).all()
    assert gpu.loc["svm", "ran_on"] == "reduce:gpu,clf:gpu"
    assert gpu.loc["rf", "ran_on"] == "scale:cpu,clf:gpu"
    assert gpu.loc["pca_mlp", "ran_on"] == "reduce:cpu+gpu,clf:cpu"


@needs_sklearnex
def test_bench_engines_compares_side_by_side(tmp_path):
    from mnistbench import bench

    result = bench.compare_engines(
        "mnist-sample",
        engine_names=["sklearn", "sklearnex"],
        pipeline_names=["knn", "logreg"],
        train_size=1000,
        out=tmp_path,
    )
    table = result.table
    assert list(table["pipeline"]) == [
        "knn",
        "knn",
        "logreg",
        "logreg",
        "suite",
        "suite",
    ]
    assert list(table["engine"]) == ["sklearn", "sklearnex"] * 3
    assert (table.loc[table["engine"] == "sklearn", "speedup"] == 1).all()
    per = table[table["pipeline"] != "suite"]
    assert (per["status"] == "ok").all() and per["ran_on"].str.len().gt(0).all()
    assert (per["accuracy_diff"].abs() <= TOLERANCE).all()
    assert result.csv == tmp_path / "engines-mnist-sample.csv" and result.csv.exists()
    # the parity flag: within bench.PARITY of the baseline's accuracy or not
    assert per.loc[per["engine"] == "sklearn", "parity"].isna().all()
    ex = per[per["engine"] == "sklearnex"]
    assert list(ex["parity"]) == list(ex["accuracy_diff"].abs() <= bench.PARITY)
    assert len(result.outside) == (~ex["parity"].astype(bool)).sum()


@pytest.mark.slow
@needs_sklearnex
@needs_debian_fashion
def test_sklearnex_gives_sklearns_accuracy_on_fashion_mnist(tmp_path):
    """Every core and sota pipeline, whole Fashion-MNIST: the sklearnex
    engine's test accuracy within bench.PARITY (0.002) of scikit-learn's."""
    from mnistbench import bench

    names = pipelines.available("core") + pipelines.available("sota")
    result = bench.compare_engines(
        "fashion-mnist",
        engine_names=["sklearn", "sklearnex"],
        pipeline_names=names,
        out=tmp_path,
    )
    per = result.table[result.table["pipeline"] != "suite"]
    assert (per["status"] == "ok").all()
    outside = result.outside[["pipeline", "accuracy", "accuracy_diff"]]
    assert outside.empty, outside.to_string()


@pytest.mark.parametrize(
    "engine_names, message",
    [(["sklearn"], "at least two engines"), (["sklearn", "tpu"], "unknown engine")],
)
def test_bench_engines_bad_arguments(tmp_path, engine_names, message):
    from mnistbench import bench

    with pytest.raises(bench.BenchError, match=message):
        bench.compare_engines("mnist-sample", engine_names=engine_names, out=tmp_path)
    assert not any(tmp_path.iterdir())  # nothing ran, nothing written


@needs_sklearnex
def test_one_folder_keeps_the_best_of_each_engine(tmp_path):
    from mnistbench import results

    kw = dict(datasets=["mnist-sample"], train_size=500, out=tmp_path)
    runner.run(["knn"], **kw)
    runner.run(["knn"], engine="sklearnex", **kw)  # a new job, not a duplicate
    best = results.best_rows(read_leaderboard(tmp_path))
    assert sorted(best["engine"]) == ["sklearn", "sklearnex"]
    plots = tmp_path / "plots" / "mnist-sample"
    assert (plots / "knn-confusion.png").exists()
    assert (plots / "knn-sklearnex-confusion.png").exists()


def test_bench_engines_cli_needs_two_engines(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "mnistbench")
    cli = subprocess.run(
        [exe, "bench", "engines", "--engine", "sklearn", "--dataset", "mnist-sample"]
        + ["--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 2 and cli.stderr.count("\n") == 1
    assert "at least two engines" in cli.stderr and "Traceback" not in cli.stderr


@needs_sklearnex
def test_sklearnex_reaches_into_augmented(tmp_path):
    """The sota-plus and sota-long pipelines wrap a pipeline in Augmented:
    what it fits is converted (mnistbench's SVC is scikit-learn's, so
    sklearnex's replaces it), the augmentation is kept, and ran_on names the
    converted steps."""
    import sklearnex.svm

    pipe = pipelines.get("hog_svm_flips")
    augmented = engines.convert(pipe, "sklearnex").named_steps["clf"]
    assert augmented.get_params(deep=False)["train"] == ("flip", "shift")
    inner = augmented.estimator
    assert isinstance(inner.named_steps["clf"], sklearnex.svm.SVC)
    assert type(pipe.named_steps["clf"].estimator.named_steps["clf"]).__module__ == (
        "mnistbench.svm"
    )
    # hog_svm_flips_tta18 fits as hog_svm_flips does: left out for time
    augmented_pipelines = [
        "hog_svm_flips",
        "hog_svm_shifts",
        "hog_kmeans_svm_flips",
        "hog_svm_rotations",
        "hog_svm_rotations_tta",
    ]
    rows = runner.run(
        augmented_pipelines,
        datasets=["mnist-sample"],
        train_size=600,
        engine="sklearnex",
        out=tmp_path,
        plots=False,
    ).rows.set_index("pipeline")
    assert (rows["status"] == "ok").all() and (rows["accuracy"] > 0.85).all()
    for name in augmented_pipelines:
        # HOG, KMeansFeatures (and Deskew) are ours: cpu; the SVC ran in
        # oneDAL; sklearnex's PCA may fall back on these inputs, and says so
        steps = dict(s.split(":") for s in rows.loc[name, "ran_on"].split(","))
        assert {"cpu", "cpu-onedal"} <= set(steps.pop("clf").split("+"))
        # hog_svm_rotations_tta deskews ahead of Augmented, in a step of its own
        assert steps == ({"scale": "cpu"} if name == "hog_svm_rotations_tta" else {})
