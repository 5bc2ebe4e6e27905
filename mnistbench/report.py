"""A reviewer's report of a results folder: ``report.html`` and ``report.md``.

Built only from what the runs stored (the leaderboard, the kept test-set
predictions) and the datasets' test sets; nothing is refitted. The HTML file is
self-contained and works offline: figures embedded as PNG data URIs, and where
a figure is interactive (Vega-Lite, :mod:`mnistbench._charts`) its data and
the Vega bundle inlined; tables sort and filter; nothing is fetched, and with
JavaScript off the page shows the same tables and the PNG figures. The Markdown
file links its figures from ``report_files/`` beside it. Where a dataset's rows
ran on several machines, times are shown per machine, never pooled
(:mod:`mnistbench._report_machines`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from mnistbench import __version__, compare, data, plots, results
from mnistbench._doc import NOT_ENOUGH, Doc
from mnistbench._doc import fmt as _fmt
from mnistbench._doc import slug as _slug
from mnistbench._io import WriteError, check_writable
from mnistbench._report_figures import scaling_section, tradeoff_section
from mnistbench._report_machines import machines_section
from mnistbench._report_robustness import robustness_section
from mnistbench._report_tuning import tuning_section
from mnistbench.exceptions import MnistbenchError

__all__ = ["Report", "ReportError", "build"]

logger = logging.getLogger(__name__)


class ReportError(MnistbenchError, ValueError):
    """The report cannot be built: no results, or an unknown dataset."""


@dataclass
class Report:
    """The files a report wrote."""

    html: Path
    markdown: Path
    figures: list[Path] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)


def build(
    out: str | os.PathLike = "results",
    *,
    datasets: list[str] | None = None,
    data_home=None,
) -> Report:
    """Write ``out/report.html`` and ``out/report.md`` from ``out``'s runs.

    For each dataset: the leaderboard (accuracy over seeds, bootstrap
    intervals, times), McNemar's tests between every pair of pipelines
    (Holm-corrected), the tuning searches, the scores on corrupted test sets
    (``run --corruptions``), the accuracy/time trade-off, the scaling
    with the training size (where a pipeline ran at several), the
    classes confused and the images misclassified, published results to
    compare with, and where each row ran; where the rows ran on several
    machines, each machine's times and whether the same jobs predicted the
    same across machines. Built only from what the runs stored and the
    datasets' test sets (from ``out/testsets/`` where a published archive
    holds them); nothing is refitted. The HTML page is self-contained and
    works offline (figures embedded, scripts and data inlined; sortable,
    filterable tables; interactive figures); the Markdown file links its
    figures from ``out/report_files/``. Each file is written whole or not
    at all.

    Parameters
    ----------
    out : path, default "results"
        A results folder (``mnistbench run --out``).
    datasets : list of str, optional
        Only these datasets (default: every dataset with an ok row).
    data_home : path, optional
        Where the datasets are cached (their test labels and images are read).

    Returns
    -------
    Report
        The paths of the HTML page (``html``), the Markdown file
        (``markdown``) and the figures (``figures``), and the datasets
        reported (``datasets``).

    Raises
    ------
    ReportError
        ``out`` cannot be written, has no ok row, or none of a dataset
        asked for.
    mnistbench._io.WriteError
        A file could not be written; the message names it and why.

    See Also
    --------
    mnistbench.runner.run : Fill a results folder.
    mnistbench.compare.seed_summary : The leaderboard's numbers as a frame.

    Examples
    --------
    >>> import tempfile
    >>> from mnistbench import report, runner
    >>> out = tempfile.mkdtemp()
    >>> _ = runner.run(
    ...     ["knn"], datasets=["mnist-sample"], train_size=500, out=out, plots=False
    ... )
    >>> built = report.build(out)
    >>> built.html.name, built.markdown.name, built.datasets
    ('report.html', 'report.md', ['mnist-sample'])
    >>> print(built.markdown.read_text().splitlines()[0])
    # mnistbench report
    """
    out = Path(out)
    html_path, md_path = out / "report.html", out / "report.md"
    files = out / "report_files"
    # before building anything: a report that cannot be written is refused
    try:
        check_writable(out, html_path.name, md_path.name, files.name, create=False)
    except WriteError as exc:
        raise ReportError(f"cannot write the report into {out}: {exc}") from None
    board = results.read_leaderboard(out)
    ok = board[board["status"] == "ok"]
    present = list(dict.fromkeys(ok["dataset"]))
    if not present:
        raise ReportError(
            f"no successful runs in {out / results.LEADERBOARD}; "
            "run `mnistbench run --out DIR` first"
        )
    chosen = list(dict.fromkeys(datasets or present))
    missing = [d for d in chosen if d not in present]
    if missing:
        raise ReportError(
            f"no successful runs of {', '.join(missing)} in {out}; "
            f"it has {', '.join(present)}"
        )
    doc = Doc(files)
    doc.heading("mnistbench report", 1)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    doc.para(
        f"Built {stamp} by mnistbench {__version__} from {len(ok)} successful "
        f"runs in {results.LEADERBOARD}, without refitting anything: the "
        "accuracies, times and environments are those the runs stored, and every "
        "comparison uses the test-set predictions they kept."
    )
    for name in chosen:
        ds = results.dataset_of([out], name, data_home=data_home)
        _dataset_section(doc, out, board, ds, data_home)
    doc.save(html_path, md_path)
    logger.info("report: %s and %s (%d figures)", html_path, md_path, len(doc.figures))
    return Report(html_path, md_path, doc.figures, chosen)


@dataclass
class _Results:
    """One dataset's stored results, every table listing pipelines best first."""

    ds: data.Dataset
    board: pd.DataFrame
    summary: pd.DataFrame
    rows: pd.DataFrame
    predictions: dict[str, np.ndarray]
    out: Path
    data_home: object = None
    #: each board row's machine, M1, M2... (aligned with ``board``)
    machine: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))

    @property
    def name(self) -> str:
        return self.ds.name

    @property
    def y_test(self) -> np.ndarray:
        return self.ds.y_test

    @property
    def n_test(self) -> int:
        return len(self.ds.y_test)

    @property
    def machines(self) -> list[str]:
        """The machines of this dataset's ok rows (one name if one)."""
        ok = (self.board["status"] == "ok") & (self.board["dataset"] == self.name)
        return sorted(set(self.machine[ok]), key=results.machine_number)

    def summary_of(self, machine: str) -> pd.DataFrame:
        """:func:`compare.seed_summary` of one machine's rows."""
        board = self.board[self.machine == machine]
        return compare.seed_summary(board, self.name).assign(machine=machine)


