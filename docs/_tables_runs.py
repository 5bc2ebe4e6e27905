"""The docs' tables read from the leaderboards under ``results/``: the
Fashion-MNIST headline and seed-0 tables, the sota-plus pipelines, tuning's
gains and ``mnistbench compare``'s tables."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from _tables_format import (
    _bold,
    _code,
    _display,
    _generated,
    _mean_std,
    _missing,
    _seconds,
    _table,
)
from _tables_registry import Skipped, register

from mnistbench import compare, data, pipelines, results, tuning
from mnistbench._text import md_escape, params_text
from mnistbench.exceptions import MnistbenchError

_FM = "fashion-mnist"


def _test_labels(dataset: str, board: pd.DataFrame | None = None):
    """``dataset``'s test labels from the data home or a system folder,
    never downloaded; those the runs of ``board`` were scored on, where they
    recorded the data's content hash.

    Raises
    ------
    Skipped
        The dataset is not on this machine.
    ValueError
        The copy here is not the data the runs scored.
    """
    try:
        ds = data.load(dataset, download=False)
    except MnistbenchError as exc:
        first = str(exc).split(";")[0]
        raise Skipped(f"needs the {dataset} test labels: {first}") from None
    if board is not None:
        mine = board[board["dataset"] == dataset]["data_sha256"].dropna()
        other = set(mine[mine != ""]) - {ds.sha256}
        if other:
            raise ValueError(
                f"{dataset} here (data_sha256 {ds.sha256[:12]}...) is not the data "
                f"the runs scored ({sorted(other)[0][:12]}...)"
            )
    return ds.y_test


@register("headline")
def headline(root: Path) -> str:
    """Fashion-MNIST, every pipeline of ``results/fashion-mnist/``: the rows
    of its report's leaderboard (mean over seeds, the latest run of each)."""
    folder = "results/fashion-mnist"
    summary = compare.seed_summary(results.read_leaderboard(root / folder), _FM)
    rows = []
    for rec in summary.to_dict("records"):
        # the label is the pipeline, then what tells its runs apart: the
        # engine where not sklearn, as the report names it
        rest = rec["label"][len(rec["pipeline"]) :].strip()
        rows.append(
            [
                _code(rec["pipeline"]) + (f" {md_escape(rest)}" if rest else ""),
                str(rec["n_seeds"]),
                _mean_std(rec["accuracy_mean"], rec["accuracy_std"]),
                f"{rec['fit_s']:,.2f}",
                f"{rec['predict_s']:,.2f}",
            ]
        )
    header = ["pipeline", "seeds", "accuracy (mean ± std)", "fit s", "predict s"]
    return _generated(_table(header, "lrrrr", rows), f"{folder}/leaderboard.csv")


@register("fashion-mnist-seed0")
def fashion_mnist_seed0(root: Path) -> str:
    """The core pipelines' seed-0 runs with the sklearn engine, each by its
    latest definition, as ``mnistbench leaderboard --format markdown``."""
    folder = "results/fashion-mnist"
    board = results.read_leaderboard(root / folder)
    ok = board[
        (board["status"] == "ok")
        & (board["seed"] == 0)
        & (board["engine"] == "sklearn")
        & board["pipeline"].isin(pipelines.available(group="core"))
    ]
    # a pipeline whose defaults changed (logreg's C, rf's trees) keeps its
    # older rows; only the latest definition is today's pipeline
    ok = ok.assign(definition=ok["definition"].fillna(""))
    latest = ok.sort_values("timestamp_utc").groupby("pipeline")["definition"].last()
    ok = ok[ok["definition"] == ok["pipeline"].map(latest)]
    best = results.best_rows(ok, _FM)
    return _generated(results.to_markdown(best), f"{folder}/leaderboard.csv")


@dataclass(frozen=True)
class SotaRow:
    """A row of the sota-plus table: which runs, and how the docs name them."""

    folder: str
    dataset: str
    pipeline: str
    engine: str
    label: str


