"""``compare.between`` and ``mnistbench compare``: two result sets, job by job.

The verdict rules on constructed timings and predictions, then real runs of
``mnist-sample``, then every bad input (one line, exit code 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mnistbench import compare, data, pipelines, report, results, runner
from mnistbench.cli import cli
from mnistbench.compare import CompareError, between, time_change

# --- the timing rule -----------------------------------------------------------


def test_overlapping_ranges_are_the_same():
    change = time_change([1.0, 1.4], [1.3, 1.6])  # ratio 1.25, ranges overlap
    assert change.rule == "ranges" and change.change == "same"
    assert change.ratio == pytest.approx(1.45 / 1.2)


def test_a_clear_shift_is_slower_and_the_reverse_faster():
    a, b = [1.00, 1.02, 1.01], [1.50, 1.52, 1.49]
    slower = time_change(a, b)
    assert (slower.rule, slower.change) == ("mann-whitney", "slower")
    assert slower.pvalue == pytest.approx(0.05)  # 1/20: every B above every A
    assert slower.ratio == pytest.approx(1.50 / 1.01)
    assert time_change(b, a).change == "faster"


def test_a_significant_shift_under_the_factor_is_the_same():
    a = [1.00, 1.01, 1.02, 1.03, 1.04]
    b = [1.06, 1.07, 1.08, 1.09, 1.10]  # every B above every A, ratio 1.06
    change = time_change(a, b)
    assert change.pvalue < 0.01 and change.change == "same"
    assert time_change(a, b, factor=1.05).change == "slower"


def test_interleaved_repeats_are_the_same_whatever_the_ratio():
    change = time_change([1.0, 2.0, 3.0], [1.5, 2.5, 10.0])  # ratio 1.25
    assert change.rule == "mann-whitney" and change.pvalue > 0.05
    assert change.change == "same"


def test_one_repeat_a_side_is_decided_by_the_ratio():
    assert time_change([1.0], [1.2]).change == "slower"
    assert time_change([1.0], [1.05]).change == "same"
    assert time_change([1.0, 1.1], [0.5]).change == "faster"


# --- constructed result sets --------------------------------------------------


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One data home for the module: building mnist-sample's cache takes
    seconds, and every comparison reads its test labels."""
    return tmp_path_factory.mktemp("data_home")


