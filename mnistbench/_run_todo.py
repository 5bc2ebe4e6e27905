"""Which jobs of a plan a run starts, in which order: the finished ones
skipped (``--resume``), run again (``--force``) or refused; those that lack
corrupted sets fitted again for them only; the rest ordered so that no core
idles at the end. The results folder is checked writable first."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mnistbench import _robustness, results
from mnistbench._io import WriteError, check_writable, make_folder
from mnistbench.jobs import Job, takes_every_core
from mnistbench.plan import RunError, RunPlan

__all__ = ["check_out_dir", "known_runs", "start_order", "todo_of"]


def known_runs(board: pd.DataFrame) -> dict[str, set[str]]:
    """Job key -> the runs with an ok row of it in ``board``."""
    ok = board[board["status"] == "ok"]
    return {k: set(g) for k, g in ok.groupby("job_key")["run_id"]}


def todo_of(
    plan: RunPlan, sizes: dict[str, int]
) -> tuple[list[Job], list[Job], dict, set[str]]:
    """The jobs to run, in the order to start them, the jobs skipped
    (``--resume``), the runs that recorded each finished job (so that one
    recorded by another run meanwhile is not recorded twice), and the keys
    of the finished jobs run again only for the corrupted sets they lack
    (``--resume`` with ``--corruptions``: their clean row stays as it is);
    refuses to duplicate finished jobs silently."""
    jobs = plan.jobs(sizes)
    out = plan.out
    check_out_dir(out, jobs)
    board = results.read_leaderboard(out)
    done = results.ok_keys(board)
    finished = [j for j in jobs if j.key in done]
    if finished and not (plan.resume or plan.force):
        raise RunError(
            f"{len(finished)} of {len(jobs)} jobs already have ok rows in "
            f"{out / results.LEADERBOARD} (e.g. {finished[0]}); pass --resume to "
            "skip them or --force to run them again"
        )
    skipped = finished if plan.resume else []
    todo = start_order([j for j in jobs if j not in skipped], board)
    rescored = _robustness.rescoring(plan, skipped)
    keys = {job.key for job in rescored}
    skipped = [job for job in skipped if job.key not in keys]
    return todo + rescored, skipped, known_runs(board), keys


def start_order(jobs: list[Job], board: pd.DataFrame) -> list[Job]:
    """``jobs`` in the order to start them, so that no core idles at the end.

    First the jobs held to their share of the cores, then those whose
    estimators take every core (``n_jobs=-1``, as ``rf``'s forest): a
    held job running last leaves the other cores idle, while one that takes
    every core fills them as the others finish. Within each, longest first
    by the median fit + predict seconds of the same (dataset, pipeline,
    engine, n_train) in ``board``'s ok rows, so that a long job does not
    start last; jobs it has never timed go first, in their own order.
    """
    ok = board[board["status"] == "ok"]
    seconds = (
        (ok["fit_s"] + ok["predict_s"])
        .groupby([ok["dataset"], ok["pipeline"], ok["engine"], ok["n_train"]])
        .median()
        .to_dict()
    )
    fills: dict[tuple[str, str], bool] = {}  # per pipeline and params
    for job in jobs:
        key = (job.pipeline, job.params_json)
        if key not in fills:
            fills[key] = takes_every_core(job)

    def order(job: Job) -> tuple[bool, float]:
        key = (job.dataset, job.pipeline, job.engine, job.n_train)
        return (
            fills[job.pipeline, job.params_json],
            -seconds.get(key, float("inf")),
        )

    return sorted(jobs, key=order)  # stable: ties keep the plan's order


def check_out_dir(out: Path, jobs: list[Job]) -> None:
    """Make the results folder (whose leaderboard :func:`mnistbench.runner.run_plan`
    checked), and refuse, before any job, one whose predictions, logs or
    figures could not be written (read-only, full, not a folder)."""
    try:
        make_folder(out)
        for job in jobs:  # the folders each job writes, where they exist
            for sub in (
                Path("predictions", job.dataset, job.pipeline),
                Path("plots", job.dataset),
                Path("logs"),
            ):
                check_writable(out / sub, create=False)
    except WriteError as exc:
        raise RunError(f"cannot write to --out {out}: {exc}") from None
