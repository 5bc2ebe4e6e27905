"""The leaderboard CSV: one row per job, appended atomically under a file lock.

:func:`record_job` turns a job's result into its row, keeps its predictions
and traceback beside it, and appends the row last.

Each row is written with a single ``write`` on a file opened for appending,
then flushed to disk, while holding ``leaderboard.csv.lock``: a run killed at
any moment (even ``kill -9``) leaves whole rows only, and concurrent runs
writing the same folder keep every row. A write that fails or comes up short
(a full disk) is cut back to the file's size before it, so no part of a row
stays; two runs that both ran the same job record it once
(:class:`AlreadyRecorded`).
"""

from __future__ import annotations

import csv
import errno
import json
import logging
import math
import os
import stat
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from filelock import FileLock

from mnistbench._io import atomic_write, atomic_write_text, write_error
from mnistbench._text import csv_cell, csv_line, md_escape, uncsv_cell
from mnistbench.exceptions import MnistbenchError

__all__ = [
    "COLUMNS",
    "LEADERBOARD",
    "AlreadyRecorded",
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

_BOM = "\ufeff"


class LeaderboardError(MnistbenchError, ValueError):
    """The leaderboard CSV cannot be read or written."""


def _cell(column: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    kind = SCHEMA[column]
    if kind is float:
        return repr(float(value))
    if kind is int:
        return str(int(value))
    return csv_cell(" ".join(str(value).split()))  # one physical line per row


def _format(row: Iterable[str]) -> bytes:
    return csv_line(row)


def append_row(
    out_dir: str | os.PathLike,
    row: Mapping,
    *,
    known_runs: Mapping[str, Collection[str]] | None = None,
    what: str = "",
) -> str | None:
    """Append one result row to ``out_dir/leaderboard.csv`` (created if needed).

    The row is written whole or not at all: under the file lock, every byte
    is written and flushed to disk, or the file is cut back to its size
    before, and :class:`~mnistbench._io.WriteError` names the path and the
    cause (``what`` names the row in that message, e.g. the job). A file
    whose last line lacks its newline (a hand edit) gets one first.

    ``known_runs`` (job key -> the runs whose ok rows of it the caller knew
    of when it started) turns on the check for colliding runs: if another
    run has recorded an ok row of the same job since, nothing is appended
    and that run's id is returned. Otherwise returns None.
    """
    unknown = set(row) - set(SCHEMA)
    if unknown:
        raise ValueError(f"unknown leaderboard columns: {sorted(unknown)}")
    path = Path(out_dir) / LEADERBOARD
    line = _format(_cell(c, row.get(c)) for c in COLUMNS)
    consequence = (
        f"the row of {what or row.get('job_key')} was not recorded; free space "
        "(or make it writable) and run again with --resume"
    )
    try:
        lock = FileLock(str(path) + ".lock", timeout=60)
        lock.acquire()
    except OSError as exc:
        raise write_error(str(path) + ".lock", exc, consequence) from None
    try:
        if known_runs is not None and row.get("status") == "ok":
            by = _recorded_by(path, row["job_key"], known_runs, row.get("run_id"))
            if by is not None:
                return by
        _append(path, line, consequence)
    finally:
        lock.release()
    return None


def _append(path: Path, line: bytes, consequence: str) -> None:
    """Append ``line`` to ``path``, whole or not at all; the caller holds the
    lock."""
    _refuse_special(path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
    except OSError as exc:
        raise write_error(path, exc, consequence) from None
    size = None
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            line = _format(COLUMNS) + line
        else:
            header = _header(path)
            if header in OLDER_HEADERS:
                _upgrade(path)
                os.close(fd)  # the old file is gone; append to the new one
                fd = -1
                fd = os.open(path, os.O_RDWR | os.O_APPEND)
                size = os.fstat(fd).st_size
            elif header != COLUMNS:
                raise LeaderboardError(
                    f"{path}: its columns are not this version's leaderboard "
                    "columns; move it aside or pass another --out"
                )
            if os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # a hand edit left the last line open
        _write_all(fd, line)
        os.fsync(fd)
    except OSError as exc:
        if fd >= 0 and size is not None:
            _cut_back(fd, path, size)
        raise write_error(path, exc, consequence) from None
    finally:
        if fd >= 0:
            os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data``; a short write that cannot go on raises
    ENOSPC, as the kernel does for the next write to a full disk."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[n:]


def _cut_back(fd: int, path: Path, size: int) -> None:
    """Truncate ``path`` to ``size`` bytes after a failed append (removing a
    file the append created), so that no part of the row stays."""
    try:
        if size == 0:
            os.unlink(path)
        else:
            os.ftruncate(fd, size)
            os.fsync(fd)
    except OSError as exc:  # the disk refused even that: say what is left
        logger.error(
            "%s: could not cut a failed append back (%s); its last line may be "
            "incomplete: delete it",
            path,
            exc.strerror or exc,
        )


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


def _recorded_by(
    path: Path, key: str, known_runs: Mapping[str, Collection[str]], run_id
) -> str | None:
    """The run, other than ``run_id`` and those in ``known_runs[key]``,
    that has an ok row of job ``key`` in ``path``; None if none has."""
    known = set(known_runs.get(key, ())) | {run_id}
    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as f:
            reader = csv.reader(f)
            header = [h.lstrip(_BOM) for h in next(reader, [])]
            if not {"job_key", "status", "run_id"} <= set(header):
                return None
            k, s, r = (header.index(c) for c in ("job_key", "status", "run_id"))
            for fields in reader:
                if (
                    len(fields) == len(header)
                    and fields[k] == key
                    and fields[s] == "ok"
                    and fields[r] not in known
                ):
                    return fields[r]
    except FileNotFoundError:
        return None
    except (OSError, csv.Error):
        return None  # the append that follows says what is wrong
    return None


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


def record_job(
    out: Path,
    job,
    result: Mapping,
    base_row: Mapping,
    n_test: int,
    *,
    known_runs: Mapping[str, Collection[str]] | None = None,
) -> dict:
    """Write ``job``'s ``result`` to ``out``: its predictions, its traceback
    (if any), then its leaderboard row, which is returned.

    ``base_row`` holds the run's columns (``run_id``, the machine, ``threads``);
    a job run elsewhere (a Dask worker) brings its own machine's columns.

    Raises
    ------
    WriteError
        A file could not be written: nothing of the job stays (no row, no
        predictions); the message names the path, the cause and the job.
    AlreadyRecorded
        ``known_runs`` was given (see :func:`append_row`) and another run
        recorded the same job meanwhile: nothing of this one stays.
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
    consequence = (
        f"the row of {job} was not recorded; free space (or make it writable) "
        "and run again with --resume"
    )
    written = []
    try:
        if result["status"] == "ok":
            rel = Path(
                "predictions", job.dataset, job.pipeline, f"{job.key}-{run_id}.npy"
            )
            _mkdir((out / rel).parent, consequence)
            atomic_write(out / rel, lambda f: np.save(f, result["y_pred"]))
            written.append(out / rel)
            row["predictions"] = rel.as_posix()
        if result.get("traceback"):
            log = out / "logs" / f"{run_id}-{job.key}.txt"
            _mkdir(log.parent, consequence)
            atomic_write_text(log, f"{job}\n\n{result['traceback']}")
            written.append(log)
    except OSError as exc:  # atomic_write's WriteError names the file
        _remove(written)
        raise write_error(out, exc, consequence) from None
    # The row goes last: once it is in the CSV, everything it points to
    # exists.
    try:
        by = append_row(out, row, known_runs=known_runs, what=str(job))
    except BaseException:  # its error says what was not recorded
        _remove(written)  # nothing that no row points to stays behind
        raise
    if by is not None:
        _remove(written)
        raise AlreadyRecorded(job, by)
    return row


class AlreadyRecorded(Exception):
    """Another run recorded the same job while this one ran it: this run's
    row was not appended (its files were removed)."""

    def __init__(self, job, run_id: str):
        self.job, self.run_id = job, run_id
        super().__init__(f"{job} is recorded by run {run_id}; not recorded again")


def _mkdir(folder: Path, consequence: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(folder, exc) from None


def _remove(paths) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("cannot remove %s (%s)", path, exc.strerror or exc)


def _header(path: Path) -> tuple:
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
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
        return kind(text) if kind is not str else uncsv_cell(text)
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
    _refuse_special(path)
    records = []
    try:
        # utf-8-sig: a byte-order mark (a spreadsheet's "CSV UTF-8") is skipped
        with open(path, newline="", encoding="utf-8-sig") as f:
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
