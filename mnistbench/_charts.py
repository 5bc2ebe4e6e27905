"""Interactive charts of the report: Vega-Lite specs built with Altair.

Each builder takes a DataFrame of result rows and returns an Altair chart
(no I/O, nothing rendered): points with hover tooltips, and drop-down
selectors for the dataset (starting at ``dataset``), the machine and the
engine, so that one spec can hold the rows of several datasets while the
report shows it in the section of one. The data are inlined in the spec
(never a URL), with only the columns the chart needs and rounded floats.

The report puts a chart in its HTML page with :meth:`mnistbench._doc.Doc.chart`,
beside the matplotlib figure that stands for it in the Markdown file and
without JavaScript::

    points = pd.DataFrame({...})  # dataset, pipeline, seed, ... (see each builder)
    doc.chart(
        tradeoff_chart(points, "mnist-sample"),
        plots.tradeoff_figure(summary),
        "mnist-sample-tradeoff",
        "mnist-sample: accuracy against fit time",
    )

Examples
--------
>>> import pandas as pd
>>> from mnistbench._charts import tradeoff_chart
>>> points = pd.DataFrame(
...     {
...         "dataset": "mnist-sample",
...         "pipeline": ["logreg", "svm"],
...         "seed": 0,
...         "params": "{}",
...         "engine": "sklearn",
...         "machine": "M1",
...         "accuracy": [0.899, 0.961],
...         "fit_s": [0.33, 0.41],
...         "pareto": [True, True],
...     }
... )
>>> spec = tradeoff_chart(points, "mnist-sample").to_dict()
>>> [p["name"] for p in spec["params"]]
['pick_dataset', 'pick_machine', 'pick_engine']
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd

__all__ = ["curves_chart", "heatmap_chart", "tradeoff_chart"]

#: Width of every chart, in CSS pixels (the report's column is ~70rem).
WIDTH = 640
#: The selector value that keeps every machine, engine or severity.
ALL = "all"
#: Vega's tableau20, its ten dark colours first: ten pipelines or fewer get
#: colours no one confuses (tableau20's order pairs each with its light twin).
_COLORS = [
    "#4c78a8", "#f58518", "#54a24b", "#e45756", "#b79a20",
    "#439894", "#d67195", "#b279a2", "#79706e", "#9e765f",
    "#9ecae9", "#ffbf79", "#88d27a", "#ff9d98", "#f2cf5b",
    "#83bcb6", "#fcbfd2", "#d6a5c9", "#bab0ac", "#d8b5a5",
]  # fmt: skip

_TRADEOFF = (
    "dataset", "pipeline", "seed", "params", "engine", "machine",
    "accuracy", "fit_s", "pareto",
)  # fmt: skip
_CURVES = (
    "dataset", "pipeline", "n_train", "accuracy", "seed", "params", "engine",
    "machine",
)  # fmt: skip
_HEATMAP = (
    "dataset", "pipeline", "corruption", "severity", "accuracy", "engine", "machine",
)  # fmt: skip


def _run_tooltip(*extra) -> list:
    """What hovering one run shows: what it was, where it ran, then ``extra``."""
    names = ("pipeline", "seed", "params", "engine", "machine")
    return [*(alt.Tooltip(f"{name}:N") for name in names), *extra]


def tradeoff_chart(points: pd.DataFrame, dataset: str) -> alt.LayerChart:
    """Accuracy against fit time (log scale), one point per run.

    Parameters
    ----------
    points : pandas.DataFrame
        One row per run, with the columns ``dataset``, ``pipeline``, ``seed``,
        ``params``, ``engine``, ``machine``, ``accuracy``, ``fit_s`` and
        ``pareto`` (bool: on the Pareto front, as the caller computes it);
        rows without a positive fit time or an accuracy are left out.
    dataset : str
        The dataset the chart shows first.

    Returns
    -------
    altair.LayerChart
        Points coloured by pipeline, those on the Pareto front filled and
        larger; a tooltip names each run's pipeline, seed, params, engine,
        machine, accuracy and fit time.
    """
    frame = _checked(points, _TRADEOFF, dataset, "tradeoff_chart")
    frame = frame[(frame["fit_s"] > 0) & frame["accuracy"].notna()]
    frame = frame.assign(
        seed=frame["seed"].map(_whole),
        accuracy=frame["accuracy"].map(lambda v: round(float(v), 4)),
        fit_s=frame["fit_s"].map(_sig),
        pareto=frame["pareto"].astype(bool),
    )
    picks = _Picks(frame, dataset)
    encoding = dict(
        x=alt.X("fit_s:Q", scale=alt.Scale(type="log"), title="fit time (s, log)"),
        y=alt.Y("accuracy:Q", scale=alt.Scale(zero=False), title="accuracy"),
        color=_pipeline_color(frame),
        tooltip=_run_tooltip(
            alt.Tooltip("accuracy:Q", format=".4f"),
            alt.Tooltip("fit_s:Q", title="fit (s)", format=",.3~r"),
        ),
    )
    others = (
        alt.Chart()
        .mark_point(filled=False, size=50, strokeWidth=1.5)
        .encode(**encoding)
        .transform_filter("!datum.pareto")
    )
    front = (
        alt.Chart()
        .mark_point(filled=True, size=150, opacity=0.9)
        .encode(**encoding)
        .transform_filter("datum.pareto")
    )
    return _finish(
        alt.layer(others, front, data=_inline(frame, _TRADEOFF)),
        picks,
        "filled, larger points: on the Pareto front of their machine's runs",
    )


def curves_chart(points: pd.DataFrame, dataset: str) -> alt.LayerChart:
    """Learning or scaling curves: accuracy against training size (log).

    Parameters
    ----------
    points : pandas.DataFrame
        One row per run, with the columns ``dataset``, ``pipeline``,
        ``n_train``, ``accuracy``, ``seed``, ``params``, ``engine`` and
        ``machine``.
    dataset : str
        The dataset the chart shows first.

    Returns
    -------
    altair.LayerChart
        One line per pipeline through its mean accuracy over the selected
        runs at each training size (tooltip: mean and number of runs), and
        each run as a faint point (tooltip: seed, params, engine, machine).
    """
    frame = _checked(points, _CURVES, dataset, "curves_chart")
    frame = frame[(frame["n_train"] > 0) & frame["accuracy"].notna()]
    frame = frame.assign(
        n_train=frame["n_train"].map(_whole),
        seed=frame["seed"].map(_whole),
        accuracy=frame["accuracy"].map(lambda v: round(float(v), 4)),
    )
    picks = _Picks(frame, dataset)
    x = alt.X(
        "n_train:Q",
        scale=alt.Scale(type="log"),
        axis=alt.Axis(format="~s"),
        title="training images (log)",
    )
    color = _pipeline_color(frame)
    mean_y = alt.Y("mean(accuracy):Q", scale=alt.Scale(zero=False), title="accuracy")
    means = alt.Chart().encode(
        x=x,
        y=mean_y,
        color=color,
        tooltip=[
            alt.Tooltip("pipeline:N"),
            alt.Tooltip("n_train:Q", title="training images", format=","),
            alt.Tooltip("mean(accuracy):Q", title="mean accuracy", format=".4f"),
            alt.Tooltip("count():Q", title="runs"),
        ],
    )
    runs = (
        alt.Chart()
        .mark_circle(size=25, opacity=0.35)
        .encode(
            x=x,
            y=alt.Y("accuracy:Q"),
            color=color,
            tooltip=_run_tooltip(
                alt.Tooltip("n_train:Q", title="training images", format=","),
                alt.Tooltip("accuracy:Q", format=".4f"),
            ),
        )
    )
    layered = alt.layer(
        runs,
        means.mark_line(),
        means.mark_point(filled=True, size=60),
        data=_inline(frame, _CURVES),
    )
    return _finish(layered, picks, "lines: mean accuracy over the selected runs")


def heatmap_chart(points: pd.DataFrame, dataset: str) -> alt.LayerChart:
    """Robustness: mean accuracy of each pipeline under each corruption.

    Parameters
    ----------
    points : pandas.DataFrame
        One row per run and corruption, with the columns ``dataset``,
        ``pipeline``, ``corruption``, ``severity``, ``accuracy``, ``engine``
        and ``machine`` (others, such as ``seed`` and ``params``, are
        averaged over).
    dataset : str
        The dataset the chart shows first.

    Returns
    -------
    altair.LayerChart
        Pipelines (rows, in the order they first appear) by corruptions
        (columns), coloured and labelled by the mean accuracy over the
        selected rows; a fourth selector picks one severity or all.
    """
    cells = _heatmap_cells(points, dataset)
    severities = sorted(set(cells["severity"]), key=_severity_order)
    picks = _Picks(cells, dataset, severities=severities)
    pipelines = list(dict.fromkeys(cells["pipeline"]))
    corruptions = list(dict.fromkeys(cells["corruption"]))
    base = alt.Chart().encode(
        x=alt.X(
            "corruption:N", sort=corruptions, title=None, axis=alt.Axis(labelAngle=-40)
        ),
        y=alt.Y("pipeline:N", sort=pipelines, title=None),
        tooltip=[
            alt.Tooltip("pipeline:N"),
            alt.Tooltip("corruption:N"),
            alt.Tooltip("accuracy:Q", title="mean accuracy", format=".4f"),
            alt.Tooltip("n:Q", title="runs"),
            alt.Tooltip("seeds:N", title="seed"),
            alt.Tooltip("params:N"),
            alt.Tooltip("engine:N"),
            alt.Tooltip("machine:N"),
        ],
    )
    rect = base.mark_rect().encode(
        color=alt.Color(
            "accuracy:Q", scale=alt.Scale(scheme="viridis"), title="mean accuracy"
        )
    )
    dark = "datum.accuracy < (datum.lo + datum.hi) / 2"  # viridis: low is dark
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("accuracy:Q", format=".3f"),
        color=alt.when(dark).then(alt.value("white")).otherwise(alt.value("black")),
    )
    layered = (
        alt.layer(rect, text, data=alt.Data(values=_records(cells, list(cells))))
        .transform_filter(picks.where)
        .transform_aggregate(
            acc_sum="sum(acc_sum)",
            n="sum(n)",
            seeds="max(seeds)",
            params="max(params)",
            engines="distinct(engine)",
            engine_one="max(engine)",
            machines="distinct(machine)",
            machine_one="max(machine)",
            groupby=["pipeline", "corruption"],
        )
        .transform_calculate(
            accuracy="datum.acc_sum / datum.n",
            engine="datum.engines > 1 ? datum.engines + ' engines' : datum.engine_one",
            machine="datum.machines > 1 ? datum.machines + ' machines' : "
            "datum.machine_one",
        )
        .transform_joinaggregate(lo="min(accuracy)", hi="max(accuracy)")
        .add_params(*picks.params)
        .properties(width=WIDTH, height=alt.Step(20))
    )
    return layered


def _heatmap_cells(points: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """The heatmap's rows: per pipeline, set, severity, engine and machine,
    the sum and count of the accuracies (so that the chart's mean is over
    runs, not over cells) and the runs' seeds and params, as text, for
    hovering."""
    hover = tuple(c for c in ("seed", "params") if c in points)
    frame = _checked(points, _HEATMAP + hover, dataset, "heatmap_chart")
    frame = frame[frame["accuracy"].notna()]
    frame = frame.assign(
        severity=frame["severity"].map(_label),
        seed=frame.get("seed", ""),
        params=frame.get("params", ""),
    )
    keys = ["dataset", "pipeline", "corruption", "severity", "engine", "machine"]
    cells = (
        frame.groupby(keys, sort=False)
        .agg(
            acc_sum=("accuracy", "sum"),
            n=("accuracy", "count"),
            seeds=("seed", _joined),
            params=("params", _joined),
        )
        .reset_index()
    )
    cells["acc_sum"] = cells["acc_sum"].map(lambda v: round(float(v), 5))
    return cells


def _joined(values: pd.Series) -> str:
    """A cell's values as one text: ``0, 1, 2``."""
    return ", ".join(str(v) for v in sorted(set(values), key=str))


