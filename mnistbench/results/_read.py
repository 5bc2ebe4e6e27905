"""Reading the leaderboard back, strictly, and showing its best rows."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from mnistbench._text import csv_cell, md_escape
from mnistbench.results._schema import (
    COLUMNS,
    LEADERBOARD,
    OLDER_HEADERS,
    SCHEMA,
    STATUSES,
    LeaderboardError,
    _cell,
    _format,
    _none,
    _parse,
    read_rows,
)


def read_leaderboard(out_dir: str | os.PathLike) -> pd.DataFrame:
    """Read ``out_dir/leaderboard.csv``, checking every row.

    A leaderboard written by an older mnistbench (one of
    :data:`OLDER_HEADERS`) is read too, the columns it lacks empty.

    Parameters
    ----------
    out_dir : str or path-like
        A results folder (``mnistbench run --out``).

    Returns
    -------
    pandas.DataFrame
        One row per line, the columns of :data:`COLUMNS` in that order, each
        parsed to its type (nullable ``Int64`` for integers, ``float64``,
        ``object`` for text; empty cells are missing values). An empty frame
        with those columns if the file does not exist.

    Raises
    ------
    LeaderboardError
        A malformed row (the message names its line), a header that is not
        a leaderboard's, or a file that is not a regular file, not UTF-8
        text or cannot be read.

    See Also
    --------
    best_rows : The most accurate ok row per pipeline.
    mnistbench.compare.seed_summary : Accuracy over seeds, per pipeline.

    Examples
    --------
    >>> import tempfile
    >>> from mnistbench import results
    >>> out = tempfile.mkdtemp()
    >>> board = results.read_leaderboard(out)  # no run yet
    >>> board.empty, list(board.columns[:4])
    (True, ['run_id', 'timestamp_utc', 'job_key', 'dataset'])

    A run appends a row per job (:func:`mnistbench.runner.run`); here one
    row, by hand, its other columns empty:

    >>> row = {"dataset": "mnist-sample", "pipeline": "knn", "n_train": 500}
    >>> results.append_row(out, {**row, "accuracy": 0.864, "status": "ok"})
    >>> board = results.read_leaderboard(out)
    >>> board[["dataset", "pipeline", "n_train", "accuracy", "fit_s", "status"]]
            dataset pipeline  n_train  accuracy  fit_s status
    0  mnist-sample      knn      500     0.864    NaN     ok
    >>> board["n_train"].dtype, board["fit_s"].dtype
    (Int64Dtype(), dtype('float64'))
    """
    path = Path(out_dir) / LEADERBOARD
    if not path.exists():
        return _empty()
    records = []
    headers = {COLUMNS, *OLDER_HEADERS}
    for line, header, fields in read_rows(path, headers, "leaderboard"):
        rec = dict.fromkeys(COLUMNS)
        rec.update((c, _parse(c, v, path, line)) for c, v in zip(header, fields))
        if rec["status"] not in STATUSES:
            raise LeaderboardError(
                f"{path}: line {line}: corrupt row (status "
                f"{rec['status']!r}); fix or delete that line"
            )
        records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    return frame.astype({c: _dtype(c) for c in COLUMNS})


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in COLUMNS})


def _dtype(column: str) -> str:
    return {int: "Int64", float: "float64", str: "object"}[SCHEMA[column]]


def ok_keys(frame: pd.DataFrame) -> set[str]:
    """Job keys that already have a successful row."""
    return set(frame.loc[frame["status"] == "ok", "job_key"])


def best_rows(frame: pd.DataFrame, dataset: str | None = None) -> pd.DataFrame:
    """The most accurate ok row per (dataset, pipeline, engine), best first per
    dataset: the same pipeline run by two engines keeps a row for each."""
    ok = frame[frame["status"] == "ok"]
    if dataset is not None:
        ok = ok[ok["dataset"] == dataset]
    if ok.empty:
        return ok
    ordered = ok.sort_values(["accuracy", "timestamp_utc"], ascending=[False, False])
    best = ordered.drop_duplicates(["dataset", "pipeline", "engine"])
    return best.sort_values(
        ["dataset", "accuracy"], ascending=[True, False]
    ).reset_index(drop=True)


def to_csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text, text cells neutralised as the leaderboard's."""
    lines = [_format(csv_cell(c) for c in frame.columns)]
    for rec in frame.to_dict("records"):
        lines.append(
            _format(
                _cell(c, _none(rec[c])) if c in SCHEMA else csv_cell(_none(rec[c]))
                for c in frame.columns
            )
        )
    return b"".join(lines).decode()


MARKDOWN_COLUMNS = (
    "dataset",
    "pipeline",
    "accuracy",
    "f1_macro",
    "fit_s",
    "predict_s",
    "peak_mem_mb",
    "n_train",
    "seed",
    "engine",
)


def to_markdown(frame: pd.DataFrame, columns=MARKDOWN_COLUMNS) -> str:
    """A GitHub-flavoured Markdown table of ``frame``'s main columns."""

    def cell(column, value):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if column in ("accuracy", "f1_macro"):
            return f"{value:.4f}"
        if column in ("fit_s", "predict_s"):
            return f"{value:.2f}"
        if column == "peak_mem_mb":
            return f"{value:.0f}"
        if column == "n_train":
            return f"{value:,}"
        return md_escape(value)

    numeric = {c for c in columns if SCHEMA[c] in (int, float)}
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" if c in numeric else "---" for c in columns) + "|",
    ]
    for rec in frame.to_dict("records"):
        lines.append("| " + " | ".join(cell(c, rec[c]) for c in columns) + " |")
    return "\n".join(lines)
