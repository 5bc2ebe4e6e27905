"""The Dask executor: jobs run on a Dask cluster, an existing one
(``tcp://HOST:PORT``) or a local one started for the run.

A job travels as its small description (:class:`mnistbench.jobs.Job`: the
dataset and pipeline names, params, seed, engine), never as arrays. The worker
finds the pipeline in its own registry, loads the data from its own data home
(downloading it there once, if allowed), and runs the job exactly as a local
run does: in a process of its own, under the same hard timeout
(:func:`mnistbench.jobs.run_isolated`,
see :mod:`mnistbench.executors._dask_worker`). The result (scores, timings, the
predictions as int16, and the machine and worker it ran on) comes back to the
client, which alone writes the leaderboard.

Faults. When a worker dies while it runs a job, Dask's scheduler gives the job
to another worker. The job itself counts its starts in a Dask ``Variable``: a
job whose worker died twice is recorded as ``crashed`` instead of being tried a
third time, whatever the scheduler's ``allowed-failures`` (if that is 0, the
scheduler gives up at the first death and the job is ``crashed`` then). A
scheduler that cannot be reached is an error after ``CONNECT_TIMEOUT`` seconds.
A job whose client cancelled it, or went away (Ctrl-C, killed), is killed on
its worker within ``jobs.STOP_POLL_S`` seconds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from mnistbench import __version__
from mnistbench.exceptions import MnistbenchError, one_line
from mnistbench.executors import _dask_worker as worker
from mnistbench.executors._base import Capacity
from mnistbench.jobs import Job, JobSettings

__all__ = ["ClusterError", "DaskExecutor", "check"]

logger = logging.getLogger(__name__)

INSTALL = 'pip install "mnistbench[dask]"'
#: Seconds to wait for the scheduler's first worker.
WORKER_WAIT = 10.0
#: Seconds a run waits with no worker at all before it gives up.
NO_WORKER_TIMEOUT = 120.0


# How Dask says a future is lost (the scheduler went away, say); asyncio's is a
# BaseException.
_CANCELLED = (asyncio.CancelledError, concurrent.futures.CancelledError)


class ClusterError(MnistbenchError, ValueError):
    """The Dask cluster cannot be used: not installed, unreachable, unfit."""


def check() -> None:
    """Raise ClusterError, with the install command, unless Dask can be used."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ClusterError(
            f"Dask's distributed scheduler is not installed; run: {INSTALL}"
        ) from None