#: The sota-plus table's rows, in the docs' order; the numbers come from
#: each folder's leaderboard (the latest run of each seed).
SOTA_PLUS = (
    SotaRow(
        "results/fashion-mnist",
        _FM,
        "hog_svm_flips_tta18",
        "sklearnex",
        "`hog_svm_flips_tta18`, `--engine sklearnex`",
    ),
    SotaRow(
        "results/fashion-mnist", _FM, "hog_svm_flips", "sklearn", "`hog_svm_flips`"
    ),
    SotaRow(
        "results/fashion-mnist-sklearnex",
        _FM,
        "hog_svm_flips",
        "sklearnex",
        "`hog_svm_flips`, `--engine sklearnex` (2026-11-30, float64, a faster day)",
    ),
    SotaRow(
        "results/fashion-mnist", _FM, "hog_svm", "sklearn", "`hog_svm` (2026-11-23)"
    ),
    SotaRow(
        "results/mnist-sample",
        "mnist-sample",
        "hog_svm_shifts",
        "sklearn",
        "`hog_svm_shifts`",
    ),
    SotaRow(
        "results/mnist-sample",
        "mnist-sample",
        "hog_svm_flips",
        "sklearn",
        "`hog_svm_flips`",
    ),
    SotaRow(
        "results/mnist-sample",
        "mnist-sample",
        "hog_svm_flips_tta18",
        "sklearn",
        "`hog_svm_flips_tta18`",
    ),
    SotaRow("results/mnist-sample", "mnist-sample", "hog_svm", "sklearn", "`hog_svm`"),
)


#: The sota-long table's rows: each new pipeline above the one it builds on.
SOTA_LONG = (
    SotaRow(
        "results/fashion-mnist",
        _FM,
        "hog_kmeans_svm_flips",
        "sklearnex",
        "`hog_kmeans_svm_flips`, `--engine sklearnex`",
    ),
    SOTA_PLUS[0],
    SotaRow(
        "results/mnist-sample",
        "mnist-sample",
        "hog_svm_rotations_tta",
        "sklearn",
        "`hog_svm_rotations_tta`",
    ),
    SotaRow(
        "results/mnist-sample",
        "mnist-sample",
        "hog_svm_rotations",
        "sklearn",
        "`hog_svm_rotations`",
    ),
    SOTA_PLUS[4],
)


@register("sota-plus")
def sota_plus(root: Path) -> str:
    """The sota-plus pipelines beside ``hog_svm``."""
    return _sota_table(root, SOTA_PLUS)


@register("sota-long")
def sota_long(root: Path) -> str:
    """The sota-long pipelines beside the sota-plus ones they improve."""
    return _sota_table(root, SOTA_LONG)


def _sota_table(root: Path, rows: tuple[SotaRow, ...]) -> str:
    """Mean ± std over seeds, mean times, the largest peak memory and
    threads of the runs averaged, one line per row of ``rows``."""
    boards: dict[str, pd.DataFrame] = {}
    found = []
    for row in rows:
        if row.folder not in boards:
            boards[row.folder] = results.read_leaderboard(root / row.folder)
        found.append((row, _seed_runs(boards[row.folder], row)))
    best = {}
    for row, runs in found:
        best[row.dataset] = max(best.get(row.dataset, 0), runs["accuracy"].mean())
    lines = []
    for row, runs in found:
        acc = runs["accuracy"].astype(float)
        mean = acc.mean()
        std = acc.std(ddof=1) if len(acc) > 1 else math.nan
        peak = runs["peak_mem_mb"].astype(float).max()
        lines.append(
            [
                row.label,
                _display(row.dataset),
                _bold(_mean_std(mean, std), mean == best[row.dataset]),
                str(len(runs)),
                _seconds(runs["fit_s"].astype(float).mean()),
                _seconds(runs["predict_s"].astype(float).mean()),
                "" if _missing(peak) else f"{peak / 1000:.1f} GB",
                str(int(runs["threads"].max())),
            ]
        )
    header = [
        "pipeline",
        "dataset",
        "accuracy",
        "seeds",
        "fit s",
        "predict s",
        "peak memory",
        "threads",
    ]
    folders = dict.fromkeys(f"{row.folder}/" for row in rows)
    return _generated(_table(header, "llrrrrrr", lines), *folders)


