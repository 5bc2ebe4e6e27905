"""The docs' tables about corrupted test sets: the registered corruptions,
how long they take to make (``results/bench/``), and the committed
``--corruptions`` runs' findings, with McNemar's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from _tables_format import _bold, _code, _fixed, _generated, _table
from _tables_registry import TableError, register
from _tables_runs import _test_labels

from mnistbench import compare, corruptions, results
from mnistbench._text import md_escape

#: The committed --corruptions run on Fashion-MNIST, and its severity.
FASHION = "results/fashion-mnist-corrupted"
#: The committed run at every severity, on the shipped sample.
SAMPLE = "results/mnist-sample-corrupted"
SPEED = "results/bench/corruptions-fashion-mnist.csv"
#: What each preprocessing is compared with: the same classifier on pixels.
PAIRS = (
    ("deskew_knn", "knn"),
    ("hog_knn", "knn"),
    ("deskew_svm", "svm"),
    ("hog_svm", "svm"),
)


@register("corruptions")
def corruption_list(root: Path) -> str:
    """Every built-in corruption, what it does, and what it follows."""
    rows = []
    for name in corruptions.available():
        entry = corruptions.info(name)
        if entry.source != "built-in":
            continue
        rows.append([_code(name), md_escape(entry.summary), md_escape(entry.reference)])
    header = ["name", "what it does", "follows"]
    return _generated(_table(header, "lll", rows), "mnistbench.corruptions' registry")


@register("corruption-speed")
def corruption_speed(root: Path) -> str:
    """Seconds to make each corruption at each severity (the benchmark)."""
    frame = pd.read_csv(root / SPEED)
    levels = sorted(frame["severity"].unique())
    wide = frame.pivot(index="corruption", columns="severity", values="seconds")
    order = [n for n in corruptions.available() if n in wide.index]
    rows = [
        [
            _code(n),
            *(f"{wide.loc[n, s]:.2f}" for s in levels),
            f"{wide.loc[n].sum():.1f}",
        ]
        for n in order
    ]
    rows.append(
        [
            "**all**",
            *(f"{wide[s].sum():.1f}" for s in levels),
            f"**{wide.sum().sum():.1f}**",
        ]
    )
    first = frame.iloc[0]
    how = (
        f"{int(first['n_images']):,} {first['dataset']} test images, "
        f"{md_escape(str(first['cpu']))}, {int(first['n_cores'])} cores"
    )
    header = ["corruption", *(f"severity {s} (s)" for s in levels), "total (s)"]
    table = _table(header, "l" + "r" * (len(levels) + 1), rows)
    return _generated(table, SPEED, how=how)


def _fashion(root: Path):
    folder = root / FASHION
    board = results.read_leaderboard(folder)
    board = board[board["status"] == "ok"]
    rob = results.read_robustness(folder)
    rob = rob[(rob["status"] == "ok") & (rob["source"] == "generated")]
    if board.empty or rob.empty:
        raise TableError(f"{FASHION} holds no ok rows of a --corruptions run")
    return folder, board, rob


@register("robustness-fashion")
def robustness_summary(root: Path) -> str:
    """Per pipeline: clean accuracy, the mean over the corruptions, the
    drop, and the corruptions that cost it most and least."""
    _, board, rob = _fashion(root)
    clean = board.set_index("job_key")["accuracy"]
    rows = []
    for (pipeline, severity), g in rob.groupby(["pipeline", "severity"]):
        acc = clean[g["job_key"].iloc[0]]
        drops = (acc - g.set_index("corruption")["accuracy"]).sort_values()
        mean = g["accuracy"].mean()
        rows.append(
            (
                -mean,
                [
                    _code(pipeline),
                    str(int(severity)),
                    f"{acc:.4f}",
                    f"{mean:.4f}",
                    f"{100 * (acc - mean):.1f}",
                    f"{drops.index[-1]} ({_fixed(100 * drops.iloc[-1], '.1f')})",
                    f"{drops.index[0]} ({_fixed(100 * drops.iloc[0], '.1f')})",
                ],
            )
        )
    rows = [r for _, r in sorted(rows, key=lambda item: item[0])]
    header = [
        "pipeline",
        "severity",
        "clean accuracy",
        f"mean over {rob['corruption'].nunique()} corruptions",
        "drop (points)",
        "worst corruption (drop)",
        "mildest corruption (drop)",
    ]
    table = _table(header, "lrrrrll", rows)
    return _generated(table, f"{FASHION}/leaderboard.csv", "robustness.csv")


@register("robustness-preprocessing")
def preprocessing_effect(root: Path) -> str:
    """What deskewing and HOG buy under each corruption: the accuracy of
    the preprocessed pipeline minus that of the same classifier on pixels,
    with McNemar's exact test, Holm-adjusted over every cell."""
    folder, board, rob = _fashion(root)
    y = _test_labels("fashion-mnist", board)
    clean = board.assign(corruption="clean")
    sets = pd.concat([clean, rob], ignore_index=True)
    names = [
        "clean",
        *[n for n in corruptions.available() if n in set(rob["corruption"])],
    ]
    cells, pvalues = {}, []
    for name in names:
        here = sets[sets["corruption"] == name].set_index("pipeline")
        for a, b in PAIRS:
            if a not in here.index or b not in here.index:
                continue
            pa = np.load(folder / here.loc[a, "predictions"])
            pb = np.load(folder / here.loc[b, "predictions"])
            test = compare.mcnemar(y, pa, pb)
            diff = np.mean(pa == y) - np.mean(pb == y)
            cells[name, a] = (diff, len(pvalues))
            pvalues.append(test.pvalue)
    if not pvalues:
        raise TableError(f"{FASHION} has none of the pairs {PAIRS}")
    adjusted = compare.holm(pvalues)
    rows = []
    for name in names:
        row = [name if name == "clean" else _code(name)]
        for a, _ in PAIRS:
            if (name, a) not in cells:
                row.append("")
                continue
            diff, i = cells[name, a]
            p = adjusted[i]
            shown = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
            text = f"{_fixed(100 * diff, '+.1f')} ({shown})"
            row.append(_bold(text, p < 0.05))
        rows.append(row)
    header = ["test set", *(f"{_code(a)} − {_code(b)}" for a, b in PAIRS)]
    severity = ", ".join(str(int(s)) for s in sorted(rob["severity"].unique()))
    how = (
        f"severity {severity}; accuracy difference in points, McNemar's exact "
        f"test, Holm-adjusted over all {len(pvalues)} cells; bold: p < 0.05"
    )
    table = _table(header, "l" + "r" * len(PAIRS), rows)
    return _generated(
        table, f"{FASHION}/robustness.csv", "the Fashion-MNIST test labels", how=how
    )


