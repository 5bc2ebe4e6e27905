"""Compare two result sets job by job: did an upgrade make each pipeline
slower or faster, and do its predictions differ significantly?

A and B are two result folders, or the two values of one column (``engine``,
``sklearn_version``, ``host``, ...) in one folder. Jobs match on dataset,
pipeline, params, seed and training size. For each job on both sides,
:func:`between` gives both accuracies, McNemar's exact test on the stored
test-set predictions (Holm-corrected over every job compared), the share of
test predictions that changed, the fit and predict time ratios B/A with the
check of whether the timings differ (:func:`~mnistbench.compare.time_change`),
and a verdict. Nothing is refitted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mnistbench.compare._pipelines import load_prediction
from mnistbench.compare._sides import (
    JOB_COLUMNS,
    CompareError,
    TestLabels,
    check_test_sets,
    pair_jobs,
    read_side,
    split_by,
)
from mnistbench.compare._stats import ALPHA, holm, mcnemar, time_change

__all__ = ["DEFAULT_FACTOR", "VERDICTS", "between"]

#: Every word a verdict is made of, as ``--fail-on`` takes them.
VERDICTS = (
    "slower",
    "faster",
    "less-accurate",
    "more-accurate",
    "same",
    "definition-changed",
    "failed",
    "only-in-a",
    "only-in-b",
)
#: B/A time ratio beyond which (or below whose inverse) a job may be slower
#: (faster), as asv's ``--factor``.
DEFAULT_FACTOR = 1.10


def between(
    a: str | os.PathLike,
    b: str | os.PathLike | None = None,
    *,
    by: str | None = None,
    values: Sequence[str] | None = None,
    factor: float = DEFAULT_FACTOR,
    alpha: float = ALPHA,
    data_home: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Compare result folder ``a`` with ``b``, job by job.

    Parameters
    ----------
    a, b : path
        Result folders (each with a ``leaderboard.csv``). Without ``b``,
        ``by`` splits ``a``'s rows in two.
    by : str, optional
        A leaderboard column, e.g. ``"engine"`` or ``"sklearn_version"``.
    values : (str, str), optional
        ``by``'s values for A and B; by default the two it has, in the order
        they first ran.
    factor : float
        B/A median time ratio a job must pass to be *slower* (or, inverted,
        *faster*), besides the timings differing (see
        :func:`~mnistbench.compare.time_change`).
    alpha : float
        Significance level of the Holm-adjusted McNemar tests and of the
        Mann-Whitney tests.
    data_home : path, optional
        Where the datasets are cached: the test labels come from there.

    Returns
    -------
    DataFrame
        One row per job, on one side or both: the job's columns, ``verdict``
        (words of :data:`VERDICTS` joined by ", "), accuracies and their
        difference, McNemar's counts and p-values, ``changed`` (the share of
        test predictions that differ), medians, ratios, p-values and changes
        of the fit and predict times, the repeats on each side,
        ``time_rule`` and a ``note``. ``frame.attrs`` holds the sides'
        labels, ``factor``, ``alpha`` and ``missing_predictions`` (the jobs
        compared on accuracy and time only).

    Raises
    ------
    CompareError
        A side without a leaderboard, no job in common, a dataset whose test
        set differs between the sides, or predictions that do not score as
        their rows say.

    See Also
    --------
    time_change : Whether two sets of timings differ.
    markdown : The comparison as a Markdown table.

    Examples
    --------
    The same job run twice, into two folders: before and after an upgrade,
    say. The job is seeded, so its predictions are the same:

    >>> import tempfile
    >>> from mnistbench import compare, runner
    >>> before, after = tempfile.mkdtemp(), tempfile.mkdtemp()
    >>> for out in (before, after):
    ...     _ = runner.run(
    ...         ["knn"], datasets=["mnist-sample"], train_size=500, out=out, plots=False
    ...     )
    >>> frame = compare.between(before, after)
    >>> frame[["pipeline", "n_train", "accuracy_a", "accuracy_b", "changed"]]
      pipeline  n_train  accuracy_a  accuracy_b  changed
    0      knn      500     0.86...     0.86...      0.0
    >>> float(frame.loc[0, "mcnemar_p"])
    1.0

    With one timing a side, the ratio of the times alone decides whether a
    job is *slower* or *faster* (run with ``repeat=3`` or more for a test):

    >>> frame.loc[0, "time_rule"]
    'ranges (1 vs 1)'
    """
    if not (isinstance(factor, (int, float)) and factor >= 1):
        raise CompareError(f"--factor must be a number of at least 1, got {factor}")
    if values is not None and by is None:
        raise CompareError("values name the two sides of a split: give by too")
    if b is None:
        if by is None:
            raise CompareError("give two result folders, or one and --by COLUMN")
        side_a, side_b = split_by(a, by, values)
    else:
        if by is not None:
            raise CompareError("--by splits one result folder; give one, not two")
        side_a, side_b = (read_side(str(x), x) for x in (a, b))
    frame = pair_jobs(side_a, side_b)
    check_test_sets(frame, side_a, side_b)
    frame = _compare(frame, side_a, side_b, factor, alpha, data_home)
    frame.attrs.update(a=side_a.label, b=side_b.label, factor=factor, alpha=alpha)
    return frame


