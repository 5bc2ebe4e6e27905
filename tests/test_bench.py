"""The benchmarks: peer comparison and scaling, on the real MNIST sample."""

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from test_cli import one_line_error
from test_engines import needs_sklearnex

from mnistbench import bench
from mnistbench.bench import BenchError, loglog_slope
from mnistbench.cli import cli
from mnistbench.results import read_leaderboard

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_loglog_slope_recovers_a_power_law():
    n = np.array([1_000, 2_000, 5_000, 10_000, 60_000])
    assert loglog_slope(n, 3e-6 * n**1.5) == pytest.approx(1.5)
    assert loglog_slope(n, np.full(5, 2.0)) == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(loglog_slope([1_000], [1.0]))
    assert math.isnan(loglog_slope([1_000, 2_000], [0.0, 0.0]))


def test_peers_are_plain_sklearn_defaults():
    assert list(bench.PEERS) == ["logreg", "svm", "rf", "knn", "pca_mlp"]
    svc = bench.peer_svm()[-1]
    assert (svc.C, svc.kernel, svc.gamma) == (1.0, "rbf", "scale")
    assert bench.peer_logreg()[-1].max_iter == 1000
    assert bench.peer_rf()[-1].n_jobs == -1


def test_peer_comparison_on_the_sample(tmp_path):
    seen = []
    result = bench.compare_with_peer(
        "mnist-sample",
        pipeline_names=["logreg", "knn"],
        train_size=600,
        out=tmp_path,
        on_result=lambda side, name, row: seen.append((side, name, row["status"])),
    )
    assert sorted(seen) == [
        ("mnistbench", "knn", "ok"),
        ("mnistbench", "logreg", "ok"),
        ("peer", "knn", "ok"),
        ("peer", "logreg", "ok"),
    ]
    table = pd.read_csv(result.csv)
    assert list(table["pipeline"]) == ["logreg", "knn", "suite"]
    per = table.iloc[:2]
    assert (per["peer_accuracy"] > 0.7).all() and (per["accuracy"] > 0.7).all()
    np.testing.assert_allclose(
        per["speedup"], per["peer_s"] / per["mnistbench_s"], rtol=1e-9
    )
    np.testing.assert_allclose(
        per["accuracy_diff"], per["accuracy"] - per["peer_accuracy"], atol=1e-12
    )
    suite = table.iloc[2]
    assert suite["peer_s"] == pytest.approx(per["peer_s"].sum())
    # mnistbench's suite time is the whole run's wall clock, more than its jobs'
    assert suite["mnistbench_s"] > per["mnistbench_s"].max()
    assert suite["peak_mem_mb"] > per["peak_mem_mb"].max()
    assert (table["n_train"] == 600).all() and table["cpu"].notna().all()
    assert (table["peer"] == "sklearn").all() and (table["engine"] == "sklearn").all()
    # how well the run kept the cores busy, from the jobs' CPU seconds
    assert (per["cpu_s"] > 0).all() and (per["peer_cpu_s"] > 0).all()
    assert suite["ideal_wall_s"] == pytest.approx(per["cpu_s"].sum() / suite["n_cores"])
    assert suite["wall_over_ideal"] == pytest.approx(
        suite["mnistbench_s"] / suite["ideal_wall_s"]
    )
    # the runs behind it are a normal results folder
    assert (tmp_path / "runs" / "leaderboard.csv").exists()
    assert read_leaderboard(tmp_path / "runs")["cpu_s"].gt(0).all()


