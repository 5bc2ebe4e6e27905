"""How cost grows with data: fit and predict time and accuracy of each
pipeline against the number of training images, with the log-log slope."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mnistbench._io import atomic_write
from mnistbench.bench._common import (
    BenchError,
    load,
    suite_plan,
    timed_run,
    write_table,
)
from mnistbench.jobs import Job
from mnistbench.plan import MIN_TRAIN_SIZE

__all__ = ["SCALING_SIZES", "Scaling", "loglog_slope", "scaling", "scaling_figure"]

logger = logging.getLogger(__name__)

#: The columns of ``Scaling.points``.
POINT_COLUMNS = [
    "dataset",
    "pipeline",
    "n_train",
    "fit_s",
    "predict_s",
    "accuracy",
    "threads",
    "status",
    "run_id",
]

SCALING_SIZES = (1_000, 2_000, 5_000, 10_000, 20_000, 60_000)


def loglog_slope(n, seconds) -> float:
    """Least-squares slope of log(seconds) against log(n): cost ~ n**slope.

    NaN with fewer than two usable points (a time of zero has no log).
    """
    n = np.asarray(n, dtype=float)
    t = np.asarray(seconds, dtype=float)
    keep = (n > 0) & (t > 0) & np.isfinite(t)
    if keep.sum() < 2 or len(np.unique(n[keep])) < 2:
        return math.nan
    return float(np.polyfit(np.log(n[keep]), np.log(t[keep]), 1)[0])


@dataclass
class Scaling:
    """What ``scaling`` measured: one row per (pipeline, n_train), the slopes
    per pipeline, the figure, and the files written."""

    dataset: str
    points: pd.DataFrame
    slopes: pd.DataFrame
    figure: Figure
    files: list[Path]


def scaling(
    dataset: str = "fashion-mnist",
    *,
    sizes: Sequence[int] = SCALING_SIZES,
    pipeline_names: Sequence[str] | None = None,
    out: str | os.PathLike = "results/bench",
    on_result: Callable[[Job, dict], None] | None = None,
    **options,
) -> Scaling:
    """Run ``pipeline_names`` (default: all registered) at each training size.

    Sizes above the training set are clipped to it (60,000 is the whole of
    MNIST's). ``options`` are each run's :class:`~mnistbench.plan.RunPlan`
    fields (``n_jobs``, ``timeout``, ``data_home``, ``download``). Writes
    ``OUT/scaling-DATASET.csv`` (the points and, per pipeline, the slopes)
    and ``OUT/scaling-DATASET.png``; the runs' own results go to
    ``OUT/runs/``.
    """
    from mnistbench import pipelines

    names = list(pipeline_names or pipelines.available())
    n = len(load(dataset, options).y_train)
    bad = [s for s in sizes if not isinstance(s, int) or s < MIN_TRAIN_SIZE]
    if bad or not sizes:
        raise BenchError(
            f"sizes must be whole numbers of at least {MIN_TRAIN_SIZE}, "
            f"got {', '.join(map(str, bad)) or 'none'}"
        )
    # Every run's plan is checked before the first one starts.
    plans = [
        suite_plan(names, dataset, out, train_size=size, plots=False, **options)
        for size in sorted({min(s, n) for s in sizes})
    ]
    frames = []
    for plan in plans:
        logger.info("scaling: %s at n_train=%d", dataset, plan.train_size)
        summary, _ = timed_run(plan, on_result=on_result)
        frames.append(summary.rows)
    points = pd.concat(frames, ignore_index=True)[POINT_COLUMNS].copy()
    slopes = pd.DataFrame([_slopes(points, name) for name in names])
    table = points.merge(slopes, on="pipeline", how="left")
    fig = scaling_figure(
        points, slopes, title=f"{dataset}: cost and accuracy vs n_train"
    )
    csv = write_table(table, out, f"scaling-{dataset}.csv")
    png = Path(out) / f"scaling-{dataset}.png"
    atomic_write(png, lambda f: fig.savefig(f, format="png", dpi=110))
    return Scaling(dataset, points, slopes, fig, [csv, png])


def _slopes(points: pd.DataFrame, name: str) -> dict:
    ok = points[(points["pipeline"] == name) & (points["status"] == "ok")]
    return {
        "pipeline": name,
        "fit_slope": loglog_slope(ok["n_train"], ok["fit_s"]),
        "predict_slope": loglog_slope(ok["n_train"], ok["predict_s"]),
        "total_slope": loglog_slope(ok["n_train"], ok["fit_s"] + ok["predict_s"]),
    }


def scaling_figure(
    points: pd.DataFrame, slopes: pd.DataFrame, title: str = ""
) -> Figure:
    """Fit time, predict time (log-log, slope in the legend) and accuracy
    against n_train, one line per pipeline."""
    fig = Figure(figsize=(16, 5.2), layout="constrained")
    axes = fig.subplots(1, 3)
    slope = slopes.set_index("pipeline")
    for name, group in points[points["status"] == "ok"].groupby("pipeline", sort=False):
        group = group.sort_values("n_train")
        for ax, column in ((axes[0], "fit_s"), (axes[1], "predict_s")):
            s = slope.loc[name, column.replace("_s", "_slope")]
            label = f"{name} (slope {s:.2f})" if s == s else name
            ax.plot(group["n_train"], group[column], marker="o", label=label)
        axes[2].plot(group["n_train"], group["accuracy"], marker="o", label=name)
    for ax, ylabel in zip(
        axes, ("fit seconds", "predict seconds (10,000 test images)", "test accuracy")
    ):
        ax.set_xscale("log")
        ax.set_xlabel("training images (n_train)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_yscale("log")
    axes[1].set_yscale("log")
    axes[0].set_title("fit time, log-log")
    axes[1].set_title("predict time, log-log")
    axes[2].set_title("accuracy")
    if title:
        fig.suptitle(title)
    return fig
