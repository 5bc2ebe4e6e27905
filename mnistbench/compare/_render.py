"""A comparison of two result sets (:func:`~mnistbench.compare.between`) as
text: one line per job, the rules that decided the verdicts, and Markdown for
a pull-request comment."""

from __future__ import annotations

import math

import pandas as pd

from mnistbench._text import md_escape

__all__ = ["TABLE_HEADERS", "markdown", "rules", "table_rows"]

#: The columns people read, in order; ``table_rows`` gives their text.
TABLE_HEADERS = (
    "job",
    "acc A",
    "acc B",
    "Δ",
    "p Holm",
    "changed",
    "fit B/A",
    "pred B/A",
    "verdict",
)


def _number(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return format(value, spec)


def _labels(frame: pd.DataFrame) -> list[str]:
    """Each job named by what tells it apart: the pipeline (and "(tuned)"
    for a search's choice), then the dataset, params, seed and training size
    where the frame has several."""
    many = {c: frame[c].nunique() > 1 for c in ("dataset", "seed", "n_train")}
    labels = []
    for rec in frame.to_dict("records"):
        text = rec["pipeline"] + (" (tuned)" if rec.get("tuned") else "")
        if many["dataset"]:
            text = f"{rec['dataset']}/{text}"
        # None: the sides' split; a search's choice is named "(tuned)"
        if rec["params"] not in ("{}", None) and not rec.get("tuned"):
            text += f" {rec['params']}"
        if many["seed"]:
            text += f" seed {rec['seed']}"
        if many["n_train"]:
            text += f" n_train={rec['n_train']:,}"
        labels.append(text)
    return labels


def table_rows(frame: pd.DataFrame) -> list[dict[str, str]]:
    """One dict of :data:`TABLE_HEADERS` -> text per job."""
    out = []
    for label, rec in zip(_labels(frame), frame.to_dict("records")):
        out.append(
            {
                "job": label,
                "acc A": _number(rec["accuracy_a"], ".4f"),
                "acc B": _number(rec["accuracy_b"], ".4f"),
                "Δ": _number(rec["accuracy_diff"], "+.4f"),
                "p Holm": _number(rec["mcnemar_p_holm"], ".2g"),
                "changed": _number(rec["changed"], ".1%"),
                "fit B/A": _ratio(rec["fit_ratio"], rec["fit_change"]),
                "pred B/A": _ratio(rec["predict_ratio"], rec["predict_change"]),
                "verdict": rec["verdict"],
            }
        )
    return out


#: Marks a time ratio that decided a verdict.
MARKS = {"slower": " ▲", "faster": " ▼"}


def _ratio(value, change) -> str:
    text = _number(value, ".2f")
    return text + MARKS.get(change, "") if text else text


def rules(frame: pd.DataFrame) -> list[str]:
    """What was compared, and how each verdict was decided, as sentences."""
    attrs = frame.attrs
    factor, alpha = attrs.get("factor", 1.10), attrs.get("alpha", 0.05)
    tested = int(frame["mcnemar_p"].notna().sum())
    time_rules = sorted({r for r in frame["time_rule"].dropna() if r})
    lines = [
        f"A: {attrs.get('a', 'A')}; B: {attrs.get('b', 'B')}.",
        f"Time: slower (faster) when B's median over A's is above {factor:g} "
        f"(below 1/{factor:g}) and the times differ: with 3 or more repeats a "
        f"side, Mann-Whitney U one-sided p <= {alpha:g}; with fewer, when their "
        f"ranges do not overlap. Applied here: {'; '.join(time_rules) or 'none'}. "
        "▲ slower, ▼ faster.",
        f"Accuracy: less (more) accurate when McNemar's exact test on the stored "
        f"test predictions gives p < {alpha:g}, Holm-corrected over the {tested} "
        "job(s) tested. 'changed' is the share of test predictions that differ.",
    ]
    counts = frame["verdict"].value_counts()
    tally = "; ".join(f"{verdict}: {n}" for verdict, n in counts.items())
    lines.append(f"Verdicts (jobs): {tally}.")
    notes = [
        f"{label}: {note}"
        for label, note in zip(_labels(frame), frame["note"])
        if isinstance(note, str) and note
    ]
    lines += notes
    return lines


def markdown(frame: pd.DataFrame) -> str:
    """The comparison as a GitHub-flavoured Markdown table, then its rules."""
    rows = table_rows(frame)
    right = set(TABLE_HEADERS) - {"job", "verdict"}
    lines = [
        "| " + " | ".join(TABLE_HEADERS) + " |",
        "|" + "|".join("---:" if h in right else "---" for h in TABLE_HEADERS) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(md_escape(row[h]) for h in TABLE_HEADERS) + " |")
    notes = "\n".join(f"- {md_escape(r)}" for r in rules(frame))
    return "\n".join(lines) + "\n\n" + notes
