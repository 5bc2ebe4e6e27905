"""The local executor: every job in a Python process of its own, here.

Jobs run side by side through a threading joblib pool whose threads each
supervise one job process (:func:`mnistbench.jobs.run_isolated`); each job
gets ``cores // at_once`` BLAS, OpenMP and joblib threads. An estimator given
``n_jobs`` explicitly keeps it (the ``rf`` pipeline's forest, ``n_jobs=-1``,
uses every core: its threads do not spin-wait as BLAS threads do, so they
take whatever the other job leaves idle).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence

import joblib

from mnistbench.executors._base import Capacity
from mnistbench.jobs import (
    Job,
    JobSettings,
    kill_live_jobs,
    run_isolated,
    start_job_server,
)

__all__ = ["LocalExecutor"]

_CANCELLED = r"\d+ tasks which were still being processed by the workers"


class LocalExecutor:
    """Runs ``n_jobs`` jobs at once on this machine (default: one per core),
    never more than there are jobs, so a single job gets every core."""

    def __init__(self, n_jobs: int | None = None):
        self.cores = joblib.cpu_count()
        self.n_jobs = self.cores if n_jobs is None else n_jobs

    def __enter__(self) -> LocalExecutor:
        start_job_server()  # its imports overlap the runner's own loading
        return self

    def __exit__(self, *exc) -> None:
        pass

    def capacity(self, n_jobs: int) -> Capacity:
        at_once = max(1, min(self.n_jobs, n_jobs))
        return Capacity(at_once, max(1, self.cores // at_once), "here")

    def results(
        self, jobs: Sequence[Job], settings: JobSettings
    ) -> Iterator[tuple[Job, dict]]:
        capacity = self.capacity(len(jobs))

        def one(job: Job):
            return job, run_isolated(
                job,
                timeout=settings.timeout,
                threads=capacity.threads,
                data_home=settings.data_home,
                repeat=settings.repeat,
            )

        parallel = joblib.Parallel(
            n_jobs=capacity.at_once,
            backend="threading",
            return_as="generator_unordered",
        )
        stream = parallel(joblib.delayed(one)(job) for job in jobs)
        try:
            # Not `yield from`: closing this generator would close the stream
            # before the jobs are killed.
            for pair in stream:  # noqa: UP028
                yield pair
        except BaseException:  # interrupted: no job process outlives the run
            kill_live_jobs()
            raise
        finally:
            with warnings.catch_warnings():
                # joblib says it cancelled the jobs still running: we know.
                warnings.filterwarnings("ignore", _CANCELLED, UserWarning)
                stream.close()
