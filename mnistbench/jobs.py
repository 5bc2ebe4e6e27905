"""A job, and how it runs: in a Python process of its own, under a hard timeout.

A :class:`Job` is a small description (dataset and pipeline names, params,
seed, training size, engine, the pipeline's definition hash), the same
wherever it runs. :func:`run_isolated` starts the job's process (a new
``python -m mnistbench._jobproc``, or a fork of a server that has imported
scikit-learn once, where the caller allows it: :func:`use_job_server`) and
supervises it: the result comes back
through a file, or the process is killed (``timeout``), or it dies on its own
(``crashed``, e.g. by the kernel's out-of-memory killer). Both executors, the
local one and the Dask one, run every job through it.

Each job's files lie in a folder of its own (:mod:`mnistbench._jobfolders`),
removed when the job ends; the folders that killed processes left are
removed at the next start (:func:`remove_stale_job_folders`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mnistbench import pipelines
from mnistbench._jobfolders import (
    job_folder,
    remove_stale_job_folders,
)
from mnistbench._jobserver import (
    Forked,
    forkserver_context,
    start_job_server,
    use_job_server,
)
from mnistbench._split import Split
from mnistbench.data import CorruptedSet, DataRef

__all__ = [
    "DEFAULT_TIMEOUT",
    "Job",
    "JobSettings",
    "kill_live_jobs",
    "remove_stale_job_folders",
    "run_isolated",
    "runs_alone",
    "start_job_server",
    "takes_every_core",
    "use_job_server",
]

#: Seconds after which a job is killed and recorded as ``timeout``.
DEFAULT_TIMEOUT = 3600.0
#: How often a job asks whether it should stop (its Dask client went away).
STOP_POLL_S = 2.0

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One unit of work: fit ``pipeline`` on ``dataset``'s first ``n_train``
    (stratified, seeded) training images and score it on the test set.

    ``data`` finds a dataset that is not registered (a user's files or
    arrays); its content hash is part of the key.

    A trial of a search (``mnistbench tune``) has a ``split``: it fits on
    part of the training set and is scored on the rest, never on the test
    set. ``search`` is the id of the search a job belongs to (its trials and
    its refits); both are part of the key.

    ``corrupted`` lists the corrupted copies of the test set the job is also
    scored on, after the clean one (``mnistbench run --corruptions``); they
    are not part of the key: the job's leaderboard row means the clean test
    set whatever else it was scored on.
    """

    dataset: str
    pipeline: str
    params: Mapping = field(default_factory=dict)
    seed: int = 0
    n_train: int = 0
    engine: str = "sklearn"
    config: str = ""
    data: DataRef | None = None
    split: Split | None = None
    search: str = ""
    corrupted: tuple[CorruptedSet, ...] = ()

    @property
    def params_json(self) -> str:
        return json.dumps(dict(self.params), sort_keys=True, default=repr)

    @property
    def key(self) -> str:
        """Identifies the job across runs: same key, same experiment."""
        ident = [
            self.dataset,
            self.pipeline,
            self.params_json,
            self.seed,
            self.n_train,
            self.engine,
            self.config,
        ]
        if self.data is not None:  # registered datasets keep their old keys
            ident.append(self.data.sha256)
        if self.search:  # runs before tuning keep their old keys
            ident.append(["search", self.search])
        if self.split is not None:
            s = self.split
            ident.append(
                ["split", s.fold, s.n_folds, s.val_fraction, s.seed, s.fraction]
            )
        return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:16]

    def __str__(self) -> str:
        extra = f" {self.params_json}" if self.params else ""
        split = f" {self.split}" if self.split is not None else ""
        return f"{self.dataset}/{self.pipeline}{extra} seed {self.seed}{split}"


@dataclass(frozen=True)
class JobSettings:
    """What every job of a run shares, wherever it runs: the run's id, the
    hard timeout, the data home (as text: it may travel to another machine),
    whether a missing dataset may be downloaded, and how many times each job
    fits and predicts (``repeat``)."""

    run_id: str
    timeout: float | None = DEFAULT_TIMEOUT
    data_home: str | None = None
    download: bool = True
    repeat: int = 1


def _pipeline_of(job: Job):
    """The job's pipeline, unfitted; None if it cannot be built (the job
    itself will report why)."""
    try:
        return pipelines.get(job.pipeline, **job.params)
    except Exception:  # noqa: BLE001 - the job itself will report it
        return None


def takes_every_core(job: Job) -> bool:
    """Whether the job's pipeline, given one thread, would use more: an
    estimator asks for cores itself (``rf``'s forest, ``n_jobs=-1``)."""
    from mnistbench._jobproc import threads_used

    pipe = _pipeline_of(job)
    return pipe is not None and threads_used(pipe, 1) > 1


