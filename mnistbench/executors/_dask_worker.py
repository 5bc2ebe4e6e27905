"""The Dask executor's side on the workers: what a worker runs for a job.

A worker finds the pipeline in its own registry, loads the data from its own
data home (downloading it there once, if allowed), and runs the job exactly
as a local run does: in a process of its own, under the same hard timeout
(:func:`mnistbench.jobs.run_isolated`). The job counts its starts in a Dask
``Variable``, so that a job whose worker died twice is recorded as
``crashed`` instead of being tried a third time.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from urllib.parse import urlsplit

from mnistbench import __version__, data, pipelines
from mnistbench.envinfo import machine_fields
from mnistbench.jobs import Job, JobSettings, run_isolated

#: Seconds to read a job's start count from the scheduler.
CONNECT_TIMEOUT = 5.0
#: A job is started at most this many times (once, and once more elsewhere).
MAX_STARTS = 2


def worker_facts(dask_worker) -> dict:
    """What the client needs to know of a worker (run there by ``client.run``)."""
    import joblib

    return {
        "host": host_of(dask_worker.address),
        "cores": joblib.cpu_count(),
        "nthreads": dask_worker.state.nthreads,
        "mnistbench": __version__,
    }


def host_of(address: str) -> str:
    return urlsplit(address).hostname or address


@functools.cache
def _machine() -> dict:
    """This worker's machine, as leaderboard columns (computed once per process)."""
    return machine_fields()


def starts_name(run_id: str, key: str) -> str:
    return f"mnistbench-{run_id}-{key}-starts"


def run_remote(
    job: Job, *, settings: JobSettings, threads_by_host: dict[str, int]
) -> dict:
    """Run ``job`` on the Dask worker this is called on; return its result."""
    from distributed import Variable, get_worker

    worker = get_worker()
    starts = Variable(starts_name(settings.run_id, job.key))
    before = list(starts.get(timeout=CONNECT_TIMEOUT))
    if len(before) >= MAX_STARTS:
        return crashed(before)
    base = {"worker": worker.address, "machine": _machine()}
    starts.set([*before, base])

    threads = threads_by_host.get(host_of(worker.address))
    if threads is None:  # a worker that joined after the run started
        threads = max(1, _machine()["n_cores"] // worker.state.nthreads)
    try:
        pipe = pipelines.get(job.pipeline, **dict(job.params))
    except Exception as exc:
        return {**base, "status": "error", "error": f"on {worker.address}: {exc}"}
    if job.config and pipelines.fingerprint(pipe) != job.config:
        return {
            **base,
            "status": "error",
            "error": f"pipeline {job.pipeline!r} on {worker.address} is not defined "
            "as on the client; install the same mnistbench everywhere",
        }
    try:  # here, not in the job process: a worker downloads a dataset once
        data.load_job_data(
            job.dataset,
            job.data,
            data_home=settings.data_home,
            download=settings.download,
        )
    except Exception as exc:
        return {
            **base,
            "status": "error",
            "error": f"{worker.address} cannot load {job.dataset}: {exc}",
        }
    key = worker.get_current_task()

    def released() -> bool:
        """The client cancelled the job, or went away: its futures are gone."""
        task = worker.state.tasks.get(key)
        return task is None or task.state == "cancelled"

    result = run_isolated(
        job,
        timeout=settings.timeout,
        threads=threads,
        data_home=settings.data_home,
        stop=released,
        repeat=settings.repeat,
    )
    if before:
        note = f"Retried: {_died(before)}"
        result["warnings"] = "; ".join(filter(None, [note, result.get("warnings")]))
    return {**result, **base}


def crashed(starts: Sequence[dict]) -> dict:
    """The result of a job whose workers died: the last one ran it."""
    return {**starts[-1], "status": "crashed", "error": _died(starts)}


def _died(starts: Sequence[dict]) -> str:
    addresses = [s["worker"] for s in starts]
    if len(addresses) == 1:
        return f"its worker {addresses[0]} died while running it"
    where = ", ".join(addresses)
    return f"the workers running it died {len(addresses)} times ({where})"
