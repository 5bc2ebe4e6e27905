"""Writing the leaderboard: a job's row with its files, appended whole or not
at all under the file lock."""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import logging
import os
from collections.abc import Collection, Mapping
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from filelock import FileLock

from mnistbench._io import atomic_write, atomic_write_text, make_folder, write_error
from mnistbench.results._read import read_leaderboard
from mnistbench.results._schema import (
    COLUMNS,
    LEADERBOARD,
    OLDER_HEADERS,
    SCHEMA,
    LeaderboardError,
    _cell,
    _format,
    _header,
    _none,
    _refuse_special,
)

logger = logging.getLogger(__name__)


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
    with _locked(path, consequence):
        if known_runs is not None and row.get("status") == "ok":
            by = _recorded_by(path, row["job_key"], known_runs, row.get("run_id"))
            if by is not None:
                return by
        _append(path, line, consequence)
    return None


@contextlib.contextmanager
def _locked(path: Path, consequence: str):
    """Hold ``path``'s file lock (``PATH.lock``) for one append."""
    try:
        lock = FileLock(str(path) + ".lock", timeout=60)
        lock.acquire()
    except OSError as exc:
        raise write_error(str(path) + ".lock", exc, consequence) from None
    try:
        yield
    finally:
        lock.release()


def append_line(
    path: Path, columns: tuple[str, ...], line: bytes, consequence: str
) -> None:
    """Append the CSV ``line`` to ``path`` (whose header is ``columns``;
    created with it if need be) under its file lock, whole or not at all,
    as the leaderboard's rows."""
    with _locked(path, consequence):
        _append(path, line, consequence, columns, older=())


def _append(
    path: Path,
    line: bytes,
    consequence: str,
    columns: tuple[str, ...] = COLUMNS,
    older: tuple = OLDER_HEADERS,
) -> None:
    """Append ``line`` to ``path``, whole or not at all; the caller holds the
    lock. A file with one of the ``older`` headers is upgraded first."""
    _refuse_special(path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
    except OSError as exc:
        raise write_error(path, exc, consequence) from None
    size = None
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            line = _format(columns) + line
        else:
            header = _header(path)
            if header in older:
                _upgrade(path)
                os.close(fd)  # the old file is gone; append to the new one
                fd = -1
                fd = os.open(path, os.O_RDWR | os.O_APPEND)
                size = os.fstat(fd).st_size
            elif header != columns:
                raise LeaderboardError(
                    f"{path}: its columns are not this version's "
                    f"{path.stem} columns; move it aside or pass another --out"
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


def _recorded_by(
    path: Path, key: str, known_runs: Mapping[str, Collection[str]], run_id
) -> str | None:
    """The run, other than ``run_id`` and those in ``known_runs[key]``,
    that has an ok row of job ``key`` in ``path``; None if none has."""
    known = set(known_runs.get(key, ())) | {run_id}
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
            reader = csv.reader(f)
            header = next(reader, [])
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
    # a search's refit of its chosen configuration (mnistbench tune)
    "search_id",
    "search",
    "n_trials",
    "val_score",
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
            rel = save_predictions(out, job, run_id, result["y_pred"])
            written.append(out / rel)
            row["predictions"] = rel.as_posix()
        if result.get("traceback"):
            log = out / "logs" / f"{run_id}-{job.key}.txt"
            make_folder(log.parent)
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


def save_predictions(out: Path, job, run_id: str, y_pred, suffix: str = "") -> Path:
    """Write ``y_pred`` to ``predictions/DATASET/PIPELINE/KEY-RUN[-SUFFIX].npy``
    in ``out`` (its folder made), whole or not at all; return that path,
    relative to ``out``. Raises OSError (a WriteError naming the file)."""
    name = f"{job.key}-{run_id}{'-' + suffix if suffix else ''}.npy"
    rel = Path("predictions", job.dataset, job.pipeline, name)
    make_folder((out / rel).parent)
    atomic_write(out / rel, lambda f: np.save(f, y_pred))
    return rel


class AlreadyRecorded(Exception):
    """Another run recorded the same job while this one ran it: this run's
    row was not appended (its files were removed)."""

    def __init__(self, job, run_id: str):
        self.job, self.run_id = job, run_id
        super().__init__(f"{job} is recorded by run {run_id}; not recorded again")


def _remove(paths) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("cannot remove %s (%s)", path, exc.strerror or exc)


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
