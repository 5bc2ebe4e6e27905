"""A search's own tables, beside the leaderboard: ``trials.csv`` (every
trial of ``mnistbench tune``, scored on part of the training set) and
``refits.csv`` (the configurations refitted on the whole training set for the
tuning curves only). Rows are appended as the leaderboard's are: whole or not
at all, under a file lock, read back strictly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from mnistbench.results._schema import _cell, _format, _parse, read_rows
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


def _append(out, name: str, schema: Mapping[str, type], row: Mapping, what: str):
    unknown = set(row) - set(schema)
    if unknown:
        raise ValueError(f"unknown {name} columns: {sorted(unknown)}")
    line = _format(_cell(c, row.get(c), schema) for c in schema)
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
    path = Path(out) / name
    kinds = {int: "Int64", float: "float64", str: "object"}
    dtypes = {c: kinds[k] for c, k in schema.items()}
    records = []
    if path.exists():
        for line, _, fields in read_rows(path, {tuple(schema)}, name):
            records.append(
                {c: _parse(c, v, path, line, schema) for c, v in zip(schema, fields)}
            )
    return pd.DataFrame.from_records(records, columns=list(schema)).astype(dtypes)


def read_trials(out: str | os.PathLike) -> pd.DataFrame:
    """Every trial recorded in ``out/trials.csv`` (empty if none)."""
    return _read(out, TRIALS, TRIAL_SCHEMA)


def read_refits(out: str | os.PathLike) -> pd.DataFrame:
    """Every curve refit recorded in ``out/refits.csv`` (empty if none)."""
    return _read(out, REFITS, REFIT_SCHEMA)
