"""The process one job runs in: ``python -m mnistbench._jobproc PAYLOAD RESULT``.

By default a fresh interpreter rather than a multiprocessing child, so the job
never re-imports the caller's ``__main__`` (no ``if __name__ == "__main__"``
guard is needed in user scripts); where the caller allows it, a child of the
fork server (:func:`forked`), which skips importing scikit-learn again. The
payload is a pickle of plain data: ``sys.path`` first, then the job and its
pipeline factory pickled by reference.
"""

from __future__ import annotations

import os
import pickle
import statistics
import sys
import threading
import time
import traceback
import warnings

from mnistbench._robustness import score_corrupted
from mnistbench.exceptions import NondeterminismWarning


def _exit_with_runner(runner_pid: int) -> None:
    """Exit if the runner dies (even by kill -9), so no job outlives it."""

    def watch():
        while True:
            time.sleep(1.0)
            try:
                os.kill(runner_pid, 0)
            except ProcessLookupError:
                os._exit(70)
            except PermissionError:
                pass

    threading.Thread(target=watch, daemon=True, name="mnistbench-watchdog").start()


def _summarise_warnings(caught) -> str:
    seen: dict[str, str] = {}
    for w in caught:
        text = str(w.message).strip()
        seen.setdefault(w.category.__name__, text.splitlines()[0][:160] if text else "")
    return "; ".join(f"{k}: {v}" for k, v in seen.items())


def _fill_unset(pipe, param: str, value, explicit) -> None:
    """Set every ``param`` (at any depth) that the pipeline and the user left
    None: the seed of each ``random_state``, the dataset's ``image_shape`` for
    the steps that need it (``Deskew``, ``HOG``)."""
    updates = {
        name: value
        for name, current in pipe.get_params(deep=True).items()
        if name.endswith(param) and current is None and name not in explicit
    }
    pipe.set_params(**updates)