@register("robustness-severity")
def severity_curve(root: Path) -> str:
    """On mnist-sample, every severity: each pipeline's mean accuracy over
    the corruptions (``inverse`` left out: the same at every severity)."""
    folder = root / SAMPLE
    board = results.read_leaderboard(folder)
    rob = results.read_robustness(folder)
    rob = rob[(rob["status"] == "ok") & (rob["corruption"] != "inverse")]
    if rob.empty:
        raise TableError(f"{SAMPLE} holds no ok rows of a --corruptions run")
    clean = board[board["status"] == "ok"].set_index("pipeline")["accuracy"]
    means = rob.groupby(["pipeline", "severity"])["accuracy"].mean().unstack()
    levels = list(means.columns)
    order = means.mean(axis=1).sort_values(ascending=False).index
    rows = [
        [_code(p), f"{clean[p]:.4f}", *(f"{means.loc[p, s]:.4f}" for s in levels)]
        for p in order
    ]
    n = rob["corruption"].nunique()
    header = ["pipeline", "clean", *(f"severity {int(s)}" for s in levels)]
    how = f"mean accuracy over {n} corruptions, inverse left out; seed 0"
    table = _table(header, "l" + "r" * (len(levels) + 1), rows)
    return _generated(table, f"{SAMPLE}/robustness.csv", how=how)
