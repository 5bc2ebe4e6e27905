"""Expand (dataset x pipeline x seed) into jobs and run each one isolated.

Every job runs in a Python process of its own (``mnistbench._jobproc``), under
a hard timeout. A thread of the runner supervises it: the job's result comes
back through a file, or the process is killed (``timeout``), or it dies on its
own (``crashed``, e.g. by the kernel's out-of-memory killer). Jobs run side by
side through joblib; each job gets ``cores // n_jobs`` BLAS, OpenMP and joblib
threads. An estimator given ``n_jobs`` explicitly keeps it (the ``rf``
pipeline's forest, ``n_jobs=-1``, uses every core: its threads do not
spin-wait as BLAS threads do, so they take whatever the other job leaves idle).
Each row records the most threads its job could use.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from mnistbench import __version__, data, engines, pipelines, results
from mnistbench._io import atomic_write
from mnistbench.exceptions import MnistbenchError

__all__ = [
    "Job",
    "RunError",
    "RunSummary",
    "config_fingerprint",
    "expand_jobs",
    "run",
    "run_isolated",
]

logger = logging.getLogger(__name__)

MIN_TRAIN_SIZE = 10
DEFAULT_TIMEOUT = 3600.0
STOP_POLL_S = 2.0


class RunError(MnistbenchError, ValueError):
    """A run cannot start: bad arguments, unwritable output, finished jobs."""


@dataclass(frozen=True)
class Job:
    """One unit of work: fit ``pipeline`` on ``dataset``'s first ``n_train``
    (stratified, seeded) training images and score it on the test set."""

    dataset: str
    pipeline: str
    params: Mapping = field(default_factory=dict)
    seed: int = 0
    n_train: int = 0
    engine: str = "sklearn"
    config: str = ""

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
        return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:16]

    def __str__(self) -> str:
        extra = f" {self.params_json}" if self.params else ""
        return f"{self.dataset}/{self.pipeline}{extra} seed {self.seed}"


def config_fingerprint(pipe) -> str:
    """A short hash of what defines an unfitted pipeline: every step's class
    and every parameter. Part of a job's key, so that changing a pipeline's
    definition (a new default, say) makes a new experiment, not a duplicate."""

    def plain(value) -> str:
        if isinstance(value, type) or (
            callable(value) and not hasattr(value, "get_params")
        ):
            kind = value  # a class or a function: its import path
        elif hasattr(value, "get_params"):
            kind = type(value)  # an estimator: its class (its params are listed)
        else:
            text = repr(value)
            return type(value).__qualname__ if " at 0x" in text else text
        name = getattr(kind, "__qualname__", type(kind).__qualname__)
        return f"{getattr(kind, '__module__', '')}.{name}"

    items = sorted((k, plain(v)) for k, v in pipe.get_params(deep=True).items())
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:12]


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
) -> dict:
    """Run ``job`` in a new Python process; return its result (never raises
    for the job's own failures).

    The result has ``status`` in ok / error / timeout / crashed, the timings
    and scores when ok, and ``error`` otherwise. ``factory`` defaults to the
    registered one; it must be picklable (a module-level function). ``stop``,
    asked every few seconds, kills the job when it returns true (a Dask worker
    whose client went away).
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
    # The job process must import this very mnistbench, wherever it came from.
    here = str(Path(__file__).resolve().parents[1])
    pythonpath = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": pythonpath}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    with tempfile.TemporaryDirectory(prefix="mnistbench-job-") as tmp:
        tmp = Path(tmp)
        payload = {
            "sys_path": list(sys.path),
            "job": blob,
            "threads": threads,
            "data_home": None if data_home is None else str(data_home),
            "runner_pid": os.getpid(),
        }
        (tmp / "payload.pkl").write_bytes(pickle.dumps(payload))
        result_path = tmp / "result.pkl"
        with open(tmp / "stderr.txt", "wb") as err:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "mnistbench._jobproc",
                    str(tmp / "payload.pkl"),
                    str(result_path),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
            )
        with _live_lock:
            _live.add(proc)
        try:
            if _wait(proc, timeout, stop) == "stopped":
                return {"status": "error", "error": "stopped: the run was interrupted"}
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return {
                "status": "timeout",
                "error": f"killed after the {timeout:g} s timeout",
            }
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            with _live_lock:
                _live.discard(proc)
        try:
            with open(result_path, "rb") as f:
                return pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError):
            return {
                "status": "crashed",
                "error": _describe_exit(proc.returncode, _tail(tmp / "stderr.txt")),
            }


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