def runs_alone(job: Job) -> bool:
    """Whether the local executor runs ``job`` alone, on every core: its
    pipeline fits on every thread the job gives it (``svm``'s pairs of
    classes), so it takes about as long alone on every core as beside other
    jobs on its share, and its times are its own. Not a job that takes every
    core by itself (:func:`takes_every_core`): that one fills whatever cores
    the others leave idle. False for a job whose pipeline cannot be built."""
    from mnistbench._jobproc import spreads_over_threads, threads_used

    pipe = _pipeline_of(job)
    return (
        pipe is not None and spreads_over_threads(pipe) and threads_used(pipe, 1) == 1
    )


# --- supervision -------------------------------------------------------------

_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()


def _describe_exit(code: int | None, stderr_tail: str) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        text = f"job process killed by {name}{hint}"
    else:
        text = f"job process exited with code {code} without a result"
    return f"{text}: {stderr_tail}" if stderr_tail else text


def _tail(path: Path, limit: int = 300) -> str:
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1][:limit] if lines else ""


def run_isolated(
    job: Job,
    *,
    factory: Callable | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    threads: int = 1,
    data_home=None,
    stop: Callable[[], bool] | None = None,
    repeat: int = 1,
) -> dict:
    """Run ``job`` in a new Python process; return its result (never raises
    for the job's own failures).

    The result has ``status`` in ok / error / timeout / crashed, the timings
    and scores when ok, and ``error`` otherwise. ``factory`` defaults to the
    registered one; it must be picklable (a module-level function). ``stop``,
    asked every few seconds, kills the job when it returns true (a Dask worker
    whose client went away). The job fits and predicts ``repeat`` times, all
    under the one ``timeout``.
    """
    factory = factory or pipelines.info(job.pipeline).factory
    try:
        blob = pickle.dumps((job, factory))
    except Exception as exc:
        return {
            "status": "error",
            "error": f"cannot send pipeline {job.pipeline!r} to its job process "
            f"({type(exc).__name__}: {exc}); register a module-level function, "
            "not a lambda or closure",
        }
    with job_folder() as tmp:
        proc = _start(tmp, blob, threads, data_home, repeat)
        failure = _supervise(proc, timeout, stop)
        if failure is not None:
            return failure
        try:
            with open(tmp / "result.pkl", "rb") as f:
                return pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError):
            return {
                "status": "crashed",
                "error": _describe_exit(proc.returncode, _tail(tmp / "stderr.txt")),
            }


def _start(
    tmp: Path, blob: bytes, threads: int, data_home, repeat: int
) -> subprocess.Popen:
    """Start the job process, its payload and output files in ``tmp``."""
    # The job process must import this very mnistbench, wherever it came from.
    here = str(Path(__file__).resolve().parents[1])
    pythonpath = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": pythonpath}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    payload = {
        "sys_path": list(sys.path),
        "job": blob,
        "threads": threads,
        "data_home": None if data_home is None else str(data_home),
        "runner_pid": os.getpid(),
        "repeat": repeat,
    }
    (tmp / "payload.pkl").write_bytes(pickle.dumps(payload))
    paths = [str(tmp / name) for name in ("payload.pkl", "result.pkl", "stderr.txt")]
    server = forkserver_context()
    if server is not None:
        proc = Forked(server, paths, env)
    else:
        command = [sys.executable, "-m", "mnistbench._jobproc"]
        with open(paths[2], "wb") as err:
            proc = subprocess.Popen(
                [*command, *paths[:2]],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
            )
    with _live_lock:
        _live.add(proc)
    return proc


def _supervise(proc: subprocess.Popen, timeout: float | None, stop) -> dict | None:
    """Wait for ``proc`` to end; a result if it had to be killed, else None."""
    try:
        if _wait(proc, timeout, stop) == "stopped":
            return {"status": "error", "error": "stopped: the run was interrupted"}
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return {"status": "timeout", "error": f"killed after the {timeout:g} s timeout"}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        with _live_lock:
            _live.discard(proc)
    return None


def _wait(proc: subprocess.Popen, timeout: float | None, stop) -> str:
    """Wait for ``proc`` (TimeoutExpired after ``timeout`` s); "stopped" if
    ``stop()`` said so first."""
    if stop is None:
        proc.wait(timeout=timeout)
        return "done"
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        step = STOP_POLL_S if left is None else max(0.0, min(STOP_POLL_S, left))
        try:
            proc.wait(timeout=step)
            return "done"
        except subprocess.TimeoutExpired:
            if left is not None and left <= step:
                raise
        try:
            stopped = stop()
        except Exception:  # cannot ask (the scheduler is gone): keep going
            stopped = False
        if stopped:
            proc.kill()
            proc.wait()
            return "stopped"


def kill_live_jobs() -> None:
    """Kill every job process this process started that is still running."""
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
