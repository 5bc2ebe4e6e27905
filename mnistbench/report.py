"""A reviewer's report of a results folder: ``report.html`` and ``report.md``.

Built only from what the runs stored (the leaderboard, the kept test-set
predictions) and the datasets' test sets; nothing is refitted. The HTML file is
self-contained (figures embedded as PNG data URIs, no scripts, no network); the
Markdown file links its figures from ``report_files/`` beside it.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from mnistbench import __version__, compare, data, plots, results
from mnistbench.exceptions import MnistbenchError

__all__ = ["Report", "ReportError", "build"]

logger = logging.getLogger(__name__)

NOT_ENOUGH = "Not enough data"


class ReportError(MnistbenchError, ValueError):
    """The report cannot be built: no results, or an unknown dataset."""


@dataclass
class Report:
    """The files a report wrote."""

    html: Path
    markdown: Path
    figures: list[Path] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)


class _Doc:
    """The same document, written as HTML and as Markdown side by side."""

    def __init__(self, files: Path):
        self.html: list[str] = []
        self.md: list[str] = []
        self.files = files
        self.figures: list[Path] = []

    def heading(self, text: str, level: int, anchor: str = "") -> None:
        ident = f' id="{html.escape(anchor)}"' if anchor else ""
        self.html.append(f"<h{level}{ident}>{html.escape(text)}</h{level}>")
        self.md.append(f"{'#' * level} {text}\n")

    def para(self, text: str, cls: str = "") -> None:
        klass = f' class="{cls}"' if cls else ""
        self.html.append(f"<p{klass}>{html.escape(text)}</p>")
        self.md.append(f"{'> ' if cls == 'note' else ''}{text}\n")

    def table(self, frame: pd.DataFrame) -> None:
        cells = frame.astype(str)
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cells.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
            for row in cells.itertuples(index=False)
        )
        self.html.append(
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
        lines = ["| " + " | ".join(cells.columns) + " |"]
        lines.append("|" + "|".join("---" for _ in cells.columns) + "|")
        for row in cells.itertuples(index=False):
            lines.append("| " + " | ".join(v.replace("|", "\\|") for v in row) + " |")
        self.md.append("\n".join(lines) + "\n")

    def figure(self, fig, name: str, alt: str, dpi: int = 80) -> None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        png = buf.getvalue()
        path = self.files / f"{name}.png"
        path.write_bytes(png)
        self.figures.append(path)
        uri = "data:image/png;base64," + base64.b64encode(png).decode()
        self.html.append(
            f'<figure><img src="{uri}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>"
        )
        self.md.append(f"![{alt}]({self.files.name}/{path.name})\n")


def _slug(*parts: str) -> str:
    """A file name made of ``parts`` (pipeline labels may hold spaces, brackets)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(parts)).strip("_")


def _fmt(value, spec: str, missing: str = "n/a") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return missing
    return format(value, spec)


def build(
    out: str | os.PathLike = "results",
    *,
    datasets: list[str] | None = None,
    data_home=None,
) -> Report:
    """Write ``out/report.html`` and ``out/report.md`` from ``out``'s runs.

    Parameters
    ----------
    out : path
        A results folder (``mnistbench run --out``).
    datasets : list of str, optional
        Only these datasets (default: every dataset with an ok row).
    data_home : path, optional
        Where the datasets are cached (their test labels and images are read).
    """
    out = Path(out)
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
    files = out / "report_files"
    files.mkdir(parents=True, exist_ok=True)
    for old in files.glob("*.png"):  # a previous report's, maybe of gone pipelines
        old.unlink()
    doc = _Doc(files)
    doc.heading("mnistbench report", 1)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    doc.para(
        f"Built {stamp} by mnistbench {__version__} from {len(ok)} successful "
        f"runs in {results.LEADERBOARD}, without refitting anything: the "
        "accuracies, times and environments are those the runs stored, and every "
        "comparison uses the test-set predictions they kept."
    )
    for name in chosen:
        ds = data.load(name, data_home=data_home)
        _dataset_section(doc, out, board, ds)
    html_path, md_path = out / "report.html", out / "report.md"
    html_path.write_text(_page("\n".join(doc.html)), encoding="utf-8")
    md_path.write_text("\n".join(doc.md), encoding="utf-8")
    logger.info("report: %s and %s (%d figures)", html_path, md_path, len(doc.figures))
    return Report(html_path, md_path, doc.figures, chosen)


