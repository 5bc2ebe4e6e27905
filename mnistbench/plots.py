"""Figures: confusion matrices and accuracy against time.

Functions return ``matplotlib.figure.Figure`` objects built without pyplot (no
global state, no display needed); ``save_dataset_plots`` writes the PNGs of a
results folder.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mnistbench._io import atomic_write, make_folder
from mnistbench.compare import pipeline_label

__all__ = [
    "accuracy_vs_time_figure",
    "confusion_figure",
    "error_gallery_figure",
    "mcnemar_figure",
    "redraw_folder",
    "redraw_plots",
    "save_dataset_plots",
    "save_png",
    "tradeoff_figure",
]

logger = logging.getLogger(__name__)


def _literal_text(make_figure):
    """Build the figure with every text shown as it is: class and pipeline
    names come from users' files, and matplotlib would parse ``$...$`` in
    them as mathematics (and fail on a name such as ``$\\frac{$``)."""

    @functools.wraps(make_figure)
    def literal(*args, **kwargs):
        with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
            return make_figure(*args, **kwargs)

    return literal


@_literal_text
def confusion_figure(y_true, y_pred, class_names, title: str = "") -> Figure:
    """Counts (left) and row-normalised rates (right) of a confusion matrix.

    Rows are the true classes, columns the predicted ones; the title gives
    the accuracy.
    """
    from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score

    labels = np.arange(len(class_names))
    # Past 20 classes the cells are too small to print counts in; past 40, to
    # name (a user's data may have up to 1,000 classes).
    many, named = len(labels) > 20, len(labels) <= 40
    fig = Figure(figsize=(15, 7), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, normalize, fmt, sub in (
        (axes[0], None, "d", "counts"),
        (axes[1], "true", ".2f", "row-normalised (recall per class)"),
    ):
        ConfusionMatrixDisplay.from_predictions(
            y_true,
            y_pred,
            labels=labels,
            display_labels=list(class_names),
            normalize=normalize,
            values_format=fmt,
            ax=ax,
            colorbar=False,
            cmap="Blues",
            xticks_rotation=45,
            text_kw={"fontsize": 8},
            include_values=not many,
        )
        if not named:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(f"predicted label ({len(labels)} classes)")
        ax.set_title(sub)
    accuracy = accuracy_score(y_true, y_pred)
    fig.suptitle(
        f"{title}  accuracy {accuracy:.4f} (n_test={len(y_true):,})".strip(),
        fontsize=14,
    )
    return fig


@_literal_text
def accuracy_vs_time_figure(rows: pd.DataFrame, title: str = "") -> Figure:
    """Test accuracy against fit + predict seconds (log scale), one point per row."""
    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.subplots()
    seconds = rows["fit_s"].astype(float) + rows["predict_s"].astype(float)
    ax.scatter(
        seconds, rows["accuracy"].astype(float), s=50, color="tab:blue", zorder=3
    )
    names = map(pipeline_label, rows["pipeline"], rows["engine"])
    for x, y, name in zip(seconds, rows["accuracy"], names):
        ax.annotate(
            name, (x, y), textcoords="offset points", xytext=(6, 4), fontsize=10
        )
    ax.set_xscale("log")
    ax.set_xlabel("fit + predict time (s, log scale)")
    ax.set_ylabel("test accuracy")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(title or "accuracy vs time")
    return fig


@_literal_text
def tradeoff_figure(summary: pd.DataFrame, title: str = "") -> Figure:
    """Mean accuracy against mean fit time (log scale), the Pareto front marked.

    ``summary`` is :func:`mnistbench.compare.seed_summary`'s frame; error bars
    are the standard deviation over seeds where there are several.
    """
    from mnistbench.compare import pareto_front

    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.subplots()
    x = summary["fit_s"].astype(float).to_numpy()
    y = summary["accuracy_mean"].astype(float).to_numpy()
    err = summary["accuracy_std"].astype(float).fillna(0).to_numpy()
    front = pareto_front(y, x)
    ax.errorbar(x, y, yerr=err, fmt="none", ecolor="0.6", zorder=2)
    ax.scatter(
        x[~front], y[~front], s=50, color="tab:blue", zorder=3, label="dominated"
    )
    ax.scatter(
        x[front], y[front], s=80, color="tab:red", marker="D", zorder=4,
        label="Pareto front (no other is both faster and more accurate)",
    )  # fmt: skip
    order = np.argsort(x[front])
    ax.plot(x[front][order], y[front][order], color="tab:red", alpha=0.5, zorder=1)
    for xi, yi, name in zip(x, y, summary["label"]):
        ax.annotate(name, (xi, yi), textcoords="offset points", xytext=(6, 4))
    ax.set_xscale("log")
    ax.set_xlabel("fit time (s, log scale; mean over seeds)")
    ax.set_ylabel("test accuracy (mean over seeds)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    ax.set_title(title or "accuracy vs fit time")
    return fig


@_literal_text
def mcnemar_figure(matrix: pd.DataFrame, title: str = "") -> Figure:
    """Holm-adjusted McNemar p-values as a matrix; cells under 0.05 outlined."""
    n = len(matrix)
    fig = Figure(figsize=(1.2 * n + 3, 1.0 * n + 2), layout="constrained")
    ax = fig.subplots()
    values = matrix.to_numpy(dtype=float)
    shown = np.where(np.isnan(values), 1.0, values)
    image = ax.imshow(-np.log10(np.clip(shown, 1e-12, 1)), cmap="Reds", vmin=0, vmax=6)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            p = values[i, j]
            text = "<1e-4" if p < 1e-4 else f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=9,
                    color="white" if p < 1e-3 else "black",
                    fontweight="bold" if p < 0.05 else "normal")  # fmt: skip
    ax.set_xticks(range(n), matrix.columns, rotation=45, ha="right")
    ax.set_yticks(range(n), matrix.index)
    fig.colorbar(image, ax=ax, label="-log10 p (Holm)")
    ax.set_title(title or "McNemar's exact test, Holm-adjusted p-values")
    return fig


@_literal_text
def error_gallery_figure(
    images, y_true, y_pred, class_names, *, n: int = 16, title: str = ""
) -> Figure:
    """The first ``n`` misclassified test images (in test-set order), each with
    its true and predicted label under it."""
    wrong = np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred))[:n]
    cols = 8
    rows = max(1, -(-len(wrong) // cols))
    fig = Figure(figsize=(cols * 1.4, rows * 1.75 + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, i in zip(axes, wrong):
        ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(
            f"true: {class_names[y_true[i]]}\npred: {class_names[y_pred[i]]}",
            fontsize=7,
        )
    fig.suptitle(title or f"{len(wrong)} misclassified test images", fontsize=10)
    return fig


def save_dataset_plots(
    out: Path,
    board: pd.DataFrame,
    dataset,
    only: Collection | None = None,
    summary: bool = True,
) -> list[Path]:
    """Write ``plots/<dataset>/<pipeline>-confusion.png`` for the best ok row of
    each pipeline in ``board``, and ``accuracy-vs-time.png`` across them.

    ``only``: the (pipeline, engine) pairs whose confusion matrices to redraw
    (a run's own; the others' best rows have not changed), default all;
    ``summary=False`` leaves out ``accuracy-vs-time.png``.
    """
    from mnistbench.compare import load_predictions

    best = _best_labelled(board, dataset.name)
    folder = make_folder(Path(out) / "plots" / dataset.name)
    written = []
    drawn = best
    if only is not None:
        pairs = set(only)
        drawn = best[[p in pairs for p in zip(best["pipeline"], best["engine"])]]
    # Rows without usable stored predictions get no confusion matrix (warned).
    found = load_predictions(out, drawn, len(dataset.y_test))
    for row in drawn.itertuples():
        if row.label not in found:
            continue
        y_pred = found[row.label]
        name = row.label
        fig = confusion_figure(
            dataset.y_test,
            y_pred,
            dataset.class_names,
            title=f"{name} on {dataset.name} (n_train={row.n_train:,}, "
            f"seed {row.seed}):",
        )
        suffix = "" if row.engine == "sklearn" else f"-{row.engine}"
        path = folder / f"{row.pipeline}{suffix}-confusion.png"
        save_png(fig, path, dpi=90)
        written.append(path)
    if summary and len(best):
        fig = accuracy_vs_time_figure(
            best, title=f"{dataset.name}: accuracy vs time (best run of each pipeline)"
        )
        path = folder / "accuracy-vs-time.png"
        save_png(fig, path, dpi=100)
        written.append(path)
    return written


def redraw_plots(out: Path, board: pd.DataFrame, dataset) -> list[Path]:
    """Draw ``out/plots/<dataset>/`` again from every row of ``board`` (a
    merged folder's): the confusion matrix of each pipeline's best row, and
    ``accuracy-vs-time.png``; where the rows ran on several machines, one
    ``accuracy-vs-time-M1.png``... per machine instead, since times of two
    machines do not belong in one figure. Figures of an earlier drawing that
    no longer apply (the one across machines) are removed."""
    from mnistbench.results import machine_names, machine_number

    rows = board[board["dataset"] == dataset.name]
    names = machine_names(board).loc[rows.index]
    one = names.nunique() < 2
    written = save_dataset_plots(out, board, dataset, summary=one)
    if one:
        return written
    folder = Path(out) / "plots" / dataset.name
    stale = folder / "accuracy-vs-time.png"
    if stale.exists():
        stale.unlink()
    for name in sorted(set(names), key=machine_number):
        best = _best_labelled(rows[names == name], dataset.name)
        fig = accuracy_vs_time_figure(
            best,
            title=f"{dataset.name} on {name}: accuracy vs time (best run of each "
            "pipeline)",
        )
        path = folder / f"accuracy-vs-time-{name}.png"
        save_png(fig, path, dpi=100)
        written.append(path)
    return written


def redraw_folder(out: str | Path, data_home=None) -> tuple[list[Path], dict[str, str]]:
    """:func:`redraw_plots` for every dataset with ok rows in ``out``, its
    test labels from the folder's archived test set (a published archive)
    or the data home, never downloaded. Returns the figures drawn and, per
    dataset that could not be drawn, why."""
    from mnistbench import results
    from mnistbench.exceptions import MnistbenchError

    board = results.read_leaderboard(out)
    drawn, skipped = [], {}
    for name in dict.fromkeys(board.loc[board["status"] == "ok", "dataset"]):
        try:
            ds = results.dataset_of([out], name, data_home=data_home, download=False)
        except MnistbenchError as exc:
            skipped[name] = str(exc).split(";")[0]
            logger.warning("plots of %s not drawn: %s", name, skipped[name])
            continue
        drawn += redraw_plots(Path(out), board, ds)
    return drawn, skipped


def _best_labelled(board: pd.DataFrame, dataset: str) -> pd.DataFrame:
    from mnistbench.results import best_rows

    best = best_rows(board, dataset)
    return best.assign(
        label=list(map(pipeline_label, best["pipeline"], best["engine"]))
    )


def save_png(fig: Figure, path: Path, dpi: int) -> None:
    """Write ``fig`` as a PNG at ``path``, whole or not at all."""
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=dpi))