# --- the comparison -----------------------------------------------------------


def _samples(row, side: str, column: str) -> list[float]:
    """A row's timing samples: the repeats' times, or its one time."""
    text = row.get(f"{column}_samples_{side}")
    if isinstance(text, str) and text:
        return [float(x) for x in json.loads(text)]
    value = row.get(f"{column}_{side}")
    return [] if value is None or pd.isna(value) else [float(value)]


def _compare(frame, side_a, side_b, factor, alpha, data_home) -> pd.DataFrame:
    labels = TestLabels(data_home, folders=(side_a.folder, side_b.folder))
    out, missing = [], []
    for row in frame.to_dict("records"):
        rec = {c: row[c] for c in JOB_COLUMNS}
        where = row.pop("_merge")
        if where != "both":
            rec["verdict"] = "only-in-a" if where == "left_only" else "only-in-b"
            out.append(rec)
            continue
        rec.update(_side_values(row))
        notes = []
        if row["status_a"] != "ok" or row["status_b"] != "ok":
            rec["verdict"] = "failed"
            notes += [
                f"{s.upper()}: {row[f'status_{s}']} ({row[f'error_{s}'] or ''})"
                for s in "ab"
                if row[f"status_{s}"] != "ok"
            ]
        elif side_a.split != "definition" and _definition_changed(row, notes):
            rec["verdict"] = "definition-changed"
        else:
            rec.update(_timings(row, factor, alpha))
            predictions = _predictions(row, side_a, side_b, labels, notes)
            if predictions is None:
                missing.append(_job_text(rec))
            else:
                rec.update(predictions)
        rec["note"] = "; ".join(notes)
        out.append(rec)
    table = pd.DataFrame(out, columns=_COLUMNS)
    tested = table["mcnemar_p"].notna()
    table.loc[tested, "mcnemar_p_holm"] = holm(table.loc[tested, "mcnemar_p"])
    table["verdict"] = [
        v if isinstance(v, str) else _verdict(r, alpha)
        for v, r in zip(table["verdict"], table.to_dict("records"))
    ]
    table.attrs["missing_predictions"] = missing
    return table


_COLUMNS = [
    *JOB_COLUMNS,
    "verdict",
    "engine_a",
    "engine_b",
    "accuracy_a",
    "accuracy_b",
    "accuracy_diff",
    "a_only",
    "b_only",
    "mcnemar_p",
    "mcnemar_p_holm",
    "changed",
    "fit_s_a",
    "fit_s_b",
    "fit_ratio",
    "fit_p",
    "fit_change",
    "predict_s_a",
    "predict_s_b",
    "predict_ratio",
    "predict_p",
    "predict_change",
    "repeats_a",
    "repeats_b",
    "time_rule",
    "note",
]