def run_job(job, factory, threads: int, data_home, repeat: int = 1) -> dict:
    """Fit and score ``job`` in this process, ``repeat`` times, each on a new
    pipeline; return its result dict.

    ``fit_s`` and ``predict_s`` are the medians of the repeats' times, whose
    samples are kept, and ``cpu_s`` the median of their fit + predict CPU
    seconds (every thread of this process, user and system); accuracy and
    predictions are the first repeat's. A later repeat that predicts
    otherwise raises a :class:`NondeterminismWarning`. A search's trial
    (``job.split``) fits on part of the training set and is scored on the
    rest, never on the test set; its result carries no predictions.
    """
    import numpy as np
    from joblib import parallel_config
    from sklearn.metrics import accuracy_score, f1_score
    from threadpoolctl import threadpool_limits

    from mnistbench import data, engines, pipelines

    with (
        threadpool_limits(threads),
        parallel_config(n_jobs=threads),  # every n_jobs=None estimator uses it
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        ds = data.load_job_data(job.dataset, job.data, data_home=data_home)
        X, y, X_eval, y_eval = _job_arrays(job, ds)

        def fresh():  # a new pipeline, filled in for this job
            pipe = factory()
            if job.params:
                pipe.set_params(**job.params)
            return _ready(pipe, job, ds)

        # The pipeline as registered: --param values have a column of their own.
        definition = pipelines.definition(factory())
        pipe = fresh()
        used = threads_used(pipe, threads)
        if used > threads:
            _yield_to_held_jobs()
        pipe = engines.convert(pipe, job.engine)
        dev = engines.device(job.engine, pipe)
        X, y, X_test = dev.put(X), dev.put(y), dev.put(X_eval)  # once
        warmup_s = dev.warm_up(pipe, X, y) if dev.warms_up else None
        fit_samples, predict_samples, cpu_s, y_pred, ran_on, fitted = _timed_repeats(
            pipe,
            lambda: engines.convert(fresh(), job.engine),
            job.engine,
            dev,
            (X, y, X_test),
            repeat,
        )
        # After the clean test set, one corrupted set in memory at a time.
        corrupted = score_corrupted(fitted, job, ds, dev, y_eval, data_home)
    result = {
        "status": "ok",
        "fit_s": statistics.median(fit_samples),
        "predict_s": statistics.median(predict_samples),
        "fit_s_samples": fit_samples,
        "predict_s_samples": predict_samples,
        "warmup_s": warmup_s,
        "cpu_s": cpu_s,
        "ran_on": ran_on,
        "definition": definition,
        "accuracy": float(accuracy_score(y_eval, y_pred)),
        "f1_macro": float(f1_score(y_eval, y_pred, average="macro")),
        "n_test": len(y_pred),
        "n_fit": len(y),
        "warnings": _summarise_warnings(caught),
        "y_pred": y_pred.astype(np.int16),
        "data_sha256": ds.sha256,
        "threads": used,
    }
    if corrupted:
        result["corrupted"] = corrupted
    if job.split is not None:  # a trial's score is all it brings back
        del result["y_pred"]
    return result


def _job_arrays(job, ds):
    """The images and labels the job fits on, and those it is scored on:
    the training set (a stratified, seeded subsample of ``n_train`` images)
    and the test set; for a search's trial, the two parts of its split of
    that training set, so that the test set stays unseen."""
    from sklearn.model_selection import train_test_split

    X, y = ds.X_train, ds.y_train
    if job.n_train < len(y):
        X, _, y, _ = train_test_split(
            X, y, train_size=job.n_train, stratify=y, random_state=job.seed
        )
    if job.split is None:
        return X, y, ds.X_test, ds.y_test
    fit, val = job.split.indices(y)
    return X[fit], y[fit], X[val], y[val]


def _timed_repeats(pipe, make, engine: str, dev, arrays, repeat: int):
    """Fit and predict ``pipe``, then ``repeat - 1`` new pipelines from
    ``make()``; the fit and predict times of each, the median CPU seconds of
    fit + predict, and the first repeat's predictions, ``ran_on`` and fitted
    pipeline. A repeat that predicts otherwise warns."""
    import numpy as np

    from mnistbench import engines

    X, y, X_test = arrays
    fit_samples, predict_samples, cpu_samples = [], [], []
    for i in range(repeat):
        if i:  # a new pipeline: nothing learned carries over
            pipe = make()
        with engines.Tracker(pipe, engine) as tracker:
            cpu = time.process_time()
            start = time.perf_counter()
            pipe.fit(X, y)
            dev.sync()
            fit_samples.append(time.perf_counter() - start)
            start = time.perf_counter()
            predicted = dev.to_host(pipe.predict(X_test))
            predict_samples.append(time.perf_counter() - start)
            cpu_samples.append(time.process_time() - cpu)
        if i == 0:
            y_pred, ran_on, first = predicted, tracker.ran_on(), pipe
        elif (changed := int(np.sum(predicted != y_pred))) > 0:
            warnings.warn(
                f"repeat {i + 1} of {repeat} changed {changed} of "
                f"{len(y_pred)} test predictions: the pipeline is not "
                "deterministic for its seed",
                NondeterminismWarning,
                stacklevel=1,
            )
    cpu_s = statistics.median(cpu_samples)
    return fit_samples, predict_samples, cpu_s, y_pred, ran_on, first


def _ready(pipe, job, ds):
    """``pipe`` with what the job decides filled in where nobody set it."""
    _fill_unset(pipe, "random_state", job.seed, job.params)
    _fill_unset(pipe, "image_shape", tuple(ds.image_shape), job.params)
    return pipe


#: How much a job lowers its priority (``os.nice``) when its estimators use
#: more threads than its share of the cores (as ``rf``'s forest,
#: ``n_jobs=-1``); ``MNISTBENCH_FILLER_NICENESS`` overrides it, 0 turns it off.
FILLER_NICENESS = 10


def filler_niceness() -> int:
    """``$MNISTBENCH_FILLER_NICENESS`` (0 to 19), else :data:`FILLER_NICENESS`."""
    raw = os.environ.get("MNISTBENCH_FILLER_NICENESS", str(FILLER_NICENESS))
    try:
        niceness = int(raw)
    except ValueError:
        niceness = -1
    if not 0 <= niceness <= 19:
        raise ValueError(
            f"MNISTBENCH_FILLER_NICENESS must be a whole number from 0 to 19, "
            f"got {raw!r}"
        )
    return niceness


def _yield_to_held_jobs() -> None:
    """Lower this job's priority, so that its extra threads fill the cores
    the other jobs leave idle instead of taking time from them: a job held
    to its share on the same core (``svm``) keeps that core. The job's own
    threads, started later, inherit the niceness. No-op where processes have
    none (Windows)."""
    niceness = filler_niceness()
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)