def _dataset_section(
    doc: Doc, out: Path, board: pd.DataFrame, ds, data_home=None
) -> None:
    name = ds.name
    summary = compare.seed_summary(board, name)
    rows = compare.representative_rows(board, name)
    predictions = compare.load_predictions(out, rows, len(ds.y_test))
    # Everything below lists pipelines best first, as the leaderboard does.
    order = [label for label in summary["label"] if label in predictions]
    predictions = {label: predictions[label] for label in order}
    rows = rows.set_index("label").loc[order].reset_index()
    machine = results.machine_names(board)
    gathered = _Results(ds, board, summary, rows, predictions, out, data_home, machine)
    doc.heading(f"{name} ({len(ds.y_test):,} test images)", 2, anchor=name)
    for section in _SECTIONS:
        section(doc, gathered)


def _leaderboard(doc: Doc, r: _Results) -> None:
    """The leaderboard: accuracy over seeds, intervals, times."""
    doc.heading("Leaderboard", 3)
    intervals = compare.accuracy_intervals(r.y_test, r.predictions).set_index("label")
    seeds_shown = dict(zip(r.rows["label"], r.rows["seed"]))
    machines = r.machines
    summary = r.summary.assign(machine=machines[0])
    if len(machines) > 1:  # a row per pipeline and machine: no time pooled
        order = {label: i for i, label in enumerate(r.summary["label"])}
        summary = pd.concat([r.summary_of(m) for m in machines], ignore_index=True)
        summary = summary.sort_values(
            ["label", "machine"], key=lambda c: c.map(order) if c.name == "label" else c
        )
    table = pd.DataFrame(
        {
            "pipeline": summary["label"],
            **({"machine": summary["machine"]} if len(machines) > 1 else {}),
            "seeds": summary["n_seeds"],
            "accuracy (mean ± std)": [
                f"{m:.4f} ± {_fmt(s, '.4f')}"
                for m, s in zip(summary["accuracy_mean"], summary["accuracy_std"])
            ],
            "95% interval": [
                f"{intervals.loc[label, 'ci_low']:.4f} – "
                f"{intervals.loc[label, 'ci_high']:.4f} (seed {seeds_shown[label]})"
                if label in intervals.index
                else "n/a"
                for label in summary["label"]
            ],
            "fit s": summary["fit_s"].map(lambda v: f"{v:.2f}"),
            "predict s": summary["predict_s"].map(lambda v: f"{v:.2f}"),
            "engine": summary["engine"],
            "ran_on": summary["ran_on"].replace("", "n/a"),
        }
    )
    doc.table(table, interactive=True)
    if len(machines) > 1:
        doc.para(
            f"These rows ran on {len(machines)} machines ({', '.join(machines)}: "
            "see Across machines): each pipeline has a row per machine, its "
            "accuracy over that machine's seeds and its times there; times are "
            "never averaged across machines. The interval is that of the run "
            "the paired tests use (its lowest seed, newest row)."
        )
    doc.para(
        "± is the standard deviation of the accuracy over seeds; the interval is a "
        "percentile bootstrap 95% interval over the test images of the run named "
        f"(2,000 resamples). With {r.n_test:,} test images an accuracy near 0.9 is "
        f"uncertain by about ±{1.96 * np.sqrt(0.09 / r.n_test):.4f} on its own."
    )
    for line in _test_time_augmentation(r.summary["pipeline"]):
        doc.para(line, cls="note")
    if (r.summary["n_seeds"] < 2).all():
        doc.para(
            f"{NOT_ENOUGH} for a spread over seeds: every pipeline ran with one seed "
            "(run with --seed 0 --seed 1 --seed 2 to get one).",
            cls="note",
        )


