"""Figures: confusion matrices and accuracy against time.

Functions return ``matplotlib.figure.Figure`` objects built without pyplot (no
global state, no display needed); ``save_dataset_plots`` writes the PNGs of a
results folder.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["accuracy_vs_time_figure", "confusion_figure", "save_dataset_plots"]

logger = logging.getLogger(__name__)


def confusion_figure(y_true, y_pred, class_names, title: str = "") -> Figure:
    """Counts (left) and row-normalised rates (right) of a confusion matrix.

    Rows are the true classes, columns the predicted ones; the title gives
    the accuracy.
    """
    from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score

    labels = np.arange(len(class_names))
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
        )
        ax.set_title(sub)
    accuracy = accuracy_score(y_true, y_pred)
    fig.suptitle(
        f"{title}  accuracy {accuracy:.4f} (n_test={len(y_true):,})".strip(),
        fontsize=14,
    )
    return fig


def _label(pipeline: str, engine: str) -> str:
    return pipeline if engine == "sklearn" else f"{pipeline} ({engine})"


def accuracy_vs_time_figure(rows: pd.DataFrame, title: str = "") -> Figure:
    """Test accuracy against fit + predict seconds (log scale), one point per row."""
    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.subplots()
    seconds = rows["fit_s"].astype(float) + rows["predict_s"].astype(float)
    ax.scatter(
        seconds, rows["accuracy"].astype(float), s=50, color="tab:blue", zorder=3
    )
    names = map(_label, rows["pipeline"], rows["engine"])
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


def save_dataset_plots(out: Path, board: pd.DataFrame, dataset) -> list[Path]:
    """Write ``plots/<dataset>/<pipeline>-confusion.png`` for the best ok row of
    each pipeline in ``board``, and ``accuracy-vs-time.png`` across them."""
    from mnistbench.results import best_rows

    best = best_rows(board, dataset.name)
    folder = Path(out) / "plots" / dataset.name
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for row in best.itertuples():
        pred_path = Path(out) / str(row.predictions)
        try:
            y_pred = np.load(pred_path)
        except (OSError, ValueError) as exc:
            logger.warning("no confusion matrix for %s: %s", row.pipeline, exc)
            continue
        if len(y_pred) != len(dataset.y_test):
            logger.warning(
                "no confusion matrix for %s: %s has %d predictions, the test set %d",
                row.pipeline,
                pred_path,
                len(y_pred),
                len(dataset.y_test),
            )
            continue
        name = _label(row.pipeline, row.engine)
        fig = confusion_figure(
            dataset.y_test,
            y_pred,
            dataset.class_names,
            title=f"{name} on {dataset.name} (n_train={row.n_train:,}, "
            f"seed {row.seed}):",
        )
        suffix = "" if row.engine == "sklearn" else f"-{row.engine}"
        path = folder / f"{row.pipeline}{suffix}-confusion.png"
        fig.savefig(path, dpi=90)
        written.append(path)
    if len(best):
        fig = accuracy_vs_time_figure(
            best, title=f"{dataset.name}: accuracy vs time (best run of each pipeline)"
        )
        path = folder / "accuracy-vs-time.png"
        fig.savefig(path, dpi=100)
        written.append(path)
    return written
