"""The local executor: every job in a Python process of its own, here.

A job whose pipeline fits on every thread it is given (``svm``'s pairs of
classes; :func:`mnistbench.jobs.runs_alone`) runs alone on every core, one
after the other, first: it takes about as long as on its share beside other
jobs, and its fit and predict times are its own. The other jobs then run side
by side through a threading joblib pool whose threads each supervise one job
process (:func:`mnistbench.jobs.run_isolated`); each gets ``cores // at_once``
BLAS, OpenMP and joblib threads. An estimator given ``n_jobs`` explicitly
keeps it (the ``rf`` pipeline's forest, ``n_jobs=-1``, uses every core: it
starts last and fills the cores the others leave idle as they finish).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Sequence

import joblib

from mnistbench.executors._base import Capacity
from mnistbench.jobs import (
    Job,
    JobSettings,
    kill_live_jobs,
    run_isolated,
    runs_alone,
    start_job_server,
)

__all__ = ["LocalExecutor"]

logger = logging.getLogger(__name__)

_CANCELLED = r"\d+ tasks which were still being processed by the workers"


class LocalExecutor:
    """Runs the jobs that fit on every thread alone, then ``n_jobs``
    others at once on this machine (default: one per core), never more than
    there are jobs, so a single job gets every core."""

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
        """Run the jobs that fit on every thread they get (:func:`runs_alone`)
        one at a time on every core, in their order, then the others side by
        side, each on its share of the cores."""
        alone = [self.cores > 1 and runs_alone(job) for job in jobs]
        first = [job for job, a in zip(jobs, alone) if a]
        rest = [job for job, a in zip(jobs, alone) if not a]
        capacity = self.capacity(len(rest))
        if first:
            logger.info(
                "%d of %d jobs run alone, one after the other, on all %d cores: %s",
                len(first),
                len(jobs),
                self.cores,
                ", ".join(sorted({job.pipeline for job in first})),
            )

        def one(job: Job, threads: int):
            return job, run_isolated(
                job,
                timeout=settings.timeout,
                threads=threads,
                data_home=settings.data_home,
                repeat=settings.repeat,
            )

        try:
            for job in first:
                yield one(job, self.cores)
        except BaseException:  # interrupted: no job process outlives the run
            kill_live_jobs()
            raise
        if not rest:
            return
        parallel = joblib.Parallel(
            n_jobs=capacity.at_once,
            backend="threading",
            return_as="generator_unordered",
        )
        stream = parallel(joblib.delayed(one)(job, capacity.threads) for job in rest)
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