def _test_time_augmentation(names) -> list[str]:
    """A sentence for each registered pipeline that predicts with test-time
    augmentation: its accuracy is not that of one pass over the test set."""
    from mnistbench import pipelines
    from mnistbench.augmentation import test_time_transforms

    registered = set(pipelines.available())
    lines = []
    for name in dict.fromkeys(names):
        copies = test_time_transforms(pipelines.get(name)) if name in registered else ()
        if copies:
            lines.append(
                f"{name} uses test-time augmentation: each test image is classified "
                "by the decision function averaged over it and its copies "
                f"({', '.join(copies)}), so each prediction costs several passes."
            )
    return lines


def _significance(doc: Doc, r: _Results) -> None:
    """McNemar's test between every pair, Holm-corrected."""
    doc.heading("Which differences are real: paired tests", 3)
    if len(r.predictions) < 2:
        doc.para(
            f"{NOT_ENOUGH}: paired tests need at least two pipelines with stored "
            "predictions on this test set.",
            cls="note",
        )
    else:
        pairs = compare.pairwise_mcnemar(r.y_test, r.predictions)
        matrix = compare.mcnemar_matrix(pairs, list(r.predictions))
        doc.para(
            "McNemar's exact test on the test images one pipeline of a pair gets "
            "right and the other wrong (the lowest seed's run of each), with Holm's "
            f"correction over all {len(pairs)} pairs; significant means adjusted "
            f"p < {compare.ALPHA}."
        )
        doc.figure(
            plots.mcnemar_figure(matrix, title=f"{r.name}: McNemar, Holm-adjusted p"),
            _slug(r.name, "mcnemar"),
            f"{r.name}: Holm-adjusted McNemar p-values for every pair of pipelines",
        )
        shown = pairs.assign(
            p=pairs["pvalue"].map(lambda v: f"{v:.3g}"),
            p_holm=pairs["pvalue_holm"].map(lambda v: f"{v:.3g}"),
            significant=pairs["significant"].map({True: "yes", False: "no"}),
        )[["a", "b", "a_only", "b_only", "p", "p_holm", "significant"]]
        doc.table(
            shown.rename(columns={"a_only": "only a right", "b_only": "only b right"}),
            interactive=True,
        )
        same = pairs[~pairs["significant"]]
        doc.para(
            f"{int(pairs['significant'].sum())} of {len(pairs)} pairs differ "
            "significantly. "
            + (
                "Not distinguishable on this test set: "
                + "; ".join(f"{a} vs {b}" for a, b in zip(same["a"], same["b"]))
                + "."
                if len(same)
                else "Every pair differs."
            )
        )