@pytest.fixture(autouse=True)
def data_home(home, monkeypatch):
    """Overrides conftest's fresh data home per test with the module's."""
    monkeypatch.setenv("MNISTBENCH_DATA_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def sample(home):
    return data.load("mnist-sample", data_home=home)


def predictions(y_true, wrong: int, start: int = 0) -> np.ndarray:
    """``y_true`` with ``wrong`` labels from ``start`` on made wrong."""
    y = np.array(y_true, dtype=np.int16)
    y[start : start + wrong] = (y[start : start + wrong] + 1) % 10
    return y


def write_set(folder, sample, jobs) -> None:
    """A result folder as ``mnistbench run`` writes it, one row per job."""
    for i, job in enumerate(jobs):
        job = dict(job)
        y_pred = job.pop("y_pred", None)
        fit = job.pop("fit", [1.0, 1.0, 1.0])
        predict = job.pop("predict", [0.1, 0.1, 0.1])
        row = {
            "run_id": "r1",
            "timestamp_utc": f"2026-11-29T00:00:{i:02d}+00:00",
            "job_key": f"k{i}",
            "dataset": "mnist-sample",
            "data_sha256": sample.sha256,
            "pipeline": "knn",
            "definition": "d1",
            "params": "{}",
            "seed": 0,
            "engine": "sklearn",
            "n_train": 4000,
            "n_test": len(sample.y_test),
            "threads": 1,
            "fit_s": float(np.median(fit)),
            "predict_s": float(np.median(predict)),
            "fit_s_samples": json.dumps(fit),
            "predict_s_samples": json.dumps(predict),
            "status": "ok",
            **job,
        }
        if y_pred is not None:
            rel = f"predictions/{row['pipeline']}-{i}.npy"
            (folder / "predictions").mkdir(parents=True, exist_ok=True)
            np.save(folder / rel, y_pred)
            row["predictions"] = rel
            row.setdefault("accuracy", float(np.mean(y_pred == sample.y_test)))
        results.append_row(folder, row)


def four_jobs(folder, sample):
    """Side A of the constructed comparisons: four jobs, 100 errors each."""
    jobs = ("knn", "svm", "rf", "logreg")
    y_pred = predictions(sample.y_test, 100)
    write_set(folder, sample, [{"pipeline": p, "y_pred": y_pred} for p in jobs])
    return folder


def test_verdicts_on_constructed_sets(tmp_path, sample):
    y = sample.y_test
    a, b = four_jobs(tmp_path / "a", sample), tmp_path / "b"
    write_set(
        b,
        sample,
        [
            # the same predictions, the same times: same
            {"pipeline": "knn", "y_pred": predictions(y, 100)},
            # 40 more wrong: less accurate; and fit clearly slower
            {
                "pipeline": "svm",
                "y_pred": predictions(y, 140),
                "fit": [2.0, 2.1, 2.2],
            },
            # 3 images swapped, 3 more wrong: not significant
            {"pipeline": "rf", "y_pred": predictions(y, 103)},
            # 30 fewer wrong, and a predict clearly faster
            {
                "pipeline": "logreg",
                "y_pred": predictions(y, 70),
                "predict": [0.05, 0.05, 0.05],
            },
        ],
    )
    frame = between(a, b).set_index("pipeline")
    assert frame.loc["knn", "verdict"] == "same"
    assert frame.loc["knn", "changed"] == 0 and frame.loc["knn", "mcnemar_p"] == 1
    assert frame.loc["svm", "verdict"] == "slower, less-accurate"
    assert frame.loc["svm", "fit_change"] == "slower"
    assert frame.loc["svm", "predict_change"] == "same"
    assert (frame.loc["svm", "a_only"], frame.loc["svm", "b_only"]) == (40, 0)
    assert frame.loc["svm", "changed"] == pytest.approx(0.04)
    assert frame.loc["svm", "accuracy_diff"] == pytest.approx(-0.04)
    assert frame.loc["rf", "verdict"] == "same" and frame.loc["rf", "a_only"] == 3
    assert frame.loc["logreg", "verdict"] == "faster, more-accurate"
    assert frame.loc["logreg", "predict_ratio"] == pytest.approx(0.5)
    # Holm over the four jobs tested
    np.testing.assert_allclose(
        frame["mcnemar_p_holm"], compare.holm(frame["mcnemar_p"])
    )
    assert set(frame["time_rule"]) == {"mann-whitney (3 vs 3)"}
    assert frame.attrs["missing_predictions"] == []


def test_changed_definitions_one_side_only_and_failures_are_listed(tmp_path, sample):
    y = sample.y_test
    a, b = four_jobs(tmp_path / "a", sample), tmp_path / "b"
    write_set(
        b,
        sample,
        [
            {"pipeline": "knn", "y_pred": predictions(y, 300), "definition": "d2"},
            {"pipeline": "svm", "status": "error", "error": "ValueError: boom"},
            {"pipeline": "rf", "y_pred": predictions(y, 100)},
            {"pipeline": "pca_mlp", "y_pred": predictions(y, 100)},
        ],
    )
    frame = between(a, b).set_index("pipeline")
    assert frame.loc["knn", "verdict"] == "definition-changed"
    assert pd.isna(frame.loc["knn", "mcnemar_p"]) and pd.isna(
        frame.loc["knn", "fit_ratio"]
    )
    assert "definition d1 in A, d2 in B" in frame.loc["knn", "note"]
    assert frame.loc["svm", "verdict"] == "failed"
    assert "B: error (ValueError: boom)" in frame.loc["svm", "note"]
    assert frame.loc["rf", "verdict"] == "same"
    assert frame.loc["logreg", "verdict"] == "only-in-a"
    assert frame.loc["pca_mlp", "verdict"] == "only-in-b"
    # only rf was tested, so Holm leaves its p alone
    assert frame["mcnemar_p"].notna().sum() == 1


def test_rows_of_older_versions_compare_on_their_one_time(tmp_path, sample):
    """Rows without timing samples or a definition (mnistbench < 0.8)."""
    y = sample.y_test
    a, b = tmp_path / "a", tmp_path / "b"
    old = {"fit_s_samples": None, "predict_s_samples": None, "definition": None}
    write_set(a, sample, [{"y_pred": predictions(y, 100), "fit": [1.0], **old}])
    write_set(b, sample, [{"y_pred": predictions(y, 100), "fit": [1.5], **old}])
    rec = between(a, b).iloc[0]
    assert rec["verdict"] == "slower" and rec["time_rule"] == "ranges (1 vs 1)"
    assert "definition not recorded in A and B" in rec["note"]


# --- real runs ---------------------------------------------------------------


def test_run_repeat_keeps_every_time_and_flags_nondeterminism(tmp_path):
    import helpers

    pipelines.register("unseeded", helpers.unseeded, overwrite=True)
    try:
        summary = runner.run(
            ["knn", "unseeded"],
            datasets=["mnist-sample"],
            train_size=300,
            repeat=3,
            out=tmp_path,
            plots=False,
        )
    finally:
        pipelines.unregister("unseeded")
    rows = summary.rows.set_index("pipeline")
    for name in ("knn", "unseeded"):
        fit = json.loads(rows.loc[name, "fit_s_samples"])
        predict = json.loads(rows.loc[name, "predict_s_samples"])
        assert len(fit) == len(predict) == 3
        assert rows.loc[name, "fit_s"] == np.median(fit)
        assert rows.loc[name, "predict_s"] == np.median(predict)
    assert (
        "NondeterminismWarning: repeat 2 of 3 changed"
        in rows.loc["unseeded", "warnings"]
    )
    assert "Nondeterminism" not in (rows.loc["knn", "warnings"] or "")
    assert rows.loc["knn", "definition"] == pipelines.definition(pipelines.get("knn"))


@pytest.fixture(scope="module")
def two_forests(tmp_path_factory):
    """One folder, two real runs of ``rf`` on 400 ``mnist-sample`` images:
    5 trees, then 100."""
    out = tmp_path_factory.mktemp("forests")
    for trees in (5, 100):
        runner.run(
            ["rf"],
            datasets=["mnist-sample"],
            train_size=400,
            params={"clf__n_estimators": trees},
            repeat=3,
            out=out,
            plots=False,
        )
    return out


def test_a_real_compare_of_two_param_values(two_forests):
    frame = between(two_forests, by="params")
    assert len(frame) == 1
    rec = frame.iloc[0]
    assert frame.attrs["a"] == 'params={"clf__n_estimators": 5}'
    assert rec["fit_change"] == "slower" and rec["fit_ratio"] > 5
    assert rec["accuracy_b"] > rec["accuracy_a"] + 0.05
    assert set(rec["verdict"].split(", ")) == {"slower", "more-accurate"}
    assert 0 < rec["changed"] < 1
    assert rec["time_rule"].startswith("mann-whitney (3 vs 3)")


def test_cli_compare_fails_on_the_verdicts_asked(two_forests):
    cli_runner = CliRunner()
    args = ["compare", str(two_forests), "--by", "params"]
    ok = cli_runner.invoke(cli, [*args, "--fail-on", "less-accurate,faster"])
    assert ok.exit_code == 0, ok.output
    assert "slower" in ok.output and "Mann-Whitney" in ok.output
    failed = cli_runner.invoke(cli, [*args, "--fail-on", "slower,less-accurate"])
    assert failed.exit_code == 1
    assert "1 job(s) with a verdict in --fail-on" in failed.output
    md = cli_runner.invoke(cli, [*args, "--format", "markdown"])
    assert md.exit_code == 0 and md.output.startswith("| job | acc A | acc B |")
    csv = cli_runner.invoke(cli, [*args, "--format", "csv"])
    frame = pd.read_csv(__import__("io").StringIO(csv.output))
    assert list(frame["pipeline"]) == ["rf"] and "fit_ratio" in frame
    reversed_ = cli_runner.invoke(
        cli,
        [
            "compare",
            str(two_forests),
            "--by",
            'params={"clf__n_estimators": 100},{"clf__n_estimators": 5}',
            "--format",
            "csv",
        ],
    )
    assert "faster" in reversed_.output and "less-accurate" in reversed_.output


# --- bad input: one line, exit code 2 -------------------------------------------


@pytest.fixture
def pair(tmp_path, sample):
    """Two good result folders, A and B, of one job each."""
    a, b = tmp_path / "a", tmp_path / "b"
    write_set(a, sample, [{"y_pred": predictions(sample.y_test, 100)}])
    write_set(b, sample, [{"y_pred": predictions(sample.y_test, 100)}])
    return a, b


def compare_fails(*args, match: str):
    result = CliRunner().invoke(cli, ["compare", *map(str, args)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error: ") and match in lines[-1], result.output
    assert "Traceback" not in result.output
    return result


def test_a_folder_without_a_leaderboard(pair, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    compare_fails(pair[0], empty, match="no leaderboard.csv there")
    compare_fails(pair[0], tmp_path / "missing", match="no leaderboard.csv there")


def test_no_job_in_common(pair, tmp_path, sample):
    other = tmp_path / "other"
    write_set(other, sample, [{"pipeline": "svm", "y_pred": sample.y_test}])
    compare_fails(pair[0], other, match="no job in common")


def test_test_sets_that_differ_in_size(pair, tmp_path, sample):
    other = tmp_path / "other"
    write_set(other, sample, [{"n_test": 999, "y_pred": sample.y_test}])
    compare_fails(pair[0], other, match="test set size 1000 in")


def test_test_sets_that_differ_in_content(pair, tmp_path, sample):
    other = tmp_path / "other"
    write_set(other, sample, [{"data_sha256": "ab" * 32, "y_pred": sample.y_test}])
    compare_fails(pair[0], other, match="dataset mnist-sample differs")


def test_predictions_scored_on_other_labels(pair, tmp_path, sample):
    other = tmp_path / "other"
    write_set(other, sample, [{"y_pred": sample.y_test, "accuracy": 0.5}])
    compare_fails(pair[0], other, match="scored on other labels")


def test_missing_prediction_files_compare_on_accuracy_and_time(pair):
    a, b = pair
    for npy in (b / "predictions").iterdir():
        npy.unlink()
    result = CliRunner().invoke(cli, ["compare", str(a), str(b)])
    assert result.exit_code == 2
    assert "no stored predictions in B: compared on accuracy and time only" in (
        result.output
    )
    assert (
        result.output.strip()
        .splitlines()[-1]
        .startswith("Error: 1 job(s) have no stored predictions")
    )
    frame = between(a, b)
    assert pd.isna(frame.loc[0, "mcnemar_p"]) and frame.loc[0, "verdict"] == "same"
    assert frame.attrs["missing_predictions"] == [
        "mnist-sample/knn seed 0 n_train 4,000"
    ]


def test_bad_by(pair, tmp_path, sample):
    a, b = pair
    compare_fails(a, "--by", "accuracy", match="--by 'accuracy': not a column")
    compare_fails(a, "--by", "nonsense", match="not a column to split by")
    compare_fails(a, "--by", "engine", match="has 1 value(s) of engine")
    compare_fails(a, "--by", "engine=sklearn,cuml", match="no row of")
    compare_fails(a, "--by", "engine=sklearn", match="expected COLUMN or COLUMN=A,B")
    compare_fails(a, b, "--by", "engine", match="--by splits one result folder")
    compare_fails(a, match="give two result folders, or one and --by COLUMN")
    both = tmp_path / "both"
    write_set(
        both,
        sample,
        [
            {"y_pred": sample.y_test},
            {"y_pred": sample.y_test, "engine": "sklearnex"},
            {"y_pred": sample.y_test, "engine": "cuml"},
        ],
    )
    compare_fails(both, "--by", "engine", match="has 3 value(s) of engine")
    compare_fails(both, b, match="under several engines")


def test_bad_options(pair):
    compare_fails(*pair, "--fail-on", "slower,worse", match="--fail-on 'worse'")
    compare_fails(*pair, "--factor", "0.9", match="--factor must be")


def test_a_corrupt_leaderboard(pair):
    a, b = pair
    with open(b / "leaderboard.csv", "a") as f:
        f.write("not,a,row\n")
    compare_fails(a, b, match="corrupt row")


def test_between_raises_compare_errors(tmp_path):
    with pytest.raises(CompareError, match="no leaderboard.csv"):
        between(tmp_path, tmp_path)


# --- the committed comparisons -------------------------------------------------

RESULTS = Path(__file__).parents[1] / "results" / "compare"
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
COMMITTED = [  # (arguments of between, the committed CSV of its output)
    (
        {"a": RESULTS / "sklearn-1.8", "b": RESULTS / "sklearn-1.9"},
        "sklearn-1.8-vs-1.9.csv",
    ),
    ({"a": RESULTS / "engines", "by": "engine"}, "engines.csv"),
]


@pytest.mark.skipif(
    not (DEBIAN_FASHION / "t10k-labels-idx1-ubyte.gz").exists(),
    reason="the test labels come from Debian's dataset-fashion-mnist",
)
@pytest.mark.parametrize(("args", "committed"), COMMITTED, ids=["sklearn", "engines"])
def test_the_committed_comparisons_hold(args, committed):
    """The committed outputs are what `compare` gives, and each verdict is
    what the rules give when recomputed here by hand from the stored files."""
    from scipy.stats import binomtest, mannwhitneyu

    frame = between(**args)
    stored = pd.read_csv(RESULTS / committed, dtype={"params": str})
    assert list(frame["verdict"]) == list(stored["verdict"])
    np.testing.assert_allclose(frame["fit_ratio"], stored["fit_ratio"])
    np.testing.assert_allclose(frame["mcnemar_p_holm"], stored["mcnemar_p_holm"])

    y = data.load("fashion-mnist", download=False).y_test
    folder = Path(args["a"])
    sides = {"a": folder, "b": args.get("b", folder)}
    boards = {s: results.read_leaderboard(p) for s, p in sides.items()}
    if "by" in args:  # the engines, in the order they ran
        board = boards["a"].sort_values("timestamp_utc")
        first, second = dict.fromkeys(board["engine"])
        boards = {
            "a": board[board["engine"] == first],
            "b": board[board["engine"] == second],
        }
    pvalues, expected = [], []
    for rec in frame.to_dict("records"):
        rows = {
            s: b[b["pipeline"] == rec["pipeline"]].iloc[-1] for s, b in boards.items()
        }
        pred = {s: np.load(sides[s] / r["predictions"]) for s, r in rows.items()}
        a_only = int(((pred["a"] == y) & (pred["b"] != y)).sum())
        b_only = int(((pred["a"] != y) & (pred["b"] == y)).sum())
        n = a_only + b_only
        pvalues.append(1.0 if n == 0 else binomtest(min(a_only, b_only), n).pvalue)
        words = []
        for phase in ("fit", "predict"):
            ta = json.loads(rows["a"][f"{phase}_s_samples"])
            tb = json.loads(rows["b"][f"{phase}_s_samples"])
            ratio = np.median(tb) / np.median(ta)
            side = "greater" if ratio > 1 else "less"
            p = mannwhitneyu(tb, ta, alternative=side, method="exact").pvalue
            if p <= 0.05 + 1e-12 and (ratio > 1.1 or ratio < 1 / 1.1):
                word = "slower" if ratio > 1 else "faster"
                words += [] if word in words else [word]
        expected.append((words, a_only, b_only))
    order = np.argsort(pvalues)  # Holm by hand
    m, running, holm_p = len(pvalues), 0.0, np.empty(len(pvalues))
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        holm_p[i] = running
    for rec, (words, a_only, b_only), p in zip(
        frame.to_dict("records"), expected, holm_p
    ):
        assert (rec["a_only"], rec["b_only"]) == (a_only, b_only)
        if p < 0.05:
            words.append("less-accurate" if a_only > b_only else "more-accurate")
        assert rec["verdict"] == (", ".join(words) or "same"), rec["pipeline"]
    regressed = any(
        {"slower", "less-accurate"} & set(v.split(", ")) for v in frame["verdict"]
    )
    cli_args = [str(folder)] + (
        ["--by", "engine"] if "by" in args else [str(args["b"])]
    )
    result = CliRunner().invoke(
        cli, ["compare", *cli_args, "--fail-on", "slower,less-accurate"]
    )
    assert result.exit_code == (1 if regressed else 0), result.output


def _damage(path, kind: str, n_test: int) -> None:
    good = path.read_bytes()
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "cut short":
        path.write_bytes(good[: len(good) // 2])
    elif kind == "wrong length":
        np.save(path, np.zeros(n_test - 1, np.int16))
    elif kind == "wrong dtype":
        np.save(path, np.zeros(n_test, np.float64))
    elif kind == "wrong dimensions":
        np.save(path, np.zeros((n_test, 2), np.int16))
    elif kind == "unreadable header":
        path.write_bytes(b"\x93NUMPY\x01\x00\xff\xff" + b"{" * 40)
    elif kind == "garbled header":  # numpy's header parser raises TokenError
        path.write_bytes(good[:10] + b"garbage" + good[17:])
    elif kind == "a pickle":
        path.write_bytes(__import__("pickle").dumps(list(range(n_test))))


DAMAGE = (
    "empty",
    "cut short",
    "wrong length",
    "wrong dtype",
    "wrong dimensions",
    "unreadable header",
    "garbled header",
    "a pickle",
)


@pytest.mark.parametrize("kind", DAMAGE)
def test_damaged_predictions_are_warned_and_skipped(pair, kind, monkeypatch):
    """Every kind of damaged predictions file gets the same one-line warning:
    compare exits 2 with its documented line, the report still builds."""
    a, b = pair
    (npy,) = (b / "predictions").iterdir()
    n_test = 1000
    _damage(npy, kind, n_test)
    monkeypatch.setenv("COLUMNS", "400")  # the warning on one line
    result = CliRunner().invoke(cli, ["compare", str(a), str(b)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert (
        result.output.strip()
        .splitlines()[-1]
        .startswith("Error: 1 job(s) have no stored predictions")
    )
    warned = [ln for ln in result.output.splitlines() if "no usable stored" in ln]
    assert len(warned) == 1, result.output
    made = report.build(b)
    assert made.html.exists() and "knn" in made.html.read_text()