class _Picks:
    """The selectors of a chart: dataset (no "all": accuracies of different
    datasets do not mix), machine and engine, optionally severity, and the
    filter expression that keeps the rows they select."""

    def __init__(
        self, frame: pd.DataFrame, dataset: str, severities: Sequence[str] = ()
    ):
        self.params = [
            _select("dataset", sorted(set(frame["dataset"])), dataset),
            _select("machine", [ALL, *sorted(set(frame["machine"]))], ALL),
            _select("engine", [ALL, *sorted(set(frame["engine"]))], ALL),
        ]
        tests = ["datum.dataset == pick_dataset"]
        tests += [f"(pick_{c} == '{ALL}' || datum.{c} == pick_{c})" for c in _ANY]
        if severities:
            self.params.append(_select("severity", [ALL, *severities], ALL))
            tests.append(
                f"(pick_severity == '{ALL}' || datum.severity == pick_severity)"
            )
        self.where = " && ".join(tests)


_ANY = ("machine", "engine")


def _select(column: str, options: list[str], value: str) -> alt.Parameter:
    return alt.param(
        name=f"pick_{column}",
        value=value,
        bind=alt.binding_select(options=options, name=f"{column} "),
    )


def _finish(layered: alt.LayerChart, picks: _Picks, note: str) -> alt.LayerChart:
    return (
        layered.add_params(*picks.params)
        .transform_filter(picks.where)
        .properties(
            width=WIDTH,
            height=360,
            title=alt.Title(
                note, anchor="start", fontSize=11, fontWeight="normal", color="#555"
            ),
        )
    )


