"""The leaderboard CSV: one row per job, appended atomically under a file lock.

:func:`record_job` turns a job's result into its row, keeps its predictions
and traceback beside it, and appends the row last.

Each row is written with a single ``write`` on a file opened for appending,
then flushed to disk, while holding ``leaderboard.csv.lock``: a run killed at
any moment (even ``kill -9``) leaves whole rows only, and concurrent runs
writing the same folder keep every row.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from filelock import FileLock

from mnistbench._io import atomic_write
from mnistbench.exceptions import MnistbenchError

__all__ = [
    "COLUMNS",
    "LEADERBOARD",
    "LeaderboardError",
    "append_row",
    "best_rows",
    "ok_keys",
    "read_leaderboard",
    "record_job",
]

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


#: The columns each version added, newest first: 0.11, 0.8, 0.7, 0.5, 0.4,
#: 0.3.
_ADDED = (
    ("cpu_s",),
    ("definition", "fit_s_samples", "predict_s_samples"),
    ("data_sha256",),
    ("gpu",),
    ("worker",),
    ("ran_on", "warmup_s"),
)
#: Headers of earlier versions' leaderboards, newest first (0.8 to 0.10,
#: 0.7, 0.5 and 0.6, 0.4, 0.3, 0.2 and earlier), read as they are (the
#: columns they lack are empty) and upgraded in place by the first row
#: appended.
OLDER_HEADERS = tuple(
    _without(*(c for added in _ADDED[: i + 1] for c in added))
    for i in range(len(_ADDED))
)

logger = logging.getLogger(__name__)

# A spreadsheet runs a cell starting with one of these as a formula (OWASP's
# "CSV injection"); such text cells get a leading apostrophe, removed on reading.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class LeaderboardError(MnistbenchError, ValueError):
    """The leaderboard CSV cannot be read or written."""


def _escape(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _unescape(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def _cell(column: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    kind = SCHEMA[column]
    if kind is float:
        return repr(float(value))
    if kind is int:
        return str(int(value))
    return _escape(" ".join(str(value).split()))  # one physical line per row


def _format(row: Iterable[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    return buf.getvalue().encode()


def append_row(out_dir: str | os.PathLike, row: Mapping) -> None:
    """Append one result row to ``out_dir/leaderboard.csv`` (created if needed)."""
    unknown = set(row) - set(SCHEMA)
    if unknown:
        raise ValueError(f"unknown leaderboard columns: {sorted(unknown)}")
    path = Path(out_dir) / LEADERBOARD
    line = _format(_cell(c, row.get(c)) for c in COLUMNS)
    with FileLock(str(path) + ".lock", timeout=60):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            if os.fstat(fd).st_size == 0:
                line = _format(COLUMNS) + line
            elif (header := _header(path)) in OLDER_HEADERS:
                _upgrade(path)
                os.close(fd)  # the old file is gone; append to the new one
                fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            elif header != COLUMNS:
                raise LeaderboardError(
                    f"{path}: its columns are not this version's leaderboard "
                    "columns; move it aside or pass another --out"
                )
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


#: The measurements a job's result brings, copied to its row as they are.
_MEASURED = (
    "fit_s",
    "predict_s",
    "warmup_s",
    "cpu_s",
    "accuracy",
    "f1_macro",
    "peak_mem_mb",
    "ran_on",
    "definition",
)


def record_job(out: Path, job, result: Mapping, base_row: Mapping, n_test: int) -> dict:
    """Write ``job``'s ``result`` to ``out``: its predictions, its traceback
    (if any), then its leaderboard row, which is returned.

    ``base_row`` holds the run's columns (``run_id``, the machine, ``threads``);
    a job run elsewhere (a Dask worker) brings its own machine's columns.
    """
    row = {
        **base_row,
        **result.get("machine", {}),
        "worker": result.get("worker"),
        "timestamp_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "job_key": job.key,
        "dataset": job.dataset,
        "data_sha256": result.get("data_sha256")
        or (job.data.sha256 if job.data is not None else None),
        "pipeline": job.pipeline,
        "params": job.params_json,
        "seed": job.seed,
        "engine": job.engine,
        "n_train": job.n_train,
        "n_test": result.get("n_test", n_test),
        "status": result["status"],
        "error": result.get("error", ""),
        "warnings": result.get("warnings", ""),
        **{key: result.get(key) for key in _MEASURED},
        **{
            key: json.dumps(result[key])
            for key in ("fit_s_samples", "predict_s_samples")
            if key in result
        },
        "threads": result.get("threads", base_row["threads"]),
    }
    run_id = base_row["run_id"]
    if result["status"] == "ok":
        rel = Path("predictions", job.dataset, job.pipeline, f"{job.key}-{run_id}.npy")
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out / rel, lambda f: np.save(f, result["y_pred"]))
        row["predictions"] = rel.as_posix()
    if result.get("traceback"):
        log = out / "logs" / f"{run_id}-{job.key}.txt"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"{job}\n\n{result['traceback']}")
    # The row goes last: once it is in the CSV, everything it points to exists.
    append_row(out, row)
    return row


def _header(path: Path) -> tuple:
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        return tuple(next(csv.reader(f), []))


def _upgrade(path: Path) -> None:
    """Rewrite an earlier version's leaderboard with this version's columns
    (the new ones empty), atomically; the caller holds the lock."""
    frame = read_leaderboard(path.parent)
    text = _format(COLUMNS) + b"".join(
        _format(_cell(c, _none(rec[c])) for c in COLUMNS)
        for rec in frame.to_dict("records")
    )
    atomic_write(path, lambda f: f.write(text))
    logger.info("%s: upgraded to this version's columns", path)


def _none(value):
    return None if value is pd.NA or value is None else value


def _parse(column: str, text: str, path: Path, line: int):
    if text == "":
        return None
    kind = SCHEMA[column]
    try:
        return kind(text) if kind is not str else _unescape(text)
    except ValueError:
        raise LeaderboardError(
            f"{path}: line {line}: corrupt row ({column}={text[:40]!r} is not "
            f"{'a number' if kind is float else 'an integer'}); fix or delete that line"
        ) from None


def read_leaderboard(out_dir: str | os.PathLike) -> pd.DataFrame:
    """Read ``out_dir/leaderboard.csv``, checking every row.

    Returns an empty frame with the right columns if the file does not exist.
    Raises LeaderboardError, naming the line, for any malformed row.
    """
    path = Path(out_dir) / LEADERBOARD
    if not path.exists():
        return _empty()
    records = []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f, strict=True)
            header = next(reader, None)
            if header is None:
                return _empty()
            header = tuple(header)
            if header != COLUMNS and header not in OLDER_HEADERS:
                raise LeaderboardError(
                    f"{path}: line 1: the header is not this version's leaderboard "
                    "columns; move the file aside or pass another --out"
                )
            for fields in reader:
                line = reader.line_num
                if len(fields) != len(header):
                    raise LeaderboardError(
                        f"{path}: line {line}: corrupt row ({len(fields)} fields, "
                        f"expected {len(header)}); fix or delete that line"
                    )
                rec = dict.fromkeys(COLUMNS)
                rec.update(
                    (c, _parse(c, v, path, line)) for c, v in zip(header, fields)
                )
                if rec["status"] not in STATUSES:
                    raise LeaderboardError(
                        f"{path}: line {line}: corrupt row (status "
                        f"{rec['status']!r}); fix or delete that line"
                    )
                records.append(rec)
    except csv.Error as exc:
        raise LeaderboardError(f"{path}: line {reader.line_num}: {exc}") from None
    except UnicodeDecodeError:
        raise LeaderboardError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise LeaderboardError(f"{path}: cannot read ({exc.strerror or exc})") from None
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
    """``frame`` as CSV text, text cells escaped like the leaderboard's."""
    lines = [_format(frame.columns)]
    for rec in frame.to_dict("records"):
        lines.append(
            _format(
                _cell(c, rec[c]) if c in SCHEMA else str(rec[c]) for c in frame.columns
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
        return str(value).replace("|", "\\|")

    numeric = {c for c in columns if SCHEMA[c] in (int, float)}
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" if c in numeric else "---" for c in columns) + "|",
    ]
    for rec in frame.to_dict("records"):
        lines.append("| " + " | ".join(cell(c, rec[c]) for c in columns) + " |")
    return "\n".join(lines)