def _kill_live_jobs() -> None:
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        if proc.poll() is None:
            proc.kill()


@dataclass
class RunSummary:
    """What ``run`` did: this run's rows, the jobs it skipped, how many jobs
    it ran at once, and where (``"here"`` or the Dask cluster)."""

    run_id: str
    out_dir: Path
    rows: pd.DataFrame
    skipped: list[Job]
    plots: list[Path]
    n_jobs: int = 1
    where: str = "here"

    @property
    def ok(self) -> bool:
        return bool((self.rows["status"] == "ok").all()) if len(self.rows) else True


def expand_jobs(
    datasets: Sequence[str],
    pipeline_names: Sequence[str],
    seeds: Sequence[int] = (0,),
    params: Mapping | None = None,
    n_train: Mapping[str, int] | None = None,
    engine: str = "sklearn",
    configs: Mapping[str, str] | None = None,
) -> list[Job]:
    """Every (dataset, pipeline, seed) combination, in that nesting order.

    ``configs`` maps pipeline names to their ``config_fingerprint``.
    """
    params = dict(params or {})
    n_train = dict(n_train or {})
    configs = dict(configs or {})
    return [
        Job(d, p, params, int(s), n_train.get(d, 0), engine, configs.get(p, ""))
        for d in datasets
        for p in pipeline_names
        for s in seeds
    ]


def _check_out_dir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RunError(
            f"cannot write to --out {out}: {exc.strerror or exc}; "
            "pass a writable folder"
        ) from None


def _blas_summary(env: dict) -> str:
    return ", ".join(
        f"{b['api']} {b['version'] or ''}".strip()
        for b in env["blas"]
        if b["user_api"] == "blas"
    )


