"""Paired statistics on constructed predictions with known answers."""

import numpy as np
import pandas as pd
import pytest

from mnistbench import compare, data, pipelines


def predictions_with(a_only: int, b_only: int, both: int, neither: int):
    """Labels and two prediction vectors with the given agreement counts."""
    n = a_only + b_only + both + neither
    y = np.zeros(n, dtype=int)
    a = np.zeros(n, dtype=int)
    b = np.zeros(n, dtype=int)
    a[a_only : a_only + b_only] = 1  # a wrong where only b is right
    b[:a_only] = 1  # b wrong where only a is right
    a[n - neither :] = b[n - neither :] = 1  # both wrong
    return y, a, b


def test_mcnemar_exact_matches_the_binomial_by_hand():
    y, a, b = predictions_with(a_only=10, b_only=2, both=80, neither=8)
    result = compare.mcnemar(y, a, b)
    assert (result.a_only, result.b_only) == (10, 2)
    # two-sided exact: 2 * P(X <= 2), X ~ Binomial(12, 1/2) = 2 * 79 / 4096
    assert result.pvalue == pytest.approx(2 * (1 + 12 + 66) / 2**12)
    assert compare.mcnemar(y, b, a).pvalue == pytest.approx(result.pvalue)


def test_mcnemar_without_disagreement_is_one_and_balanced_is_one():
    y, a, b = predictions_with(a_only=0, b_only=0, both=50, neither=5)
    assert compare.mcnemar(y, a, b).pvalue == 1.0
    y, a, b = predictions_with(a_only=7, b_only=7, both=50, neither=5)
    assert compare.mcnemar(y, a, b).pvalue == 1.0


def test_mcnemar_refuses_predictions_of_other_images():
    with pytest.raises(ValueError, match="same test images"):
        compare.mcnemar([0, 1, 1], [0, 1], [0, 1, 1])


def test_holm_by_hand():
    adjusted = compare.holm([0.01, 0.04, 0.03, 0.005])
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04,
    # then made monotone: 0.02, 0.03, 0.06, 0.06
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    assert compare.holm([0.9, 0.8]).max() == 1.0
    assert len(compare.holm([])) == 0


def test_pairwise_tests_correct_over_all_pairs():
    y, a, b = predictions_with(a_only=30, b_only=2, both=900, neither=68)
    c = a.copy()  # identical to a: indistinguishable from it
    pairs = compare.pairwise_mcnemar(y, {"a": a, "b": b, "c": c})
    assert list(zip(pairs["a"], pairs["b"])) == [("a", "b"), ("a", "c"), ("b", "c")]
    np.testing.assert_allclose(pairs["pvalue_holm"], compare.holm(pairs["pvalue"]))
    assert list(pairs["significant"]) == [True, False, True]
    matrix = compare.mcnemar_matrix(pairs, ["a", "b", "c"])
    assert matrix.loc["b", "a"] == matrix.loc["a", "b"] and np.isnan(
        matrix.loc["a", "a"]
    )


def test_bootstrap_interval_covers_the_accuracy_with_the_expected_width():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 10, 10_000)
    y_pred = np.where(rng.random(10_000) < 0.9, y, (y + 1) % 10)
    accuracy = np.mean(y_pred == y)
    low, high = compare.bootstrap_interval(y, y_pred)
    assert low < accuracy < high
    normal = 2 * 1.96 * np.sqrt(accuracy * (1 - accuracy) / len(y))
    assert high - low == pytest.approx(normal, rel=0.15)
    assert compare.bootstrap_interval(y, y) == (1.0, 1.0)


def test_pareto_front():
    accuracy = [0.90, 0.85, 0.95, 0.85, 0.80]
    seconds = [10.0, 1.0, 100.0, 5.0, 1.0]
    # 0.85 at 5 s is beaten by 0.85 at 1 s; 0.80 at 1 s by 0.85 at 1 s
    assert list(compare.pareto_front(accuracy, seconds)) == [
        True, True, True, False, False,
    ]  # fmt: skip


def test_confused_pairs_are_ranked():
    y = np.array([0] * 10 + [1] * 10 + [2] * 10)
    y_pred = y.copy()
    y_pred[:4] = 1  # four 0s read as 1
    y_pred[10:11] = 2  # one 1 read as 2
    pairs = compare.confused_pairs(y, y_pred, ["zero", "one", "two"])
    assert pairs.to_dict("records") == [
        {"true": "zero", "predicted": "one", "count": 4, "share_of_true": 0.4},
        {"true": "one", "predicted": "two", "count": 1, "share_of_true": 0.1},
    ]