def threads_used(pipe, threads: int) -> int:
    """The most threads ``pipe`` may use in a job given ``threads``.

    BLAS and OpenMP are held to ``threads``, and so is joblib for estimators
    left at ``n_jobs=None``; an estimator given ``n_jobs`` explicitly (the
    ``rf`` pipeline's forest has ``n_jobs=-1``) uses that many, all cores for -1.
    """
    from joblib import effective_n_jobs, parallel_config

    counts = [threads]
    with parallel_config(n_jobs=threads):
        for key, value in pipe.get_params(deep=True).items():
            named = key == "n_jobs" or key.endswith("__n_jobs")
            # n_jobs=0 is an error the estimator itself reports.
            if named and (value is None or (isinstance(value, int) and value != 0)):
                counts.append(effective_n_jobs(value))
    return max(counts)


def spreads_over_threads(pipe) -> bool:
    """Whether ``pipe``'s work spreads over every thread its job gives it.

    One of its estimators fits on every thread (its class says
    ``spreads_over_threads = True``, as :class:`mnistbench.svm.SVC`: its
    pairs of classes side by side; oneDAL's SVC, which the sklearnex engine
    puts in its place, on oneDAL's threads), and none of its steps is known
    to run on one (``spreads_over_threads = False``: ``Deskew`` and ``HOG``,
    image by image in numpy). The local executor runs such a job alone, on
    every core.
    """
    parts = [pipe, *pipe.get_params(deep=True).values()]
    says = {getattr(type(part), "spreads_over_threads", None) for part in parts}
    return True in says and False not in says


def peak_memory_mb() -> float:
    """This process's own peak resident memory, in MB.

    On Linux ``VmHWM`` belongs to the address space made by ``exec``; the
    rusage maximum does not do here, since it starts from the parent's peak
    (the kernel carries it across fork and exec).
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes vs KB


def main(payload_path: str, result_path: str) -> None:
    with open(payload_path, "rb") as f:
        payload = pickle.load(f)
    _exit_with_runner(payload["runner_pid"])
    try:
        sys.path[:] = payload["sys_path"]
        job, factory = pickle.loads(payload["job"])
        result = run_job(
            job,
            factory,
            payload["threads"],
            payload["data_home"],
            payload["repeat"],
        )
    except BaseException as exc:  # the job's failure is data, not a crash
        from mnistbench.exceptions import one_line

        result = {
            "status": "error",
            "error": one_line(exc, limit=500),
            "traceback": traceback.format_exc(),
        }
    result["peak_mem_mb"] = peak_memory_mb()
    tmp = result_path + ".tmp"
    with open(tmp, "wb") as f:
        pickle.dump(result, f)
    os.replace(tmp, result_path)


def forked(
    payload_path: str, result_path: str, stderr_path: str, env: dict, cwd: str
) -> None:
    """:func:`main` in a process forked from the fork server: first what a new
    Python would have had, the caller's environment and folder, stdout in
    /dev/null and stderr into ``stderr_path``."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.stdout.flush()
    sys.stderr.flush()
    with open(os.devnull, "wb") as null, open(stderr_path, "wb") as err:
        os.dup2(null.fileno(), 1)
        os.dup2(err.fileno(), 2)
    try:
        main(payload_path, result_path)
    finally:
        _stop_children()
    sys.stderr.flush()


def _stop_children() -> None:
    """End the processes the job left running, once its result is written.

    joblib's process pool (a ``FeatureUnion`` given the job's threads, say)
    keeps its workers for 300 s after their last task. A new Python stops
    them as it exits; a forked child skips that and waits for them, so the
    job would end 5 minutes late.
    """
    import multiprocessing

    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