def _dataset_section(doc: _Doc, out: Path, board: pd.DataFrame, ds) -> None:
    name = ds.name
    summary = compare.seed_summary(board, name)
    rows = compare.representative_rows(board, name)
    predictions = compare.load_predictions(out, rows, len(ds.y_test))
    # Everything below lists pipelines best first, as the leaderboard does.
    order = [label for label in summary["label"] if label in predictions]
    predictions = {label: predictions[label] for label in order}
    rows = rows.set_index("label").loc[order].reset_index()
    y_test = ds.y_test
    n_test = len(y_test)
    doc.heading(f"{name} ({n_test:,} test images)", 2, anchor=name)

    # --- leaderboard ----------------------------------------------------------
    doc.heading("Leaderboard", 3)
    intervals = compare.accuracy_intervals(y_test, predictions).set_index("label")
    seeds_shown = dict(zip(rows["label"], rows["seed"]))
    table = pd.DataFrame(
        {
            "pipeline": summary["label"],
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
    doc.table(table)
    doc.para(
        "± is the standard deviation of the accuracy over seeds; the interval is a "
        "percentile bootstrap 95% interval over the test images of the run named "
        f"(2,000 resamples). With {n_test:,} test images an accuracy near 0.9 is "
        f"uncertain by about ±{1.96 * np.sqrt(0.09 / n_test):.4f} on its own."
    )
    if (summary["n_seeds"] < 2).all():
        doc.para(
            f"{NOT_ENOUGH} for a spread over seeds: every pipeline ran with one seed "
            "(run with --seed 0 --seed 1 --seed 2 to get one).",
            cls="note",
        )

    # --- significance ---------------------------------------------------------
    doc.heading("Which differences are real: paired tests", 3)
    if len(predictions) < 2:
        doc.para(
            f"{NOT_ENOUGH}: paired tests need at least two pipelines with stored "
            "predictions on this test set.",
            cls="note",
        )
    else:
        pairs = compare.pairwise_mcnemar(y_test, predictions)
        matrix = compare.mcnemar_matrix(pairs, list(predictions))
        doc.para(
            "McNemar's exact test on the test images one pipeline of a pair gets "
            "right and the other wrong (the lowest seed's run of each), with Holm's "
            f"correction over all {len(pairs)} pairs; significant means adjusted "
            f"p < {compare.ALPHA}."
        )
        doc.figure(
            plots.mcnemar_figure(matrix, title=f"{name}: McNemar, Holm-adjusted p"),
            _slug(name, "mcnemar"),
            f"{name}: Holm-adjusted McNemar p-values for every pair of pipelines",
        )
        shown = pairs.assign(
            p=pairs["pvalue"].map(lambda v: f"{v:.3g}"),
            p_holm=pairs["pvalue_holm"].map(lambda v: f"{v:.3g}"),
            significant=pairs["significant"].map({True: "yes", False: "no"}),
        )[["a", "b", "a_only", "b_only", "p", "p_holm", "significant"]]
        doc.table(
            shown.rename(columns={"a_only": "only a right", "b_only": "only b right"})
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

    # --- trade-off ------------------------------------------------------------
    doc.heading("Accuracy against fit time", 3)
    front = compare.pareto_front(summary["accuracy_mean"], summary["fit_s"])
    doc.figure(
        plots.tradeoff_figure(summary, title=f"{name}: accuracy vs fit time"),
        _slug(name, "tradeoff"),
        f"{name}: mean accuracy against mean fit time, Pareto front marked",
    )
    doc.para(
        "On the Pareto front (no other pipeline is both faster to fit and more "
        f"accurate): {', '.join(summary.loc[front, 'label'])}."
        + ("" if len(summary) > 1 else f" {NOT_ENOUGH} for a trade-off: one pipeline.")
    )

    # --- errors ---------------------------------------------------------------
    doc.heading("Errors", 3)
    images = ds.images("test")
    for row in rows.itertuples():
        y_pred = predictions[row.label]
        doc.heading(f"{row.label} (seed {row.seed})", 4)
        doc.figure(
            plots.confusion_figure(
                y_test, y_pred, ds.class_names, title=f"{row.label} on {name}:"
            ),
            _slug(name, row.label, "confusion"),
            f"{row.label}: confusion matrix (counts, and rates per true class)",
            dpi=60,
        )
        confused = compare.confused_pairs(y_test, y_pred, ds.class_names)
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
                    y_test,
                    y_pred,
                    ds.class_names,
                    title=f"{row.label}: the first misclassified test images",
                ),  # fmt: skip
                _slug(name, row.label, "errors"),
                f"{row.label}: misclassified test images, true and predicted label "
                "under each",
            )
        else:
            doc.para("No misclassified test image.")

    # --- published anchors ----------------------------------------------------
    doc.heading("Beside published results", 3)
    anchors = compare.versus_anchors(summary, name)
    if anchors.empty:
        doc.para(
            f"No published result is on file for {name} (mnistbench/anchors.csv "
            "holds MNIST and Fashion-MNIST ones).",
            cls="note",
        )
    else:
        doc.table(
            pd.DataFrame(
                {
                    "pipeline": anchors["pipeline"],
                    "published method": anchors["method"],
                    "params": anchors["params"],
                    "published": anchors["published_accuracy"].map("{:.4f}".format),
                    "ours": anchors["ours"].map("{:.4f}".format),
                    "difference": anchors["difference"].map("{:+.4f}".format),
                    "source": anchors["source"] + " " + anchors["url"],
                }
            )
        )
        doc.para(
            "Published figures are single numbers from their authors' own setups "
            "(preprocessing, hyper-parameter search, hardware); a difference smaller "
            "than the intervals above says nothing. Notes per anchor are in "
            "mnistbench/anchors.csv."
        )

    # --- environment ----------------------------------------------------------
    doc.heading("Where each run ran", 3)
    ok = board[(board["status"] == "ok") & (board["dataset"] == name)]
    env = compare.environment_table(ok.sort_values(["pipeline", "engine", "seed"]))
    doc.table(env.fillna("n/a").replace("", "n/a"))
    doc.para(
        "n/a: not recorded by the mnistbench version that ran the row (worker "
        "since 0.4, gpu since 0.5), or, for worker, a local run."
    )


_CSS = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;
color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.8rem 0;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}
figure{margin:1rem 0}
img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85rem;color:#555}
.note{background:#fff6dd;border-left:4px solid #e0b000;padding:.4rem .7rem}
h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.5rem}
"""


def _page(body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>mnistbench report</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
