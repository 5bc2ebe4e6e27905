"""The report's figures of cost against accuracy: accuracy against fit time
with its Pareto front, and, where a pipeline ran at several training sizes,
accuracy and times against the training size. Each is a PNG (the Markdown
file's, and the HTML page's without JavaScript) and an interactive Vega-Lite
chart (:mod:`mnistbench._charts`); where the rows ran on several machines,
each machine has its own points and its own front, never a mean of both.

``r`` is the report's dataset results (``board``, ``summary``, ``machine``,
``machines``, ``summary_of``...), as :mod:`mnistbench.report` gathers them.
"""

from __future__ import annotations

import pandas as pd

from mnistbench import compare, plots
from mnistbench._charts import curves_chart, tradeoff_chart
from mnistbench._doc import NOT_ENOUGH, Doc
from mnistbench._doc import fmt as _fmt
from mnistbench._doc import slug as _slug

__all__ = ["scaling_section", "tradeoff_section"]


def tradeoff_section(doc: Doc, r) -> None:
    """Accuracy against fit time, and the Pareto front."""
    doc.heading("Accuracy against fit time", 3)
    machines = r.machines
    if len(machines) > 1:  # a point per pipeline and machine: no time pooled
        summary = pd.concat([r.summary_of(m) for m in machines], ignore_index=True)
        summary["label"] = summary["label"] + " @ " + summary["machine"]
    else:
        summary = r.summary.assign(machine=machines[0])
    fronts = [
        g.loc[compare.pareto_front(g["accuracy_mean"], g["fit_s"]), "label"]
        for _, g in summary.groupby("machine")
    ]
    on_front = [label for front in fronts for label in front]
    doc.chart(
        tradeoff_chart(_tradeoff_points(r), r.name),
        plots.tradeoff_figure(
            summary.reset_index(drop=True), title=f"{r.name}: accuracy vs fit time"
        ),
        _slug(r.name, "tradeoff"),
        f"{r.name}: mean accuracy against mean fit time, Pareto front marked"
        + (", a point per pipeline and machine" if len(machines) > 1 else ""),
    )
    doc.para(
        "On the Pareto front (no other pipeline is both faster to fit and more "
        f"accurate{', on the same machine' if len(machines) > 1 else ''}): "
        f"{', '.join(on_front)}."
        + (
            ""
            if len(r.summary) > 1
            else f" {NOT_ENOUGH} for a trade-off: one pipeline."
        )
        + (
            " In the interactive page each point is a run: hover it for its "
            "pipeline, seed, params, engine and machine; the menus choose the "
            "dataset, machine and engine shown."
        )
    )


def _tradeoff_points(r) -> pd.DataFrame:
    """Every ok row of every dataset as a point of the interactive trade-off
    figure, marked where its configuration is on its machine's Pareto front
    of mean accuracy against mean fit time."""
    frames = []
    for dataset in dict.fromkeys(r.board.loc[r.board["status"] == "ok", "dataset"]):
        rows = compare.labelled_rows(r.board, dataset)
        machine = r.machine.loc[rows.index]
        front = pd.Series(False, index=rows.index)
        for m in set(machine):
            means = rows[machine == m].groupby("label")[["accuracy", "fit_s"]].mean()
            best = means.index[compare.pareto_front(means["accuracy"], means["fit_s"])]
            front |= (machine == m) & rows["label"].isin(best)
        frames.append(
            pd.DataFrame(
                {
                    "dataset": dataset,
                    "pipeline": rows["label"],
                    "seed": rows["seed"].astype(int),
                    "params": rows["params"].fillna("").astype(str),
                    "engine": rows["engine"],
                    "machine": machine,
                    "accuracy": rows["accuracy"].astype(float),
                    "fit_s": rows["fit_s"].astype(float),
                    "pareto": front,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def scaling_section(doc: Doc, r) -> None:
    """Accuracy and times against the training size, where a pipeline ran at
    several (``mnistbench bench scaling``, or runs with several
    ``--train-size``); nothing otherwise."""
    from mnistbench.bench.scaling import _slopes, scaling_figure

    points = _scaling_points(r)
    if points is None:
        return
    doc.heading("Scaling with the training set", 3)
    many = len(r.machines) > 1
    mine = points[points["dataset"] == r.name]
    medians = (
        mine.assign(
            pipeline=mine["pipeline"] + (" @ " + mine["machine"] if many else ""),
            status="ok",
        )
        .groupby(["pipeline", "n_train"], as_index=False, sort=False)[
            ["fit_s", "predict_s", "accuracy"]
        ]
        .median()
        .assign(status="ok")
    )
    slopes = pd.DataFrame(
        [_slopes(medians, name) for name in dict.fromkeys(medians["pipeline"])]
    )
    doc.chart(
        curves_chart(points, r.name),
        scaling_figure(
            medians, slopes, title=f"{r.name}: cost and accuracy vs n_train"
        ),
        _slug(r.name, "scaling"),
        f"{r.name}: fit and predict time (log-log, slope in the legend) and "
        "accuracy against the training size, the median over seeds"
        + (", a line per pipeline and machine" if many else "")
        + "; the interactive figure shows the accuracy of each run",
    )
    doc.table(
        slopes.assign(
            **{c: slopes[c].map(lambda v: _fmt(v, ".2f")) for c in slopes.columns[1:]}
        ).rename(
            columns={
                "fit_slope": "fit time slope",
                "predict_slope": "predict time slope",
                "total_slope": "total slope",
            }
        )
    )
    doc.para(
        "The slope is that of log time against log n_train: 1 means the time "
        "grows in proportion to the training set, 2 with its square."
    )


def _scaling_points(r) -> pd.DataFrame | None:
    """The ok rows of every (pipeline, engine) that ran at two training
    sizes or more, of every dataset, as points of the scaling figure."""
    ok = r.board[r.board["status"] == "ok"]
    sizes = ok.groupby(["dataset", "pipeline", "engine"])["n_train"].transform(
        "nunique"
    )
    ok = ok[(sizes > 1) & ok["search_id"].fillna("").eq("")]
    if not (ok["dataset"] == r.name).any():
        return None
    return pd.DataFrame(
        {
            "dataset": ok["dataset"],
            "pipeline": [
                compare.pipeline_label(p, e)
                for p, e in zip(ok["pipeline"], ok["engine"])
            ],
            "n_train": ok["n_train"].astype(int),
            "accuracy": ok["accuracy"].astype(float),
            "fit_s": ok["fit_s"].astype(float),
            "predict_s": ok["predict_s"].astype(float),
            "seed": ok["seed"].astype(int),
            "params": ok["params"].fillna("").astype(str),
            "engine": ok["engine"],
            "machine": r.machine.loc[ok.index],
        }
    ).reset_index(drop=True)