def _errors(doc: Doc, r: _Results) -> None:
    """Each pipeline's confusion matrix, confused pairs, misclassified images."""
    doc.heading("Errors", 3)
    images = r.ds.images("test")
    for row in r.rows.itertuples():
        y_pred = r.predictions[row.label]
        doc.heading(f"{row.label} (seed {row.seed})", 4)
        doc.figure(
            plots.confusion_figure(
                r.y_test, y_pred, r.ds.class_names, title=f"{row.label} on {r.name}:"
            ),
            _slug(r.name, row.label, "confusion"),
            f"{row.label}: confusion matrix (counts, and rates per true class)",
            dpi=60,
        )
        confused = compare.confused_pairs(r.y_test, y_pred, r.ds.class_names)
        if len(confused):
            share = confused["share_of_true"].map("{:.1%}".format)
            doc.table(
                confused.assign(share_of_true=share).rename(
                    columns={"share_of_true": "share of the true class"}
                )
            )
            doc.figure(
                plots.error_gallery_figure(
                    images,
                    r.y_test,
                    y_pred,
                    r.ds.class_names,
                    title=f"{row.label}: the first misclassified test images",
                ),  # fmt: skip
                _slug(r.name, row.label, "errors"),
                f"{row.label}: misclassified test images, true and predicted label "
                "under each",
            )
        else:
            doc.para("No misclassified test image.")


def _anchors(doc: Doc, r: _Results) -> None:
    """Published results beside ours."""
    doc.heading("Beside published results", 3)
    # a search's choice is not the registered pipeline, even where it kept
    # every default
    registered = r.summary[~r.summary["label"].isin(_tuned_labels(r))]
    anchors = compare.versus_anchors(registered, r.name)
    if anchors.empty:
        doc.para(
            f"No published result is on file for {r.name} (mnistbench/anchors.csv "
            "holds MNIST and Fashion-MNIST ones).",
            cls="note",
        )
    else:
        doc.table(
            pd.DataFrame(
                {
                    "pipeline": anchors["label"],
                    "published method": anchors["method"],
                    "params": anchors["params"],
                    "published": anchors["published_accuracy"].map("{:.4f}".format),
                    "ours": anchors["ours"].map("{:.4f}".format),
                    "difference": anchors["difference"].map("{:+.4f}".format),
                    "source": anchors["source"] + " " + anchors["url"],
                }
            ),
            interactive=True,
        )
        doc.para(
            "Published figures are single numbers from their authors' own setups "
            "(preprocessing, hyper-parameter search, hardware); a difference smaller "
            "than the intervals above says nothing. Notes per anchor are in "
            "mnistbench/anchors.csv."
        )


def _environment(doc: Doc, r: _Results) -> None:
    """Where each run ran."""
    doc.heading("Where each run ran", 3)
    ok = r.board[(r.board["status"] == "ok") & (r.board["dataset"] == r.name)]
    ok = ok.assign(
        label=[
            compare.pipeline_label(p, e) + (" (tuned)" if _is_tuned(sid) else "")
            for p, e, sid in zip(ok["pipeline"], ok["engine"], ok["search_id"])
        ]
    )
    ok = ok.sort_values(["pipeline", "engine", "seed"])
    env = compare.environment_table(ok)
    env.insert(2, "machine", r.machine.loc[ok.index].to_numpy())
    doc.table(env.astype(object).fillna("n/a").replace("", "n/a"), interactive=True)
    doc.para(
        "n/a: not recorded by the mnistbench version that ran the row (worker "
        "since 0.4, gpu since 0.5), or, for worker, a local run."
    )


def _is_tuned(search_id) -> bool:
    return isinstance(search_id, str) and search_id != ""


def _tuned_labels(r: _Results) -> set[str]:
    rows = compare.representative_rows(r.board, r.name)
    return set(rows.loc[rows["search_id"].map(_is_tuned), "label"])


def _tuning(doc: Doc, r: _Results) -> None:
    tuning_section(doc, r)


_SECTIONS = (
    _leaderboard,
    machines_section,
    _significance,
    _tuning,
    robustness_section,
    tradeoff_section,
    scaling_section,
    _errors,
    _anchors,
    _environment,
)