def _pipeline_color(frame: pd.DataFrame) -> alt.Color:
    return alt.Color(
        "pipeline:N",
        sort=list(dict.fromkeys(frame["pipeline"])),
        scale=alt.Scale(range=_COLORS),
        legend=alt.Legend(symbolOpacity=1),
        title="pipeline",
    )


def _checked(
    points: pd.DataFrame, columns: Sequence[str], dataset: str, who: str
) -> pd.DataFrame:
    missing = [c for c in columns if c not in points.columns]
    if missing:
        raise ValueError(f"{who}: points lack the columns {', '.join(missing)}")
    if dataset not in set(points["dataset"]):
        raise ValueError(f"{who}: no rows of dataset {dataset!r}")
    frame = points[list(columns)].copy()
    for column in ("dataset", "pipeline", "engine", "machine", "params", "corruption"):
        if column in frame:
            frame[column] = frame[column].map(_label)
    return frame


def _inline(frame: pd.DataFrame, columns: Sequence[str]) -> alt.Data:
    return alt.Data(values=_records(frame, list(columns)))


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows as plain JSON values (never NaN, which JSON cannot hold)."""
    return [
        {c: _plain(v) for c, v in zip(columns, row)}
        for row in frame[columns].itertuples(index=False)
    ]


def _plain(value):
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _label(value) -> str:
    """A cell as text: whole numbers without ``.0``, missing ones as ``n/a``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _whole(value):
    """An integer column that pandas may have made float (NaN elsewhere)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _sig(value, digits: int = 4) -> float:
    return float(f"{float(value):.{digits}g}")


def _severity_order(text: str):
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)
