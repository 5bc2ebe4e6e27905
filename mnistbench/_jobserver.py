"""Starting job processes from a fork server that has imported what every
job needs, where the caller allows it (:func:`use_job_server`).

Light on purpose: the command line imports it before any command runs.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess

__all__ = ["Forked", "forkserver_context", "start_job_server", "use_job_server"]

# What every job imports, imported once by the fork server: a job forked from
# it starts in a fraction of a second instead of importing scikit-learn again
# (0.21 s against 3.58 s for a small job on a 2-core AMD EPYC,
# benchmarks/job_start.py).
_PRELOAD = [
    "__main__",
    "mnistbench._jobproc",
    "mnistbench.jobs",
    "mnistbench.data",
    "mnistbench.engines",
    "sklearn.metrics",
    "sklearn.model_selection",
    "threadpoolctl",
]
_use_server = False


def use_job_server(use: bool = True) -> None:
    """Start later jobs by forking a server, not as new Pythons.

    The server has imported what every job needs: a small job starts in
    0.21 s against 3.58 s. Jobs forked from the server import the caller's
    ``__main__`` module, as multiprocessing's children do: only a caller
    whose main module is safe to import again (the command line is) may
    turn it on. By default jobs
    start as new Pythons, so that a script without an ``if __name__ ==
    "__main__":`` guard can run jobs. Where processes cannot be forked so
    (Windows, a daemonic Dask worker), jobs start as new Pythons anyway.

    Parameters
    ----------
    use : bool, default True
        True: fork later jobs from the server; False: start each as a new
        Python (the default).

    See Also
    --------
    start_job_server : Start the server now, before the first job.
    run_isolated : How a job runs.

    Examples
    --------
    In a script, under ``if __name__ == "__main__":``, before
    :func:`mnistbench.runner.run` or :func:`mnistbench.tuning.tune`:

    >>> from mnistbench.jobs import use_job_server
    >>> use_job_server()  # later jobs are forked from the server
    >>> use_job_server(False)  # each later job a new Python again
    """
    global _use_server
    _use_server = use


def forkserver_context():
    """multiprocessing's fork-server context, if jobs start from it."""
    if not _use_server or "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    if multiprocessing.current_process().daemon:  # may not have children
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def start_job_server() -> None:
    """Start the fork server now, if jobs start from it, so that its imports
    overlap the caller's own work before the first job (idempotent)."""
    if forkserver_context() is not None:
        from multiprocessing import forkserver

        forkserver.ensure_running()


class Forked:
    """A job process forked from the fork server, with ``subprocess.Popen``'s
    ``wait``, ``poll``, ``kill`` and ``returncode``."""

    def __init__(self, context, paths: list[str], env: dict[str, str]):
        from mnistbench import _jobproc

        self._process = context.Process(
            target=_jobproc.forked, args=(*paths, env, os.getcwd()), daemon=False
        )
        self._process.start()

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired("mnistbench job", timeout)
        return self._process.exitcode

    def kill(self) -> None:
        if self._process.exitcode is None:
            self._process.kill()