def run(
    pipeline_names: Sequence[str],
    *,
    datasets: Sequence[str] = ("mnist",),
    seeds: Sequence[int] = (0,),
    params: Mapping | None = None,
    n_jobs: int | None = None,
    train_size: int | None = None,
    engine: str = "sklearn",
    timeout: float | None = DEFAULT_TIMEOUT,
    scheduler: str | None = None,
    cluster: str | int | None = None,
    out: str | os.PathLike = "results",
    resume: bool = False,
    force: bool = False,
    data_home=None,
    download: bool = True,
    download_progress=None,
    plots: bool = True,
    on_start: Callable[[list[Job]], None] | None = None,
    on_result: Callable[[Job, dict], None] | None = None,
) -> RunSummary:
    """Fit and score pipelines; append one leaderboard row per job.

    Parameters
    ----------
    pipeline_names : sequence of str
        Registered pipeline names (see :func:`mnistbench.pipelines.available`).
    datasets, seeds
        Every pipeline runs on every dataset with every seed.
    params : mapping, optional
        ``step__param`` values set on every pipeline.
    n_jobs : int, optional
        Jobs run at once; each gets ``cores // n_jobs`` threads (estimators
        with an explicit ``n_jobs`` keep theirs). The default
        (None, or -1) is one job per core, but never more jobs at once than
        there are jobs, so a single job gets every core.
    train_size : int, optional
        Fit on a stratified, seeded subsample of this many training images.
    engine : {"sklearn", "sklearnex", "cuml"}
        The library that runs the pipelines (see :mod:`mnistbench.engines`);
        each row's ``ran_on`` says where every step actually ran.
    timeout : float, optional
        Seconds after which a job is killed and recorded as ``timeout``.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``): the jobs
        run on its workers (see :mod:`mnistbench._dask`); each row names the
        worker and the machine that ran it.
    cluster : str or int, optional
        ``"local"`` or ``"local:N"`` (or N): start a Dask ``LocalCluster`` of N
        worker processes on 127.0.0.1 for this run.
    out : path
        Folder of ``leaderboard.csv``, ``predictions/`` and ``plots/``.
    resume, force : bool
        Jobs that already have an ok row with the same key are skipped with
        ``resume``, run again (new rows) with ``force``; with neither, the run
        refuses to start rather than duplicate them silently.

    Returns
    -------
    RunSummary
    """
    import joblib

    pipeline_names = list(dict.fromkeys(pipeline_names))
    if not pipeline_names:
        raise RunError("no pipeline to run: give pipeline names or --all")
    for name in pipeline_names:
        pipelines.info(name)
    cores = joblib.cpu_count()
    on_dask = scheduler is not None or cluster is not None
    if scheduler is not None and cluster is not None:
        raise RunError("--scheduler and --cluster contradict each other; pick one")
    if on_dask and n_jobs is not None:
        raise RunError(
            "--n-jobs is for local runs; on a Dask cluster each worker runs as many "
            "jobs at once as it has threads (dask worker --nthreads)"
        )
    if n_jobs is None or n_jobs == -1:
        n_jobs = cores
    if not isinstance(n_jobs, int) or n_jobs < 1:
        raise RunError(
            f"--n-jobs must be a positive number of jobs or -1, got {n_jobs}"
        )
    if timeout is not None and not timeout > 0:
        raise RunError(f"--timeout must be a positive number of seconds, got {timeout}")
    if resume and force:
        raise RunError("--resume and --force contradict each other; pick one")
    if train_size is not None and train_size < MIN_TRAIN_SIZE:
        raise RunError(
            f"--train-size must be at least {MIN_TRAIN_SIZE}, got {train_size}"
        )
    try:
        engines.check(engine)
    except ValueError as exc:
        raise RunError(f"--engine: {exc}") from None
    # Built once here: a bad --param fails now, not in every job.
    configs = {
        name: config_fingerprint(pipelines.get(name, **(params or {})))
        for name in pipeline_names
    }
    # Connect first: an unreachable scheduler fails in seconds, before any work.
    with _dask_pool(scheduler, cluster, cores) if on_dask else nullcontext() as pool:
        loaded = {}
        for name in dict.fromkeys(datasets):
            ds = data.load(
                name, data_home=data_home, download=download, progress=download_progress
            )
            n = len(ds.y_train)
            if train_size is not None and train_size > n:
                raise RunError(
                    f"--train-size {train_size} is more than {name}'s {n:,} "
                    "training images"
                )
            loaded[name] = ds
        n_train = {
            d: min(train_size or len(ds.y_train), len(ds.y_train))
            for d, ds in loaded.items()
        }
        jobs = expand_jobs(
            list(loaded),
            pipeline_names,
            list(dict.fromkeys(seeds)),
            params,
            n_train,
            engine=engine,
            configs=configs,
        )
        out = Path(out)
        _check_out_dir(out)
        board = results.read_leaderboard(out)

        done = results.ok_keys(board)
        finished = [j for j in jobs if j.key in done]
        if finished and not (resume or force):
            raise RunError(
                f"{len(finished)} of {len(jobs)} jobs already have ok rows in "
                f"{out / results.LEADERBOARD} (e.g. {finished[0]}); pass --resume to "
                "skip them or --force to run them again"
            )
        skipped = finished if resume else []
        todo = [j for j in jobs if j not in skipped]

        run_id = (
            datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-")
            + uuid.uuid4().hex[:6]
        )
        if pool is None:
            n_jobs = max(1, min(n_jobs, len(todo)))
            threads = max(1, cores // n_jobs)
            where = "here"
        else:
            n_jobs = pool.slots
            threads = min(pool.threads_by_host().values())
            where = pool.describe()
        base_row = {"run_id": run_id, **machine_fields(), "threads": threads}
        logger.info(
            "run %s: %d jobs (%d skipped), %d at once, %d threads each "
            "(estimators with an explicit n_jobs keep theirs), on %s",
            run_id,
            len(todo),
            len(skipped),
            n_jobs,
            threads,
            where,
        )
        if on_start is not None:
            on_start(todo)

        if pool is None:

            def one(job: Job):
                return job, run_isolated(
                    job, timeout=timeout, threads=threads, data_home=data_home
                )

            parallel = joblib.Parallel(
                n_jobs=n_jobs, backend="threading", return_as="generator_unordered"
            )
            stream = parallel(joblib.delayed(one)(job) for job in todo)
        else:
            stream = pool.results(
                todo,
                run_id=run_id,
                timeout=timeout,
                data_home=data_home,
                download=download,
            )
        rows = []
        try:
            with contextlib.closing(stream):
                for job, result in stream:
                    n_test = len(loaded[job.dataset].y_test)
                    row = _record(out, job, result, base_row, n_test)
                    rows.append(row)
                    if on_result is not None:
                        on_result(job, row)
        except BaseException:
            _kill_live_jobs()
            raise

        frame = pd.DataFrame(rows, columns=list(results.COLUMNS))
        made = []
        if plots and rows:
            from mnistbench.plots import save_dataset_plots

            board = results.read_leaderboard(out)
            for name in dict.fromkeys(j.dataset for j in todo):
                made += save_dataset_plots(out, board, loaded[name])
        return RunSummary(run_id, out, frame, skipped, made, n_jobs, where)


def _dask_pool(scheduler, cluster, cores):
    from mnistbench import _dask

    size = None if cluster is None else _dask.cluster_size(cluster, cores)
    return _dask.DaskPool(scheduler, size)


def machine_fields() -> dict:
    """The leaderboard columns that describe this machine and its software."""
    from mnistbench.envinfo import environment

    env = environment()
    return {
        "mnistbench_version": __version__,
        "sklearn_version": env["versions"]["scikit-learn"],
        "numpy_version": env["versions"]["numpy"],
        "python_version": env["python_version"],
        "cpu": env["cpu"],
        "n_cores": env["n_cores"],
        "blas": _blas_summary(env),
        "host": os.uname().nodename if hasattr(os, "uname") else "",
        "gpu": env["gpu"],
    }


def _record(out: Path, job: Job, result: dict, base_row: dict, n_test: int) -> dict:
    # A job run elsewhere (a Dask worker) brings its own machine's columns.
    row = {
        **base_row,
        **result.get("machine", {}),
        "worker": result.get("worker"),
        "timestamp_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "job_key": job.key,
        "dataset": job.dataset,
        "pipeline": job.pipeline,
        "params": job.params_json,
        "seed": job.seed,
        "engine": job.engine,
        "n_train": job.n_train,
        "n_test": result.get("n_test", n_test),
        "status": result["status"],
        "error": result.get("error", ""),
        "warnings": result.get("warnings", ""),
    }
    keys = ("fit_s", "predict_s", "warmup_s", "accuracy", "f1_macro", "peak_mem_mb")
    for key in (*keys, "ran_on"):
        row[key] = result.get(key)
    row["threads"] = result.get("threads", base_row["threads"])
    if result["status"] == "ok":
        rel = (
            Path("predictions")
            / job.dataset
            / job.pipeline
            / (f"{job.key}-{base_row['run_id']}.npy")
        )
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out / rel, lambda f: np.save(f, result["y_pred"]))
        row["predictions"] = rel.as_posix()
    if result.get("traceback"):
        log = out / "logs" / f"{base_row['run_id']}-{job.key}.txt"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"{job}\n\n{result['traceback']}")
    # The row goes last: once it is in the CSV, everything it points to exists.
    results.append_row(out, row)
    return row
