"""The leaderboard's columns, their types, and a row's cells as text."""

from __future__ import annotations

import csv
import logging
import math
import os
import stat
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

import pandas as pd

from mnistbench._text import csv_cell, csv_line, uncsv_cell
from mnistbench.exceptions import MnistbenchError

logger = logging.getLogger(__name__)

LEADERBOARD = "leaderboard.csv"
STATUSES = ("ok", "error", "timeout", "crashed")

#: Column name -> type; the order is the CSV's.
SCHEMA: dict[str, type] = {
    "run_id": str,
    "timestamp_utc": str,
    "job_key": str,
    "dataset": str,
    "data_sha256": str,
    "pipeline": str,
    "definition": str,
    "params": str,
    "search_id": str,
    "search": str,
    "n_trials": int,
    "val_score": float,
    "seed": int,
    "engine": str,
    "ran_on": str,
    "n_train": int,
    "n_test": int,
    "threads": int,
    "fit_s": float,
    "predict_s": float,
    "fit_s_samples": str,
    "predict_s_samples": str,
    "warmup_s": float,
    "cpu_s": float,
    "accuracy": float,
    "f1_macro": float,
    "peak_mem_mb": float,
    "status": str,
    "error": str,
    "warnings": str,
    "predictions": str,
    "mnistbench_version": str,
    "sklearn_version": str,
    "numpy_version": str,
    "python_version": str,
    "cpu": str,
    "n_cores": int,
    "blas": str,
    "host": str,
    "worker": str,
    "gpu": str,
}
COLUMNS = tuple(SCHEMA)


def _without(*new: str) -> tuple[str, ...]:
    return tuple(c for c in COLUMNS if c not in new)


#: The columns each version added, newest first: 0.14, 0.11, 0.8, 0.7, 0.5,
#: 0.4, 0.3.
_ADDED = (
    ("search_id", "search", "n_trials", "val_score"),
    ("cpu_s",),
    ("definition", "fit_s_samples", "predict_s_samples"),
    ("data_sha256",),
    ("gpu",),
    ("worker",),
    ("ran_on", "warmup_s"),
)
#: Headers of earlier versions' leaderboards, newest first (0.11 to 0.13,
#: 0.8 to 0.10, 0.7, 0.5 and 0.6, 0.4, 0.3, 0.2 and earlier), read as they are (the
#: columns they lack are empty) and upgraded in place by the first row
#: appended.
OLDER_HEADERS = tuple(
    _without(*(c for added in _ADDED[: i + 1] for c in added))
    for i in range(len(_ADDED))
)

logger = logging.getLogger(__name__)

_BOM = "\ufeff"


class LeaderboardError(MnistbenchError, ValueError):
    """The leaderboard CSV cannot be read or written."""


def _cell(column: str, value, schema: Mapping[str, type] = SCHEMA) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    kind = schema[column]
    if kind is float:
        return repr(float(value))
    if kind is int:
        return str(int(value))
    return csv_cell(" ".join(str(value).split()))  # one physical line per row


def _format(row: Iterable[str]) -> bytes:
    return csv_line(row)


def _refuse_special(path: Path) -> None:
    """A leaderboard that is not a regular file (a FIFO, a device) is refused
    before it is opened: opening a FIFO would wait for a reader forever."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise LeaderboardError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        raise LeaderboardError(f"{path}: not a regular file")


def _header(path: Path) -> tuple:
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        return tuple(next(csv.reader(f), []))


def _none(value):
    return None if value is pd.NA or value is None else value


def _parse(
    column: str, text: str, path: Path, line: int, schema: Mapping[str, type] = SCHEMA
):
    if text == "":
        return None
    kind = schema[column]
    try:
        return kind(text) if kind is not str else uncsv_cell(text)
    except ValueError:
        raise LeaderboardError(
            f"{path}: line {line}: corrupt row ({column}={text[:40]!r} is not "
            f"{'a number' if kind is float else 'an integer'}); fix or delete that line"
        ) from None


def row_line(row: Mapping, schema: Mapping[str, type] = SCHEMA) -> bytes:
    """The bytes ``row`` (column -> value) takes in the leaderboard (or in
    another table of ``schema``: ``ROBUSTNESS_SCHEMA``...)."""
    return _format(_cell(c, row.get(c), schema) for c in schema)


def read_rows(path: Path, headers: Collection[tuple], what: str):
    """Yield (line number, header, fields) for each row of the CSV file at
    ``path``, whose header must be one of ``headers``. Raises
    LeaderboardError, naming the line, for another header, a row with
    another number of fields, broken CSV, text that is not UTF-8 or a file
    that cannot be read; ``what`` names the file's kind in the message."""
    _refuse_special(path)
    try:
        # utf-8-sig: a byte-order mark (a spreadsheet's "CSV UTF-8") is skipped
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, strict=True)
            header = next(reader, None)
            if header is None:
                return
            header = tuple(header)
            if header not in headers:
                raise LeaderboardError(
                    f"{path}: line 1: the header is not this version's {what} "
                    "columns; move the file aside or pass another --out"
                )
            for fields in reader:
                if len(fields) != len(header):
                    raise LeaderboardError(
                        f"{path}: line {reader.line_num}: corrupt row "
                        f"({len(fields)} fields, expected {len(header)}); fix or "
                        "delete that line"
                    )
                yield reader.line_num, header, fields
    except csv.Error as exc:
        raise LeaderboardError(f"{path}: line {reader.line_num}: {exc}") from None
    except UnicodeDecodeError:
        raise LeaderboardError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise LeaderboardError(f"{path}: cannot read ({exc.strerror or exc})") from None
