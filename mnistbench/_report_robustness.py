"""The report's robustness section (``mnistbench run --corruptions``).

Built from ``robustness.csv``, the predictions its rows point to and the
clean rows of the same jobs in the leaderboard: heatmaps of the accuracy on
each corrupted test set and of the drop from clean; a table of the mean over
corruptions with a paired bootstrap interval and the rankings; McNemar's
exact tests between the pipelines on each corrupted set (Holm-adjusted per
severity, every pair in a CSV beside the report); one test image under each
corruption; and, per pipeline, images its most damaging corruption cost it.
"""

from __future__ import annotations

import pandas as pd

from mnistbench import results
from mnistbench._charts import heatmap_chart
from mnistbench._doc import Doc
from mnistbench._doc import slug as _slug
from mnistbench._report_robustness_images import _gallery, _Images, _lost
from mnistbench._report_robustness_scores import PUBLISHED, _gather, _n, _Scores
from mnistbench._report_robustness_stats import _significance, _summary
from mnistbench.compare import pipeline_label

__all__ = ["SECTION", "robustness_section"]

SECTION = "Robustness: corrupted test sets"


def robustness_section(doc: Doc, r) -> None:
    """Robustness on corrupted test sets (``mnistbench run --corruptions``);
    nothing where the folder holds no ok corrupted-set row of the dataset.

    ``r`` is the report's dataset results (``ds``, ``board``, ``out``, and
    ``data_home`` where the report was given one)."""
    scores = _gather(r)
    if scores is None:
        return
    doc.heading(SECTION, 3)
    doc.para(_intro(r, scores))
    for note in scores.notes:
        doc.para(note, cls="note")
    _heatmaps(doc, r, scores)
    _summary(doc, r, scores)
    _significance(doc, r, scores)
    images = _Images(r)
    _gallery(doc, r, scores, images)
    _lost(doc, r, scores, images)


def heatmap_points(r) -> pd.DataFrame:
    """Every ok row of ``robustness.csv`` (every dataset) as a cell of the
    interactive heatmap: its pipeline, set, severity (0: a published set),
    accuracy, seed, params, engine and the machine its job's row ran on."""
    rob = results.read_robustness(r.out)
    rob = rob[rob["status"] == "ok"]
    ok = r.board[r.board["status"] == "ok"].sort_values("timestamp_utc")
    machine = dict(zip(ok["job_key"], r.machine.loc[ok.index]))
    rob = rob[rob["job_key"].isin(machine)]
    return pd.DataFrame(
        {
            "dataset": rob["dataset"],
            "pipeline": list(map(pipeline_label, rob["pipeline"], rob["engine"])),
            "corruption": rob["corruption"],
            "severity": rob["severity"].fillna(0).astype(int),
            "accuracy": rob["accuracy"].astype(float),
            "seed": rob["seed"].astype(int),
            "params": rob["params"].fillna("").astype(str),
            "engine": rob["engine"],
            "machine": rob["job_key"].map(machine),
        }
    ).reset_index(drop=True)


# ---------------------------------------------------------------- the text


def _intro(r, s: _Scores) -> str:
    sizes = [
        f"{len(s.columns[g])} at {g}"
        if g != PUBLISHED
        else _n(len(s.columns[g]), "published set")
        for g in s.groups
    ]
    how = (
        " The pipelines of a seed were scored on the same images of each set "
        "(their images_sha256 agree), so their predictions are paired, image by "
        "image, with each other's and with the clean test set's."
        if s.same_images
        else " Some pipelines of a seed were scored on other images of a set "
        "than the rest (their images_sha256 differ); the paired tests leave "
        "them out."
    )
    return (
        f"{_n(len(s.labels), 'pipeline')} scored on corrupted copies of the "
        f"{r.n_test:,} test images ({'; '.join(sizes)}), as stored in "
        f"{results.ROBUSTNESS}; the clean accuracies are those of the same jobs "
        f"in {results.LEADERBOARD}.{how}"
    )


def _heatmaps(doc: Doc, r, s: _Scores) -> None:
    from mnistbench import _robustness_plots

    doc.heading("Accuracy on each corrupted test set", 4)
    accuracy, drop = [], []
    for g in s.groups:
        name = "published sets" if g == PUBLISHED else g
        table = s.table(g)
        table.insert(0, "clean", s.clean, allow_duplicates=True)
        accuracy.append((name, table))
        drop.append((name, s.table(g, "drop")))
    most = int(s.cells["n_seeds"].max())
    seeds = "one seed each" if most == 1 else f"mean over up to {most} seeds"
    doc.chart(
        heatmap_chart(heatmap_points(r), r.name),
        _robustness_plots.heatmap_figure(
            accuracy,
            kind="accuracy",
            title=f"{r.name}: accuracy on corrupted sets",
            first_apart=True,
        ),
        _slug(r.name, "robustness-accuracy"),
        f"{r.name}: test accuracy (%) of each pipeline (rows, best clean accuracy "
        "first) on the clean test set (first column) and on each corrupted set, "
        f"one panel per severity ({seeds}); in the interactive page, accuracy as a "
        "fraction, with menus for the severity, dataset, machine and engine",
    )
    doc.figure(
        _robustness_plots.heatmap_figure(
            drop, kind="drop", title=f"{r.name}: drop from clean accuracy"
        ),
        _slug(r.name, "robustness-drop"),
        f"{r.name}: clean accuracy minus accuracy on each corrupted set, in "
        f"percentage points, of the same jobs ({seeds}); red: worse under the "
        "corruption, blue: better",
    )
