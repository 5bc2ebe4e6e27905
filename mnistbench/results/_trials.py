"""A search's own tables, beside the leaderboard: ``trials.csv`` (every
trial of ``mnistbench tune``, scored on part of the training set) and
``refits.csv`` (the configurations refitted on the whole training set for the
tuning curves only). Rows are appended as the leaderboard's are: whole or not
at all, under a file lock, read back strictly."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from mnistbench.results._schema import (
    LeaderboardError,
    _format,
    _refuse_special,
)
from mnistbench.results._write import append_line

__all__ = [
    "REFITS",
    "REFIT_SCHEMA",
    "TRIALS",
    "TRIAL_SCHEMA",
    "append_refit",
    "append_trial",
    "read_refits",
    "read_trials",
]

TRIALS = "trials.csv"
REFITS = "refits.csv"

#: One row per trial: a candidate configuration fitted on one fold's
#: training part and scored on its validation part.
TRIAL_SCHEMA: dict[str, type] = {
    "search_id": str,
    "run_id": str,
    "timestamp_utc": str,
    "trial_key": str,
    "dataset": str,
    "pipeline": str,
    "search": str,
    "candidate": int,
    "params": str,
    "fold": int,
    "iteration": int,
    "n_fit": int,
    "n_val": int,
    "val_score": float,
    "fit_s": float,
    "predict_s": float,
    "cpu_s": float,
    "peak_mem_mb": float,
    "status": str,
    "error": str,
    "warnings": str,
    "host": str,
    "mnistbench_version": str,
}

#: One row per configuration refitted for the curves (not the chosen one,
#: whose row is in the leaderboard, nor the default).
REFIT_SCHEMA: dict[str, type] = {
    "search_id": str,
    "run_id": str,
    "timestamp_utc": str,
    "job_key": str,
    "dataset": str,
    "pipeline": str,
    "candidate": int,
    "params": str,
    "n_train": int,
    "accuracy": float,
    "fit_s": float,
    "predict_s": float,
    "cpu_s": float,
    "status": str,
    "error": str,
}


def _text(kind: type, value) -> str:
    from mnistbench._text import csv_cell

    if value is None or (isinstance(value, float) and value != value):
        return ""
    if kind is float:
        return repr(float(value))
    if kind is int:
        return str(int(value))
    return csv_cell(" ".join(str(value).split()))


def _append(out, name: str, schema: Mapping[str, type], row: Mapping, what: str):
    unknown = set(row) - set(schema)
    if unknown:
        raise ValueError(f"unknown {name} columns: {sorted(unknown)}")
    line = _format(_text(k, row.get(c)) for c, k in schema.items())
    consequence = (
        f"{what} was not recorded; free space (or make it writable) and run "
        "again with --resume"
    )
    append_line(Path(out) / name, tuple(schema), line, consequence)


def append_trial(out: str | os.PathLike, row: Mapping, what: str = "") -> None:
    """Append one trial's row to ``out/trials.csv``, whole or not at all."""
    _append(out, TRIALS, TRIAL_SCHEMA, row, what or f"trial {row.get('trial_key')}")


def append_refit(out: str | os.PathLike, row: Mapping, what: str = "") -> None:
    """Append one curve refit's row to ``out/refits.csv``."""
    _append(out, REFITS, REFIT_SCHEMA, row, what or f"refit {row.get('job_key')}")


def _read(out, name: str, schema: Mapping[str, type]) -> pd.DataFrame:
    from mnistbench._text import uncsv_cell

    path = Path(out) / name
    dtypes = {
        c: {int: "Int64", float: "float64", str: "object"}[k] for c, k in schema.items()
    }
    empty = pd.DataFrame({c: pd.Series(dtype=d) for c, d in dtypes.items()})
    if not path.exists():
        return empty
    _refuse_special(path)
    records = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, strict=True)
            header = next(reader, None)
            if header is None:
                return empty
            if tuple(header) != tuple(schema):
                raise LeaderboardError(
                    f"{path}: line 1: the header is not this version's {name} "
                    "columns; move the file aside or pass another --out"
                )
            for fields in reader:
                line = reader.line_num
                if len(fields) != len(schema):
                    raise LeaderboardError(
                        f"{path}: line {line}: corrupt row ({len(fields)} fields, "
                        f"expected {len(schema)}); fix or delete that line"
                    )
                rec = {}
                for (column, kind), text in zip(schema.items(), fields):
                    try:
                        rec[column] = (
                            None
                            if text == ""
                            else uncsv_cell(text)
                            if kind is str
                            else kind(text)
                        )
                    except ValueError:
                        raise LeaderboardError(
                            f"{path}: line {line}: corrupt row ({column}="
                            f"{text[:40]!r}); fix or delete that line"
                        ) from None
                records.append(rec)
    except csv.Error as exc:
        raise LeaderboardError(f"{path}: line {reader.line_num}: {exc}") from None
    except UnicodeDecodeError:
        raise LeaderboardError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise LeaderboardError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return pd.DataFrame.from_records(records, columns=list(schema)).astype(dtypes)


def read_trials(out: str | os.PathLike) -> pd.DataFrame:
    """Every trial recorded in ``out/trials.csv`` (empty if none)."""
    return _read(out, TRIALS, TRIAL_SCHEMA)


def read_refits(out: str | os.PathLike) -> pd.DataFrame:
    """Every curve refit recorded in ``out/refits.csv`` (empty if none)."""
    return _read(out, REFITS, REFIT_SCHEMA)