@needs_sklearnex
def test_the_sklearnex_peer_is_the_same_code_patched(tmp_path):
    # patch_sklearn() changes scikit-learn for the whole process: look in one
    # of its own, as the job process does
    code = (
        "from mnistbench.bench.peer import PEERS, _patched\n"
        "for name, factory in PEERS.items():\n"
        "    print(name, *[type(step).__module__ for step in _patched(factory)])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    modules = {line.split()[0]: line.split()[1:] for line in out.splitlines()}
    assert modules["svm"][0].startswith("sklearnex.svm")
    assert modules["knn"][0].startswith("sklearnex.neighbors")
    assert modules["pca_mlp"][0].startswith("sklearnex.decomposition")
    assert modules["pca_mlp"][1].startswith("sklearn.neural_network")  # no MLP
    result = bench.compare_with_peer(
        "mnist-sample",
        peer="sklearnex",
        engine="sklearnex",
        pipeline_names=["knn"],
        train_size=600,
        out=tmp_path,
    )
    assert result.csv.name == "peer-mnist-sample-sklearnex-peer-sklearnex.csv"
    table = pd.read_csv(result.csv)
    assert list(table["peer"]) == ["sklearnex"] * 2
    assert list(table["engine"]) == ["sklearnex"] * 2
    assert table.loc[0, "peer_accuracy"] > 0.7 and table.loc[0, "accuracy"] > 0.7
    with pytest.raises(BenchError, match="unknown peer 'nope'"):
        bench.compare_with_peer("mnist-sample", peer="nope", out=tmp_path / "x")


def test_scaling_writes_points_slopes_and_figure(tmp_path):
    result = bench.scaling(
        "mnist-sample",
        sizes=[200, 400, 800, 100_000],  # the last is clipped to the 4,000 there are
        pipeline_names=["knn", "rf"],
        out=tmp_path,
    )
    assert sorted(result.points["n_train"].unique()) == [200, 400, 800, 4000]
    assert (result.points["status"] == "ok").all()
    slopes = result.slopes.set_index("pipeline")
    # Slopes are what the points say (timings themselves are too noisy on a
    # shared 2-core machine to assert a value in a unit test).
    for name, pts in result.points.groupby("pipeline"):
        for col in ("fit", "predict"):
            expected = loglog_slope(pts["n_train"], pts[f"{col}_s"])
            assert slopes.loc[name, f"{col}_slope"] == pytest.approx(expected)
            assert np.isfinite(expected)
    csv, png = result.files
    table = pd.read_csv(csv)
    assert {"fit_slope", "predict_slope", "n_train", "accuracy"} <= set(table.columns)
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert len(result.figure.axes) == 3


def test_preprocessing_axis_on_the_sample(tmp_path):
    seen = []
    result = bench.compare_preprocessing(
        "mnist-sample",
        train_size=1000,
        out=tmp_path,
        on_result=lambda job, row: seen.append(job.pipeline),
    )
    table = result.table
    assert sorted(seen) == sorted(table["pipeline"])
    # every classifier with variants, raw first: svm and knn, in registry order
    assert list(zip(table["classifier"], table["preprocessing"])) == [
        ("svm", "raw"),
        ("svm", "deskew"),
        ("svm", "hog"),
        ("svm", "hog+flips"),
        ("svm", "hog+shifts"),
        ("knn", "raw"),
        ("knn", "deskew"),
        ("knn", "hog"),
    ]
    assert (table["status"] == "ok").all() and (table["n_train"] == 1000).all()
    for _, rows in table.groupby("classifier"):
        raw = rows.iloc[0]
        np.testing.assert_allclose(
            rows["accuracy_diff"], rows["accuracy"] - raw["accuracy"]
        )
        np.testing.assert_allclose(rows["slowdown"], rows["seconds"] / raw["seconds"])
        # on handwriting, deskewing, HOG features and shifted copies beat raw
        # pixels (mirror images are no digits: hog+flips is not held to it)
        rows = rows[rows["preprocessing"] != "hog+flips"]
        assert (rows["accuracy_diff"].iloc[1:] > 0).all()
    written = pd.read_csv(result.csv)
    assert result.csv.name == "preprocessing-mnist-sample.csv"
    assert list(written["pipeline"]) == list(table["pipeline"])
    assert written["cpu"].notna().all()


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["bench", "preprocessing", "rf", "-d", "mnist-sample"],
            ["'rf' has no preprocessing variants", "deskew_rf, hog_rf", "svm, knn"],
        ),
        (
            ["bench", "scaling", "--sizes", "1k,2k"],
            ["--sizes '1k,2k'", "whole numbers"],
        ),
        (["bench", "scaling", "--sizes", "5", "-d", "mnist-sample"], ["at least 10"]),
        (["bench", "peer", "-d", "mnist-sample", "--train-size", "5"], ["between 10"]),
        (["bench", "peer", "-d", "nope"], ["nope"]),
    ],
)
def test_bad_input_is_one_line(args, needles, tmp_path):
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path)])
    one_line_error(result, *needles)
    assert not (tmp_path / "runs").exists()


def test_peer_rejects_pipelines_without_a_peer():
    with pytest.raises(BenchError, match="no peer for pipeline"):
        bench.compare_with_peer("mnist-sample", pipeline_names=["nope"])
