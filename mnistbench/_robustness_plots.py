"""Figures of the report's robustness section (``mnistbench run --corruptions``).

- :func:`heatmap_figure`: pipelines × corrupted test sets, one panel per
  severity (and one for published sets), each cell annotated with its value;
- :func:`gallery_figure`: one test image under each corruption at each
  severity;
- :func:`lost_images_figure`: per pipeline, test images it got right clean
  and wrong once corrupted.

Like :mod:`mnistbench.plots`, they return ``Figure`` objects built without
pyplot, every text shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure

from mnistbench.plots import _literal_text

__all__ = ["gallery_figure", "heatmap_figure", "lost_images_figure"]

#: Inches per heatmap cell (width, height): room for "100.0" at 8 points.
CELL = (0.62, 0.34)


@_literal_text
def heatmap_figure(
    panels: Sequence[tuple[str, pd.DataFrame]],
    *,
    kind: str,
    title: str = "",
    first_apart: bool = False,
) -> Figure:
    """One heatmap panel per ``(name, frame)``, stacked, on one colour scale.

    Each frame has the pipelines as its index (the same in every panel, the
    top row first) and a column per test set; NaN cells stay blank. With
    ``kind="accuracy"`` the values are accuracies in [0, 1], shown as
    percentages; with ``kind="drop"`` they are drops in percentage points,
    on a diverging scale centred on 0 (a gain is blue). ``first_apart``
    sets the first column apart (the clean test set's).
    """
    widest = max(len(frame.columns) for _, frame in panels)
    rows = max(len(frame.index) for _, frame in panels)
    names = max((len(str(n)) for _, f in panels for n in f.index), default=4)
    heads = max((len(str(c)) for _, f in panels for c in f.columns), default=4)
    width = CELL[0] * widest + 0.085 * names + 2.2
    panel = CELL[1] * rows + 0.075 * heads + 0.55
    fig = Figure(figsize=(width, panel * len(panels) + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(panels), 1))
    values = np.concatenate([f.to_numpy(float).ravel() for _, f in panels])
    known = values[~np.isnan(values)]
    if kind == "accuracy":
        scale, cmap, label = 100.0, "viridis", "accuracy (%)"
        low = np.floor(known.min() * 10) * 10 if known.size else 0.0
        norm = Normalize(vmin=min(low, 90.0), vmax=100.0)
        text = "{:.1f}"
    else:
        scale, cmap, label = 1.0, "RdBu_r", "drop from clean (points)"
        high = max(np.abs(known).max() if known.size else 1.0, 1.0)
        norm = TwoSlopeNorm(vmin=-high, vcenter=0.0, vmax=high)
        text = "{:+.1f}"
    image = None
    for ax, (name, frame) in zip(axes, panels):
        shown = frame.to_numpy(float) * scale
        image = ax.imshow(shown, cmap=cmap, norm=norm, aspect="auto")
        for (i, j), v in np.ndenumerate(shown):
            if np.isnan(v):
                continue
            r, g, b, _ = image.cmap(image.norm(v))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
            ax.text(j, i, text.format(v), ha="center", va="center", fontsize=8,
                    color="white" if dark else "black")  # fmt: skip
        ax.set_xticks(range(len(frame.columns)), frame.columns, rotation=40,
                      ha="right", rotation_mode="anchor", fontsize=9)  # fmt: skip
        ax.set_yticks(range(len(frame.index)), frame.index, fontsize=9)
        # every panel's cells as wide as the widest panel's
        ax.set_xlim(-0.5, widest - 0.5)
        ax.set_ylim(rows - 0.5, -0.5)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if first_apart:
            ax.axvline(0.5, color="white", lw=4)
        ax.set_title(name, fontsize=10, loc="left")
    fig.colorbar(image, ax=list(axes), label=label, shrink=min(1.0, 3 / len(axes)))
    fig.suptitle(title, fontsize=12)
    return fig


@_literal_text
def gallery_figure(
    cells: Mapping[tuple[str, str], np.ndarray],
    rows: Sequence[str],
    columns: Sequence[str],
    *,
    title: str = "",
) -> Figure:
    """A grid of images: ``cells[(row, column)]`` at each row and column
    (blank where absent), the column names on top, the row names left."""
    size = 1.05
    width = max(size * len(columns) + 1.8, 0.09 * len(title) + 0.5)
    fig = Figure(figsize=(width, size * len(rows) + 0.9), layout="constrained")
    axes = np.array(fig.subplots(len(rows), len(columns), squeeze=False))
    for i, row in enumerate(rows):
        for j, column in enumerate(columns):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            image = cells.get((row, column))
            if image is None:
                for spine in ax.spines.values():
                    spine.set_visible(False)
            else:
                ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
            if i == 0:
                ax.set_title(column, fontsize=10)
            if j == 0:
                ax.set_ylabel(row, rotation=0, ha="right", va="center", fontsize=10)
    fig.suptitle(title, fontsize=11)
    return fig


@_literal_text
def lost_images_figure(
    groups: Sequence[tuple[str, np.ndarray, Sequence[str]]],
    *,
    per_row: int = 8,
    title: str = "",
) -> Figure:
    """One row per ``(heading, images, titles)``: up to ``per_row`` images,
    each with its title above it, the heading above the row."""
    size = 1.3
    fig = Figure(
        figsize=(size * per_row + 0.4, (size + 1.15) * len(groups) + 0.5),
        layout="constrained",
    )
    subfigs = np.atleast_1d(fig.subfigures(len(groups), 1))
    for sub, (heading, images, titles) in zip(subfigs, groups):
        axes = np.atleast_1d(sub.subplots(1, per_row))
        for ax in axes:
            ax.set_axis_off()
        for ax, image, text in zip(axes, images, titles):
            ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
            ax.set_title(text, fontsize=11)
        sub.suptitle(heading, fontsize=11, x=0.01, ha="left")
    fig.suptitle(title, fontsize=11)
    return fig