def _side_values(row) -> dict:
    values = {}
    for column in ("engine", "accuracy", "fit_s", "predict_s"):
        values.update({f"{column}_{s}": row[f"{column}_{s}"] for s in "ab"})
    if pd.notna(row["accuracy_a"]) and pd.notna(row["accuracy_b"]):
        values["accuracy_diff"] = row["accuracy_b"] - row["accuracy_a"]
    return values


def _definition_changed(row, notes: list[str]) -> bool:
    defs = {s: row[f"definition_{s}"] for s in "ab"}
    unknown = [s.upper() for s, d in defs.items() if not isinstance(d, str)]
    if unknown:
        notes.append(
            f"definition not recorded in {' and '.join(unknown)} (mnistbench < 0.8)"
        )
        return False
    if defs["a"] != defs["b"]:
        notes.append(f"definition {defs['a']} in A, {defs['b']} in B: not compared")
        return True
    return False


def _timings(row, factor: float, alpha: float) -> dict:
    values = {}
    counts = set()
    for phase in ("fit", "predict"):
        a = _samples(row, "a", f"{phase}_s")
        b = _samples(row, "b", f"{phase}_s")
        if not (a and b):
            continue
        change = time_change(a, b, factor=factor, alpha=alpha)
        values.update(
            {
                f"{phase}_ratio": change.ratio,
                f"{phase}_p": change.pvalue,
                f"{phase}_change": change.change,
            }
        )
        counts.add((len(a), len(b), change.rule))
        values["repeats_a"], values["repeats_b"] = len(a), len(b)
    values["time_rule"] = ", ".join(
        f"{rule} ({na} vs {nb})" for na, nb, rule in sorted(counts)
    )
    return values


def _predictions(row, side_a, side_b, labels, notes: list[str]) -> dict | None:
    """McNemar's counts and p-value, and the share of changed predictions;
    None (with a note) when a side has no stored predictions."""
    y_test = labels.get(row["dataset"], row["n_test_a"], row["data_sha256_a"])
    found = {}
    for side, where in (("a", side_a), ("b", side_b)):
        if not isinstance(row[f"predictions_{side}"], str):
            found[side] = None
            continue
        found[side] = load_prediction(
            where.folder / row[f"predictions_{side}"],
            len(y_test),
            f"{where.label}: {_job_text(row)}",
        )
    lacking = [s.upper() for s, p in found.items() if p is None]
    if lacking:
        notes.append(
            f"no stored predictions in {' and '.join(lacking)}: compared on "
            "accuracy and time only"
        )
        return None
    for side, where in (("a", side_a), ("b", side_b)):
        scored = float(np.mean(found[side] == y_test))
        if abs(scored - row[f"accuracy_{side}"]) > 0.5 / len(y_test):
            raise CompareError(
                f"{where.label}: {_job_text(row)}'s stored predictions score "
                f"{scored:.4f} against {row['dataset']}'s test labels, its row "
                f"says {row[f'accuracy_{side}']:.4f}: it was scored on other labels"
            )
    test = mcnemar(y_test, found["a"], found["b"])
    return {
        "a_only": test.a_only,
        "b_only": test.b_only,
        "mcnemar_p": test.pvalue,
        "changed": float(np.mean(found["a"] != found["b"])),
    }


def _verdict(rec: dict, alpha: float) -> str:
    words = []
    for phase in ("fit", "predict"):
        change = rec.get(f"{phase}_change")
        if change in ("slower", "faster") and change not in words:
            words.append(change)
    p = rec.get("mcnemar_p_holm")
    if p is not None and pd.notna(p) and p < alpha:
        better = rec["accuracy_b"] > rec["accuracy_a"]
        words.append("more-accurate" if better else "less-accurate")
    return ", ".join(words) or "same"


def _job_text(rec) -> str:
    """The job as one phrase (a column the sides were split by is left out)."""
    text = f"{rec['dataset']}/{rec['pipeline']}"
    if rec["params"] not in ("{}", None):
        text += f" {rec['params']}"
    if rec["seed"] is not None and pd.notna(rec["seed"]):
        text += f" seed {rec['seed']}"
    if rec["n_train"] is not None and pd.notna(rec["n_train"]):
        text += f" n_train {rec['n_train']:,}"
    return text