def test_shipped_anchors_name_registered_pipelines_and_give_sources():
    frame = compare.anchors()
    assert len(frame) >= 10
    assert set(frame["pipeline"]) <= set(pipelines.available())
    assert set(frame["dataset"]) <= set(data.available())
    assert {"mnist", "fashion-mnist"} <= set(frame["dataset"])
    assert frame["published_accuracy"].between(0.5, 1.0).all()
    assert frame["url"].str.startswith("http").all()
    assert (frame["source"].str.len() > 10).all()


def test_anchors_prefer_stock_scikit_learn_and_name_another_engine():
    board = pd.DataFrame(
        {
            "status": ["ok"] * 4,
            "dataset": ["fashion-mnist"] * 4,
            "pipeline": ["svm", "svm", "hog_svm", "hog_svm_flips_tta18"],
            "engine": ["sklearn", "sklearnex", "sklearn", "sklearnex"],
            "seed": [0] * 4,
            "params": ["{}"] * 4,
            "n_train": [60_000] * 4,
            "timestamp_utc": ["t1"] * 4,
            "accuracy": [0.894, 0.879, 0.921, 0.931],
            "fit_s": [1.0] * 4,
            "predict_s": [1.0] * 4,
            "ran_on": ["clf:cpu"] * 4,
        }
    )
    summary = compare.seed_summary(board, "fashion-mnist")
    frame = compare.versus_anchors(summary, "fashion-mnist").set_index("label")
    assert frame.loc["svm", "ours"] == pytest.approx(0.894)  # not sklearnex's
    assert "svm (sklearnex)" not in frame.index
    row = frame.loc["hog_svm_flips_tta18 (sklearnex)"]
    assert row["ours"] == pytest.approx(0.931)
    assert row["difference"] == pytest.approx(0.931 - row["published_accuracy"])


def test_seed_summary_takes_mean_and_spread_over_seeds():
    board = pd.DataFrame(
        {
            "status": ["ok", "ok", "ok", "error"],
            "dataset": ["d"] * 4,
            "pipeline": ["p"] * 4,
            "engine": ["sklearn"] * 4,
            "seed": [0, 1, 2, 3],
            "params": ["{}"] * 4,
            "n_train": [10] * 4,
            "timestamp_utc": ["t1", "t2", "t3", "t4"],
            "accuracy": [0.8, 0.9, 1.0, np.nan],
            "fit_s": [1.0, 2.0, 3.0, np.nan],
            "predict_s": [0.1, 0.1, 0.1, np.nan],
            "ran_on": ["clf:cpu"] * 4,
        }
    )
    summary = compare.seed_summary(board, "d")
    row = summary.iloc[0]
    assert row["n_seeds"] == 3 and row["accuracy_mean"] == pytest.approx(0.9)
    assert row["accuracy_std"] == pytest.approx(0.1) and row["fit_s"] == 2.0


def test_configurations_are_not_mixed():
    """Runs of one pipeline at two training sizes, or with other params, are
    summarised (and tested) apart, each named by what differs."""
    board = pd.DataFrame(
        {
            "status": ["ok"] * 4,
            "dataset": ["d"] * 4,
            "pipeline": ["knn"] * 4,
            "engine": ["sklearn"] * 4,
            "seed": [0, 1, 0, 0],
            "params": ["{}", "{}", "{}", '{"clf__n_neighbors": 1}'],
            "n_train": [100, 100, 50, 100],
            "timestamp_utc": ["t1", "t2", "t3", "t4"],
            "accuracy": [0.9, 0.8, 0.5, 0.7],
            "fit_s": [1.0] * 4,
            "predict_s": [0.1] * 4,
            "ran_on": ["clf:cpu"] * 4,
        }
    )
    summary = compare.seed_summary(board, "d").set_index("label")
    assert summary.loc["knn n_train=100 {}", "accuracy_mean"] == pytest.approx(0.85)
    assert summary.loc["knn n_train=50 {}", "n_seeds"] == 1
    assert (
        summary.loc['knn n_train=100 {"clf__n_neighbors": 1}', "accuracy_mean"] == 0.7
    )
    assert len(compare.representative_rows(board, "d")) == 3