def _seed_runs(board: pd.DataFrame, row: SotaRow) -> pd.DataFrame:
    """The latest ok run of each seed of ``row``'s registered pipeline, as
    :func:`mnistbench.compare.seed_summary` averages them."""
    ok = board[
        (board["status"] == "ok")
        & (board["dataset"] == row.dataset)
        & (board["pipeline"] == row.pipeline)
        & (board["engine"] == row.engine)
        & (board["params"] == "{}")
        & (board["search_id"].fillna("") == "")
    ]
    if ok.empty:
        raise LookupError(
            f"{row.folder} has no ok run of {row.pipeline} ({row.engine}) on "
            f"{row.dataset}"
        )
    return ok.sort_values("timestamp_utc").drop_duplicates("seed", keep="last")


@register("fair-fashion-mnist")
def fair_fashion_mnist(root: Path) -> str:
    """``mnistbench tune`` on Fashion-MNIST: default and tuned test accuracy
    and McNemar's p between them, Holm-adjusted over the pipelines, as the
    folder's report computes them (from the stored predictions, which need
    the test labels)."""
    folder = "results/fair/fashion-mnist"
    board = results.read_leaderboard(root / folder)
    trials = results.read_trials(root / folder)
    labels = _test_labels(_FM, board)
    table = tuning.tuning_table(root / folder, board, trials, {_FM: labels})
    table = table.sort_values("default_accuracy", ascending=False, kind="stable")
    rows = []
    for rec in table.to_dict("records"):
        p = rec["mcnemar_p"]
        better = not _missing(p) and p < compare.ALPHA
        better = better and rec["tuned_accuracy"] > rec["default_accuracy"]
        tuned = _bold(f"{rec['tuned_accuracy']:.4f}", better)
        if params_text(rec["chosen_params"], "") == "":
            tuned += " (the default won)"
        rows.append(
            [
                _code(rec["pipeline"]),
                ""
                if _missing(rec["default_accuracy"])
                else f"{rec['default_accuracy']:.4f}",
                tuned,
                "n/a" if _missing(p) else f"{p:.2g}",
            ]
        )
    header = [
        f"{_display(_FM)} ({len(labels):,} test images)",
        "default",
        "tuned",
        "McNemar p (Holm)",
    ]
    return _generated(_table(header, "lrrr", rows), f"{folder}/")


def _compare(root: Path, a: str, b: str | None = None, by: str | None = None) -> str:
    """``mnistbench compare A [B] [--by COLUMN] --format markdown``'s table."""
    for folder in (a, b):
        if folder is not None:
            board = results.read_leaderboard(root / folder)
            for dataset in dict.fromkeys(board["dataset"]):
                _test_labels(dataset)
    frame = compare.between(root / a, None if b is None else root / b, by=by)
    # the table only: the rules under it say how verdicts are decided, which
    # the page explains in its own words
    table = compare.markdown(frame).split("\n\n", 1)[0]
    command = f"mnistbench compare {a}" + (f" {b}" if b else f" --by {by}")
    sources = (a, b) if b else (a,)
    return _generated(table, *sources, how=f"as `{command}`")


@register("compare-sklearn")
def compare_sklearn(root: Path) -> str:
    """scikit-learn 1.8.0 against 1.9.1, job by job."""
    return _compare(root, "results/compare/sklearn-1.8", "results/compare/sklearn-1.9")


@register("compare-engines")
def compare_engines(root: Path) -> str:
    """The sklearn engine against sklearnex, job by job, in one folder."""
    return _compare(root, "results/compare/engines", by="engine")
