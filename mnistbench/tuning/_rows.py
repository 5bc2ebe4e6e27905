"""The rows a search appends to ``trials.csv`` and ``refits.csv``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

from mnistbench.jobs import Job
from mnistbench.tuning._plan import SearchSpec
from mnistbench.tuning._search import Trial

__all__ = ["curve_row", "trial_row"]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def trial_row(
    spec: SearchSpec,
    trial: Trial,
    job: Job,
    result: Mapping,
    base_row: Mapping,
    search: str,
) -> dict:
    """A trial's row: which candidate on which fold, its validation score,
    times and status, and where it ran (a Dask worker brings its own
    machine's columns)."""
    machine = {**base_row, **result.get("machine", {})}
    return {
        "search_id": spec.search_id,
        "run_id": base_row["run_id"],
        "timestamp_utc": _now(),
        "trial_key": job.key,
        "dataset": spec.dataset,
        "pipeline": spec.pipeline,
        "search": search,
        "candidate": trial.candidate,
        "params": job.params_json,
        "fold": trial.fold,
        "iteration": trial.iteration,
        "n_fit": result.get("n_fit"),
        "n_val": result.get("n_test"),
        "val_score": result.get("accuracy"),
        "fit_s": result.get("fit_s"),
        "predict_s": result.get("predict_s"),
        "cpu_s": result.get("cpu_s"),
        "peak_mem_mb": result.get("peak_mem_mb"),
        "status": result["status"],
        "error": result.get("error", ""),
        "warnings": result.get("warnings", ""),
        "host": machine.get("host"),
        "mnistbench_version": machine.get("mnistbench_version"),
    }


def curve_row(
    spec: SearchSpec, candidate: int, job: Job, result: Mapping, run_id: str
) -> dict:
    """A curve refit's row: the candidate refitted on the whole training set
    and its test accuracy."""
    return {
        "search_id": spec.search_id,
        "run_id": run_id,
        "timestamp_utc": _now(),
        "job_key": job.key,
        "dataset": spec.dataset,
        "pipeline": spec.pipeline,
        "candidate": candidate,
        "params": job.params_json,
        "n_train": job.n_train,
        "accuracy": result.get("accuracy"),
        "fit_s": result.get("fit_s"),
        "predict_s": result.get("predict_s"),
        "cpu_s": result.get("cpu_s"),
        "status": result["status"],
        "error": result.get("error", ""),
    }