@dataclass
class DaskExecutor:
    """A connection to a Dask cluster that runs jobs and yields their results.

    Use as a context manager; ``cluster=N`` starts a ``LocalCluster`` of N
    single-threaded worker processes (closed on exit), otherwise
    ``scheduler`` is the address of a running scheduler (``tcp://HOST:PORT``).

    A local cluster listens on 127.0.0.1 alone, its dashboard too (a free
    port): the dashboard shows the workers' logs and call stacks to whoever
    reaches it. ``dashboard`` is its address once started, None without one
    (Dask's dashboard needs bokeh; without it the scheduler still answers
    health and JSON queries on that port, on 127.0.0.1 all the same).
    """

    scheduler: str | None = None
    cluster: int | None = None
    connect_timeout: float = worker.CONNECT_TIMEOUT
    client: object = field(default=None, init=False, repr=False)
    workers: dict = field(default_factory=dict, init=False)
    dashboard: str | None = field(default=None, init=False)
    _local: object = field(default=None, init=False, repr=False)

    def __enter__(self) -> DaskExecutor:
        check()
        import dask
        from distributed import Client, LocalCluster

        try:
            timeouts = {"distributed.comm.timeouts.connect": f"{self.connect_timeout}s"}
            with dask.config.set(timeouts):
                if self.cluster is not None:
                    self._local = LocalCluster(
                        n_workers=self.cluster,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        # ":0" would be every interface
                        dashboard_address="127.0.0.1:0",
                        silence_logs=logging.ERROR,
                    )
                    self.client = Client(self._local, timeout=self.connect_timeout)
                    self.scheduler = self._local.scheduler_address
                    self.dashboard = _dashboard_link(self._local)
                    logger.info(
                        "local Dask cluster: scheduler %s, %s",
                        self.scheduler,
                        self._dashboard_text(),
                    )
                else:
                    self.client = Client(self.scheduler, timeout=self.connect_timeout)
        except ClusterError:
            raise
        except Exception as exc:  # OSError, or garbage from a non-Dask server
            failure = one_line(exc)
        else:
            failure = None
        if failure is not None:
            self.close()
            # The Client that failed to connect is half made, and its __del__
            # stops an event loop: let it run now, with the exception gone,
            # not when the garbage collector happens to find it later, inside
            # another Client's start-up (which deadlocks).
            gc.collect()
            where = self.scheduler or "a local cluster"
            raise ClusterError(
                f"cannot connect to the Dask scheduler at {where} "
                f"({failure}); is it running, and reachable from here?"
            )
        try:
            self._survey()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def address(self) -> str:
        return str(self.scheduler)

    def _survey(self) -> None:
        """Wait for a worker, then check every worker's mnistbench."""
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT)
        except Exception:
            raise ClusterError(
                f"the Dask scheduler at {self.address} has no workers (waited "
                f"{WORKER_WAIT:g} s); start some with: "
                f"dask worker {self.address}"
            ) from None
        try:
            self.workers = self.client.run(worker.worker_facts)
        except Exception as exc:
            raise ClusterError(
                f"the Dask workers cannot run mnistbench ({one_line(exc)}); "
                f"install mnistbench {__version__} where every worker runs"
            ) from None
        other = {a: f["mnistbench"] for a, f in self.workers.items()}
        other = {a: v for a, v in other.items() if v != __version__}
        if other:
            address, version = next(iter(other.items()))
            raise ClusterError(
                f"worker {address} has mnistbench {version}, this client "
                f"{__version__}; install the same version everywhere"
            )

    @property
    def slots(self) -> int:
        """Jobs the cluster runs at once (its workers' threads)."""
        return sum(f["nthreads"] for f in self.workers.values())

    def threads_by_host(self) -> dict[str, int]:
        """Threads each job gets on each host: its cores over the job slots
        of all the workers on that host."""
        cores: dict[str, int] = {}
        slots: dict[str, int] = {}
        for facts in self.workers.values():
            cores[facts["host"]] = facts["cores"]
            slots[facts["host"]] = slots.get(facts["host"], 0) + facts["nthreads"]
        return {h: max(1, cores[h] // slots[h]) for h in cores}

    def capacity(self, n_jobs: int) -> Capacity:
        """The cluster's job slots, whatever ``n_jobs``; the fewest threads a
        job gets on any host."""
        return Capacity(
            self.slots, min(self.threads_by_host().values()), self.describe()
        )

    def describe(self) -> str:
        hosts = {f["host"] for f in self.workers.values()}
        text = (
            f"Dask scheduler {self.address}: {len(self.workers)} worker(s) on "
            f"{len(hosts)} host(s), {self.slots} job(s) at once"
        )
        if self.cluster is not None:
            text += f"; {self._dashboard_text()}"
        return text

    def _dashboard_text(self) -> str:
        if self.dashboard is None:
            return "no dashboard (Dask's dashboard needs bokeh)"
        return f"dashboard {self.dashboard}"

    def results(
        self, jobs: Sequence[Job], settings: JobSettings
    ) -> Iterator[tuple[Job, dict]]:
        """Submit every job; yield (job, result) as each one finishes."""
        from distributed import Variable, wait
        from distributed.scheduler import KilledWorker

        client = self.client
        threads = self.threads_by_host()
        pending = {}
        starts = {}
        for job in jobs:
            name = worker.starts_name(settings.run_id, job.key)
            starts[job.key] = Variable(name, client=client)
            starts[job.key].set([])
            future = client.submit(
                worker.run_remote,
                job,
                settings=settings,
                threads_by_host=threads,
                key=f"mnistbench-{job.pipeline}-{job.key}-{settings.run_id}",
                pure=False,
            )
            pending[future] = job
        idle_since = None
        try:
            while pending:
                try:
                    done, _ = wait(
                        list(pending), timeout=5, return_when="FIRST_COMPLETED"
                    )
                except TimeoutError:  # nothing finished in 5 s
                    idle_since = self._check_workers(idle_since)
                    continue
                idle_since = None
                for future in done:
                    job = pending.pop(future)
                    yield job, self._outcome(future, starts[job.key], KilledWorker)
                    future.release()
        except (OSError, TimeoutError, *_CANCELLED) as exc:
            logger.debug("lost the scheduler", exc_info=exc)
            raise ClusterError(
                f"lost the connection to the Dask scheduler at {self.address}; "
                f"{len(pending)} job(s) did not finish: run again with --resume"
            ) from None
        finally:
            if pending:  # interrupted: the workers kill the jobs they run
                with contextlib.suppress(Exception):
                    client.cancel(list(pending))
            with contextlib.suppress(Exception):
                for var in starts.values():
                    var.delete()

    def _outcome(self, future, starts, killed_worker) -> dict:
        if future.status != "error":
            return future.result()  # raises CancelledError if the scheduler lost it
        exc = future.exception()
        if isinstance(exc, killed_worker):
            try:
                died = list(starts.get(timeout=1))
            except Exception:
                died = []
            if died:
                return worker.crashed(died)
            return {"status": "crashed", "error": "its workers died while running it"}
        # The task itself failed on the worker (not the job: run_remote
        # reports the job's own failures as results).
        logger.debug("Dask task failed", exc_info=exc)
        return {"status": "error", "error": f"on the Dask worker: {one_line(exc)}"}

    def _check_workers(self, idle_since: float | None) -> float | None:
        if self.client.scheduler_info(n_workers=-1)["workers"]:
            return None
        now = time.monotonic()
        if idle_since is None:
            logger.warning("the Dask cluster has no workers; waiting for one")
            return now
        if now - idle_since > NO_WORKER_TIMEOUT:
            raise ClusterError(
                f"the Dask scheduler at {self.address} has had no workers for "
                f"{NO_WORKER_TIMEOUT:g} s; start some, then run again with --resume"
            )
        return idle_since

    def close(self) -> None:
        for thing in (self.client, self._local):
            if thing is not None:
                with contextlib.suppress(Exception):
                    thing.close()
        self.client = self._local = None


def _dashboard_link(cluster) -> str | None:
    """The address of ``cluster``'s dashboard; None if it has none."""
    try:
        # What the scheduler (in this process) imports for its dashboard;
        # without it, the port serves no dashboard.
        import distributed.dashboard.scheduler  # noqa: F401
    except Exception:  # ImportError, or a bokeh too old or broken
        return None
    try:
        return cluster.dashboard_link or None
    except Exception:
        return None
