"""``robustness.csv``: how each job scored on corrupted copies of its test set
(``mnistbench run --corruptions``), one row per job and corrupted set, beside
the leaderboard.

A row is appended as the leaderboard's are, whole or not at all under a file
lock, after the predictions file it points to is written; it belongs to the
job whose ``job_key`` it carries, whose own row (the clean test set) is in
``leaderboard.csv``. A job run again (``--force``, or ``--resume`` after a
run that stopped half-way through its corrupted sets) appends new rows;
:func:`read_robustness` keeps the newest of each job and set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from mnistbench._io import write_error
from mnistbench.results._trials import _append, _read
from mnistbench.results._write import _remove, save_predictions

__all__ = [
    "ROBUSTNESS",
    "ROBUSTNESS_SCHEMA",
    "SET_COLUMNS",
    "append_robustness",
    "read_robustness",
    "record_corrupted",
]

ROBUSTNESS = "robustness.csv"

#: One row per job and corrupted test set.
ROBUSTNESS_SCHEMA: dict[str, type] = {
    "run_id": str,
    "timestamp_utc": str,
    "job_key": str,
    "dataset": str,
    "pipeline": str,
    "params": str,
    "seed": int,
    "engine": str,
    "n_train": int,
    # the set: a corruption generated at a severity from the job's seed, or
    # a published set (source: the folder it was read from; no severity)
    "corruption": str,
    "severity": int,
    "source": str,
    "images_sha256": str,
    "n_test": int,
    "accuracy": float,
    "predict_s": float,
    "predictions": str,
    "status": str,
    "error": str,
    "warnings": str,
    "host": str,
    "mnistbench_version": str,
}

#: What tells one corrupted set from another within a job.
SET_COLUMNS = ("corruption", "severity", "source")


def append_robustness(out: str | os.PathLike, row: Mapping, what: str = "") -> None:
    """Append one row to ``out/robustness.csv``, whole or not at all."""
    _append(out, ROBUSTNESS, ROBUSTNESS_SCHEMA, row, what or "a robustness row")


def _set_label(scored: Mapping) -> str:
    severity = scored.get("severity")
    return scored["corruption"] + (f"-s{severity}" if severity else "-published")


def record_corrupted(
    out: Path, job, scored: list[Mapping], base_row: Mapping
) -> list[dict]:
    """Write each of ``job``'s corrupted sets' predictions, then its row;
    return the rows appended.

    ``scored`` is the job result's ``"corrupted"`` list: per set its
    ``corruption``, ``severity`` (None for a published set), ``source``,
    ``images_sha256``, ``accuracy``, ``predict_s``, ``y_pred`` and, if it
    failed, ``status`` and ``error``. A row that cannot be written leaves
    nothing of itself (its predictions file is removed) and raises
    :class:`~mnistbench._io.WriteError`; the rows before it stay.
    """
    run_id = base_row["run_id"]
    appended = []
    for s in scored:
        what = f"the {s['corruption']} row of {job}"
        consequence = (
            f"{what} was not recorded; free space (or make it writable) and run "
            "again with --resume"
        )
        row = {
            "run_id": run_id,
            "timestamp_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "job_key": job.key,
            "dataset": job.dataset,
            "pipeline": job.pipeline,
            "params": job.params_json,
            "seed": job.seed,
            "engine": job.engine,
            "n_train": job.n_train,
            "host": base_row.get("host"),
            "mnistbench_version": base_row.get("mnistbench_version"),
            **{k: s.get(k) for k in ("corruption", "severity", "source")},
            **{k: s.get(k) for k in ("images_sha256", "accuracy", "predict_s")},
            "n_test": len(s["y_pred"]) if s.get("y_pred") is not None else None,
            "status": s.get("status", "ok"),
            "error": s.get("error", ""),
            "warnings": s.get("warnings", ""),
        }
        written = []
        if row["status"] == "ok":
            try:
                rel = save_predictions(out, job, run_id, s["y_pred"], _set_label(s))
            except OSError as exc:
                raise write_error(out, exc, consequence) from None
            written.append(out / rel)
            row["predictions"] = rel.as_posix()
        try:
            append_robustness(out, row, what)
        except BaseException:
            _remove(written)
            raise
        appended.append(row)
    return appended


def read_robustness(out: str | os.PathLike, *, newest: bool = True) -> pd.DataFrame:
    """The rows of ``out/robustness.csv`` (empty, with its columns, if none).

    With ``newest`` (the default) a job scored more than once on the same
    set (``--force``, a resumed run) keeps its newest row only.
    """
    frame = _read(out, ROBUSTNESS, ROBUSTNESS_SCHEMA)
    if newest and not frame.empty:
        keys = ["job_key", "corruption", "source"]
        sev = frame["severity"].fillna(0)
        frame = (
            frame.assign(_sev=sev)
            .drop_duplicates([*keys, "_sev"], keep="last")
            .drop(columns="_sev")
            .reset_index(drop=True)
        )
    return frame
