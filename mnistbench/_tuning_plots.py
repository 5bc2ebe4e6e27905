"""Figures of equal-budget tuning (``mnistbench tune``) for the report.

- :func:`tuning_curves_figure`: the test accuracy of the best-on-validation
  configuration so far, against the candidates evaluated and against the CPU
  seconds spent, median and band over shuffled search orders (Grinsztajn et
  al. 2022);
- :func:`ranking_figure`: a slopegraph of the pipelines ranked by their
  default's test accuracy and by their tuned configuration's.

Like :mod:`mnistbench.plots`, they return ``Figure`` objects built without
pyplot, every text shown as it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerBase
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import LogFormatterSciNotation

from mnistbench.plots import _literal_text

__all__ = ["BAND", "curve_bands", "ranking_figure", "tuning_curves_figure"]

#: The quantiles across shuffled search orders that the curves' bands span.
BAND = (0.1, 0.9)

#: Points of the common CPU-seconds grid each shuffle's step function is read at.
GRID_POINTS = 200


def _colors(labels) -> dict[str, str]:
    """One colour per pipeline, the same in every figure of the same labels."""
    names = sorted(set(labels))
    return {name: f"C{i % 10}" for i, name in enumerate(names)}


def _quantiles(values: np.ndarray, band) -> tuple[np.ndarray, ...]:
    """Median and ``band`` quantiles of each column of ``values`` (shuffles x
    points), over the known values; NaN where none is known."""
    out = np.full((3, values.shape[1]), np.nan)
    known = ~np.isnan(values).all(axis=0)
    if known.any():
        qs = (0.5, *band)
        out[:, known] = np.nanquantile(values[:, known], qs, axis=0)
    return out[0], out[1], out[2]


def curve_bands(
    curves: pd.DataFrame, x: str = "step", band=BAND, points: int = GRID_POINTS
) -> pd.DataFrame:
    """Median and band of one search's curves across its shuffles.

    ``curves`` holds one search's rows of
    :func:`mnistbench.tuning.tuning_curves`. With ``x="step"`` the points are
    the candidates evaluated; with ``x="cpu_s"`` each shuffle's step function
    (the accuracy from the CPU second a candidate ends until the next ends)
    is read on a common grid, geometric from the first candidate's cost to
    the whole search's, since the shuffles end their candidates at different
    seconds. Columns: x, median, low, high.
    """
    wide = curves.pivot_table(
        index="shuffle", columns="step", values="accuracy", dropna=False
    ).sort_index(axis=1)
    if x == "step":
        grid = wide.columns.to_numpy(dtype=float)
        values = wide.to_numpy(dtype=float)
    else:
        seconds = curves.pivot_table(
            index="shuffle", columns="step", values="cpu_s", dropna=False
        ).sort_index(axis=1)
        seconds = seconds.loc[wide.index].to_numpy(dtype=float)
        positive = seconds[seconds > 0]
        if positive.size == 0:
            return pd.DataFrame(columns=["x", "median", "low", "high"])
        # candidate 0 comes first in every order: the same first cost
        start = max(np.nanmin(seconds[:, 0]), positive.min())
        stop = max(np.nanmax(seconds[:, -1]), start)
        grid = np.geomspace(start, stop, points) if stop > start else np.r_[start]
        values = np.full((len(wide), len(grid)), np.nan)
        for i, (ends, accuracy) in enumerate(zip(seconds, wide.to_numpy(float))):
            done = np.searchsorted(ends, grid, side="right") - 1
            values[i] = np.where(done >= 0, accuracy[np.clip(done, 0, None)], np.nan)
    median, low, high = _quantiles(values, band)
    return pd.DataFrame({"x": grid, "median": median, "low": low, "high": high})


@_literal_text
def tuning_curves_figure(curves: pd.DataFrame, title: str = "", band=BAND) -> Figure:
    """Test accuracy of the best-on-validation configuration so far, against
    the candidates evaluated (left) and the cumulative CPU seconds of the
    trials (right, log scale): one line per pipeline, the median over the
    shuffled search orders, and a band between the ``band`` quantiles.

    ``curves`` is :func:`mnistbench.tuning.tuning_curves`'s frame of one
    search per pipeline; a ``label`` column, where present, names the lines.
    """
    if "label" not in curves:
        curves = curves.assign(label=curves["pipeline"])
    labels = list(dict.fromkeys(curves["label"]))
    colors = _colors(labels)
    last = curves[curves["step"] == curves.groupby("label")["step"].transform("max")]
    final = last.groupby("label")["accuracy"].median()
    # the legend lists the lines top to bottom, as they end
    labels.sort(key=lambda label: -np.nan_to_num(final.get(label, np.nan), nan=-1))
    fig = Figure(figsize=(13, 5.8), layout="constrained")
    by_step, by_cpu = fig.subplots(1, 2, sharey=True)
    handles = []
    for label in labels:
        one = curves[curves["label"] == label]
        color = colors[label]
        steps = curve_bands(one, "step", band)
        (line,) = by_step.plot(
            steps["x"], steps["median"], color=color, lw=2, marker="o",
            markersize=4, drawstyle="steps-post", label=label,
        )  # fmt: skip
        by_step.fill_between(
            steps["x"], steps["low"], steps["high"], step="post", color=color,
            alpha=0.18, lw=0,
        )  # fmt: skip
        handles.append(line)
        seconds = curve_bands(one, "cpu_s", band)
        by_cpu.plot(seconds["x"], seconds["median"], color=color, lw=2)
        by_cpu.fill_between(
            seconds["x"], seconds["low"], seconds["high"], color=color, alpha=0.18,
            lw=0,
        )  # fmt: skip
    most = int(curves["step"].max()) if len(curves) else 1
    by_step.set_xticks(_integer_ticks(most))
    by_step.set_xlim(0.7, most + 0.3)
    by_step.set_xlabel("candidates evaluated (the first is the registered default)")
    by_step.set_ylabel("test accuracy of the best-on-validation configuration")
    by_cpu.set_xscale("log")
    by_cpu.xaxis.set_major_formatter(_PlainLog())
    by_cpu.xaxis.set_minor_formatter(_PlainLog(labelOnlyBase=False))
    by_cpu.set_xlabel("CPU seconds of the search's trials (cumulative, log scale)")
    by_cpu.tick_params(labelleft=True)
    for ax in (by_step, by_cpu):
        ax.grid(True, which="both", alpha=0.3)
    low, high = band
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(len(handles), 6),
        title=(
            f"median over {curves['shuffle'].nunique()} shuffled search orders; "
            f"band: {low:.0%} to {high:.0%} quantile across them"
        ),
        fontsize=10,
        title_fontsize=9,
    )
    fig.suptitle(title or "tuning curves", fontsize=13)
    return fig


class _PlainLog(LogFormatterSciNotation):
    """Log-axis labels as plain numbers (``0.02``, ``10``) on the ticks
    matplotlib labels: its own are mathematics, shown as typed here."""

    def __call__(self, x, pos=None) -> str:
        return f"{x:g}" if super().__call__(x, pos) else ""


def _integer_ticks(most: int) -> list[int]:
    step = max(1, -(-most // 12))
    return [1, *range(1 + step, most + 1, step)] if most > 1 else [1]


@_literal_text
def ranking_figure(ranking: pd.DataFrame, title: str = "") -> Figure:
    """A slopegraph: on the left the pipelines ranked by their default's test
    accuracy, on the right by their tuned configuration's, a line linking
    each pipeline's two places.

    ``ranking`` has one row per pipeline: ``label``, ``default_accuracy``,
    ``tuned_accuracy``, ``default_rank`` and ``tuned_rank`` (1 the best),
    ``significant`` (the default-to-tuned change: a solid coloured line, else
    dashed grey), and ``default_alike_next`` and ``tuned_alike_next`` (True:
    not significantly different from the next one down in that column,
    marked with a bracket and "≈").
    """
    n = len(ranking)
    colors = _colors(ranking["label"])
    widest = max((len(str(label)) for label in ranking["label"]), default=4)
    pad = 0.2 + 0.021 * (widest + 8)  # the labels' room beside each column
    fig = Figure(figsize=(3.6 * (1 + 2 * pad), 0.5 * n + 2.4), layout="constrained")
    ax = fig.subplots()
    for rec in ranking.itertuples():
        left, right = -rec.default_rank, -rec.tuned_rank
        significant = bool(rec.significant)
        style = (
            {"color": colors[rec.label], "lw": 2.2, "ls": "-"}
            if significant
            else {"color": "0.6", "lw": 1.4, "ls": "--"}
        )
        ax.plot([0, 1], [left, right], zorder=2, **style)
        ax.scatter([0, 1], [left, right], s=40, color=style["color"], zorder=3)
        weight = "bold" if significant else "normal"
        ax.text(
            -0.09, left, f"{rec.label}  {rec.default_accuracy:.4f}", ha="right",
            va="center", fontsize=10, fontweight=weight,
        )  # fmt: skip
        ax.text(
            1.09, right, f"{rec.tuned_accuracy:.4f}  {rec.label}", ha="left",
            va="center", fontsize=10, fontweight=weight,
        )  # fmt: skip
    for column, x, side in (("default", 0.0, -1), ("tuned", 1.0, 1)):
        alike = ranking.set_index(f"{column}_rank")[f"{column}_alike_next"]
        for rank, same in alike.items():
            if isinstance(same, bool | np.bool_) and same:  # None: not known
                _bracket(ax, x + side * 0.045, -rank, -rank - 1, side)
    ax.text(0, -0.45, "default configuration", ha="center", va="bottom",
            fontsize=11, fontweight="bold")  # fmt: skip
    ax.text(1, -0.45, "after equal-budget tuning", ha="center", va="bottom",
            fontsize=11, fontweight="bold")  # fmt: skip
    ax.set_xlim(-pad, 1 + pad)
    ax.set_ylim(-n - 0.5, -0.1)
    ax.set_axis_off()
    handles = [
        Line2D([], [], color="0.2", lw=2.2, label="change significant"),
        Line2D([], [], color="0.6", lw=1.4, ls="--", label="change not significant"),
        _Approx(label="neighbours not significantly different"),
    ]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=3,
        fontsize=9,
        handler_map={_Approx: _ApproxHandler()},
        title="McNemar's exact test on the test set, Holm-adjusted p < 0.05",
        title_fontsize=9,
    )
    fig.suptitle(title or "ranking under defaults vs after tuning", fontsize=12)
    return fig


def _bracket(ax, x: float, top: float, bottom: float, side: int) -> None:
    """A bracket at ``x`` from ``top`` to ``bottom`` opening towards the
    column, with "≈" beside it."""
    inset, tick = 0.18, 0.015 * side
    y0, y1 = top - inset, bottom + inset
    ax.plot([x - tick, x, x, x - tick], [y0, y0, y1, y1], color="0.3", lw=1)
    ax.text(x + side * 0.012, (top + bottom) / 2, "≈", ha="left" if side > 0 else
            "right", va="center", fontsize=11, color="0.2")  # fmt: skip


class _Approx(Line2D):
    """The legend's entry for the brackets: a "≈" (a marker would parse it
    as mathematics, which the figures turn off)."""

    def __init__(self, label: str):
        super().__init__([], [], label=label)


class _ApproxHandler(HandlerBase):
    def create_artists(self, legend, orig, x0, y0, width, height, fontsize, trans):
        mark = Text(
            width / 2 - x0, height / 2 - y0, "≈", ha="center", va="center",
            fontsize=fontsize * 1.3, color="0.2", transform=trans,
        )  # fmt: skip
        return [mark]
