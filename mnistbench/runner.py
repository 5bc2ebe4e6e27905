"""Run a plan: expand it into jobs, hand them to an executor, record each result.

:func:`run_plan` takes a validated :class:`~mnistbench.plan.RunPlan` and
drives one executor (:mod:`mnistbench.executors`) the same way wherever its
jobs run: it asks for the executor's capacity, streams (job, result) pairs
from it, and records each one as a leaderboard row with its predictions
(:func:`mnistbench.results.record_job`); then it draws the plots.
:func:`run` is the convenience API: it builds the plan from keyword arguments.

>>> from mnistbench import runner
>>> summary = runner.run(["svm", "knn"], datasets=["mnist-sample"])  # doctest: +SKIP
>>> summary.rows[["pipeline", "accuracy"]]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from mnistbench import _robustness, data, executors, results
from mnistbench._io import WriteError, check_writable
from mnistbench._recording import Plots, Recorder
from mnistbench._run_todo import todo_of
from mnistbench.envinfo import machine_fields
from mnistbench.jobs import (
    DEFAULT_TIMEOUT,
    Job,
    run_isolated,
)
from mnistbench.pipelines import fingerprint as config_fingerprint
from mnistbench.plan import MIN_TRAIN_SIZE, RunError, RunPlan, expand_jobs

__all__ = [
    "DEFAULT_TIMEOUT",
    "MIN_TRAIN_SIZE",
    "Job",
    "RunError",
    "RunPlan",
    "RunSummary",
    "config_fingerprint",
    "expand_jobs",
    "run",
    "run_isolated",
    "run_plan",
]

logger = logging.getLogger(__name__)

OnStart = Callable[[list[Job]], None]
OnResult = Callable[[Job, dict], None]


@dataclass
class RunSummary:
    """What a run did, as :func:`run` and :func:`run_plan` return it.

    This run's rows, the jobs it skipped, how many jobs it ran at once,
    where (``"here"`` or the Dask cluster), and the jobs another run into
    the same folder recorded first. The functions never print.

    Attributes
    ----------
    run_id : str
        When the run started (UTC) and six random hex digits,
        ``20260101T120000Z-3fa2c1``: the ``run_id`` of its rows.
    out_dir : pathlib.Path
        The results folder the rows were appended to.
    rows : pandas.DataFrame
        This run's leaderboard rows, one per job it recorded, in the order
        the jobs finished, with the columns of
        :data:`mnistbench.results.COLUMNS` (``accuracy``, ``fit_s``,
        ``status``...).
    skipped : list of Job
        The jobs skipped because they already had an ok row (``resume``).
    plots : list of pathlib.Path
        The figures drawn.
    n_jobs : int
        How many jobs ran at once.
    where : str
        ``"here"``, or the Dask cluster the jobs ran on.
    recorded_elsewhere : list of (Job, str)
        Jobs that another run into the same folder recorded, with its run
        id, while this one ran them: not recorded twice.
    robustness : pandas.DataFrame
        This run's rows of ``robustness.csv`` (``corruptions``), one per
        job and corrupted test set, with the columns of
        :data:`mnistbench.results.ROBUSTNESS_SCHEMA`.
    ok : bool
        Whether every row's ``status`` is ``ok``, the robustness rows' too
        (True without rows).

    See Also
    --------
    run : Run pipelines.
    mnistbench.results.read_leaderboard : Every run's rows in a folder.

    Examples
    --------
    >>> import tempfile
    >>> from mnistbench import runner
    >>> out = tempfile.mkdtemp()
    >>> summary = runner.run(
    ...     ["knn"], datasets=["mnist-sample"], train_size=500, out=out, plots=False
    ... )
    >>> summary.ok, len(summary.rows), summary.skipped, summary.plots
    (True, 1, [], [])
    >>> summary.rows.loc[0, "run_id"] == summary.run_id
    True
    """

    run_id: str
    out_dir: Path
    rows: pd.DataFrame
    skipped: list[Job]
    plots: list[Path]
    n_jobs: int = 1
    where: str = "here"
    #: (job, run id): jobs that another run recorded while this one ran them,
    #: not recorded again
    recorded_elsewhere: list[tuple[Job, str]] = field(default_factory=list)
    #: this run's rows of ``robustness.csv`` (``--corruptions``)
    robustness: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(results.ROBUSTNESS_SCHEMA))
    )

    @property
    def ok(self) -> bool:
        frames = (self.rows, self.robustness)
        return all(bool((f["status"] == "ok").all()) for f in frames if len(f))


def run(
    pipeline_names: Sequence[str],
    *,
    download_progress=None,
    on_start: OnStart | None = None,
    on_result: OnResult | None = None,
    **options,
) -> RunSummary:
    """Fit and score pipelines; append one leaderboard row per job.

    Every (dataset, pipeline, seed) is a job, run in a Python process of its
    own under a hard timeout (or on a Dask cluster), and recorded as it
    finishes: a row in ``out/leaderboard.csv`` and its test-set predictions
    in ``out/predictions/``; then the plots are drawn in ``out/plots/``. A
    run killed mid-way keeps every finished job's row; run it again with
    ``resume=True``. A job's own failure (an exception, a timeout, a crash)
    raises nothing: its row says so (``status``, ``error``). The command
    line's ``mnistbench run`` is this function.

    Parameters
    ----------
    pipeline_names : sequence of str
        Registered pipeline names (see :func:`mnistbench.pipelines.available`).
    download_progress : callable, optional
        Makes a progress bar per file downloaded (see
        :func:`mnistbench.data.load`).
    on_start : callable, optional
        ``on_start(jobs)``, called once the jobs to run are known.
    on_result : callable, optional
        ``on_result(job, row)``, called as each job is recorded.
    **options
        :class:`~mnistbench.plan.RunPlan`'s fields: ``datasets`` (default
        ``("mnist",)``), ``seeds``, ``params``, ``train_size``, ``engine``,
        ``timeout``, ``repeat``, ``n_jobs``, ``scheduler``, ``cluster``,
        ``out`` (default ``"results"``), ``resume``, ``force``,
        ``data_home``, ``download``, ``plots``, ``test_fraction`` and
        ``image_shape``.

    Returns
    -------
    RunSummary
        This run's rows, the jobs it skipped, the figures it drew.

    Raises
    ------
    RunError
        A bad option, an unwritable ``out``, or jobs that already have ok
        rows there without ``resume`` or ``force``; raised before any job
        starts.
    mnistbench.pipelines.UnknownPipelineError
        A pipeline that is not registered.
    UnknownDatasetError, DownloadError, DataError
        A dataset that cannot be loaded.

    See Also
    --------
    run_plan : Run a :class:`~mnistbench.plan.RunPlan` built beforehand.
    mnistbench.results.read_leaderboard : Every run's rows in a folder.
    mnistbench.report.build : A report of a results folder.

    Examples
    --------
    One job: k-NN fitted on 500 of mnist-sample's training images (each job
    starts a new Python, which takes a few seconds):

    >>> import tempfile
    >>> from mnistbench import runner
    >>> out = tempfile.mkdtemp()
    >>> summary = runner.run(
    ...     ["knn"], datasets=["mnist-sample"], train_size=500, out=out
    ... )
    >>> summary.rows[["pipeline", "n_train", "seed", "accuracy", "status"]]
      pipeline  n_train  seed  accuracy status
    0      knn      500     0     0.86...     ok
    >>> [path.name for path in summary.plots]
    ['knn-confusion.png', 'accuracy-vs-time.png']

    Running it again skips the jobs that have an ok row with ``resume``, and
    runs them again with ``force``; without either, it refuses:

    >>> again = runner.run(
    ...     ["knn"], datasets=["mnist-sample"], train_size=500, out=out, resume=True
    ... )
    >>> len(again.rows), [str(job) for job in again.skipped]
    (0, ['mnist-sample/knn seed 0'])
    >>> runner.run(["knn"], datasets=["mnist-sample"], train_size=500, out=out)
    Traceback (most recent call last):
        ...
    mnistbench.plan.RunError: 1 of 1 jobs already have ok rows in ...
    """
    plan = RunPlan(pipeline_names, **options)
    return run_plan(
        plan,
        download_progress=download_progress,
        on_start=on_start,
        on_result=on_result,
    )


def run_plan(
    plan: RunPlan,
    *,
    executor: executors.Executor | None = None,
    download_progress=None,
    on_start: OnStart | None = None,
    on_result: OnResult | None = None,
    command: str = "",
) -> RunSummary:
    """Run ``plan``'s jobs; append one leaderboard row per job to ``plan.out``.

    The same wherever the jobs run: it asks the executor for its capacity,
    streams (job, result) pairs from it, and records each one as a
    leaderboard row with its predictions
    (:func:`mnistbench.results.record_job`); then it draws the plots.

    Parameters
    ----------
    plan : RunPlan
        What to run, checked when it was built.
    executor : mnistbench.executors.Executor, optional
        Runs the jobs; default the one the plan asks for (see
        :func:`mnistbench.executors.for_plan`).
    download_progress : callable, optional
        Makes a progress bar per file downloaded (see
        :func:`mnistbench.data.load`).
    on_start : callable, optional
        ``on_start(jobs)``, called once the jobs to run are known (in the
        order they start).
    on_result : callable, optional
        ``on_result(job, row)``, called as each job is recorded; ``row`` is
        the leaderboard row as a dict, with its ``robustness.csv`` rows
        under ``"robustness"`` (``{"status": "recorded", ...}`` for a job
        another run recorded first; ``{"status": "rescored", ...}`` for a
        finished job fitted again for its missing corrupted sets).
    command : str, optional
        The command line that started the run, recorded in
        ``plan.out/commands.csv`` (``mnistbench run`` passes its own; ""
        from Python) before the first row.

    Returns
    -------
    RunSummary

    Raises
    ------
    RunError
        An unwritable ``plan.out``, or jobs that already have ok rows there
        without ``resume`` or ``force``; raised before any job starts.
    UnknownDatasetError, DownloadError, DataError
        A dataset that cannot be loaded.

    See Also
    --------
    run : Build the plan from keyword arguments and run it.

    Examples
    --------
    >>> import tempfile
    >>> from mnistbench import runner
    >>> from mnistbench.plan import RunPlan
    >>> plan = RunPlan(
    ...     ["knn"],
    ...     datasets=["mnist-sample"],
    ...     train_size=500,
    ...     out=tempfile.mkdtemp(),
    ...     plots=False,
    ... )
    >>> def show(job, row):
    ...     print(job, row["status"], row["n_train"])
    >>> summary = runner.run_plan(plan, on_result=show)
    mnist-sample/knn seed 0 ok 500
    """
    _refuse_early(plan)
    executor = executors.for_plan(plan) if executor is None else executor
    # Connect first: an unreachable scheduler fails in seconds, before any work.
    with executor as running:
        loaded = {name: _load(plan, name, download_progress) for name in plan.datasets}
        if plan.corrupted:  # before anything is written to plan.out
            seconds = _robustness.prepare(plan, loaded)
            logger.info("corrupted test sets ready in %.1f s", seconds)
        todo, skipped, known_runs, rescored = todo_of(
            plan, {d: len(ds.y_train) for d, ds in loaded.items()}
        )
        run_id = _new_run_id()
        capacity = running.capacity(len(todo))
        base_row = _base_row(run_id, capacity)
        logger.info(
            "run %s: %d jobs (%d skipped), %d at once, %d threads each "
            "(estimators with an explicit n_jobs keep theirs), on %s",
            run_id,
            len(todo),
            len(skipped),
            capacity.at_once,
            capacity.threads,
            capacity.where,
        )
        if on_start is not None:
            on_start(todo)
        stream = running.results(todo, plan.job_settings(run_id))
        recorder = Recorder(plan.out, base_row, known_runs, rescored, loaded, command)
        plots = Plots(plan.out, todo, loaded) if plan.plots else None
        with contextlib.closing(stream):
            for job, result in stream:
                row = recorder.record(job, result)
                if on_result is not None:
                    on_result(job, row)
                if plots is not None:
                    plots.finished(job)
    rows = recorder.rows
    frame = pd.DataFrame(rows, columns=list(results.COLUMNS))
    made = plots.finish() if plots is not None and rows else []
    return RunSummary(
        run_id,
        plan.out,
        frame,
        skipped,
        made,
        capacity.at_once,
        capacity.where,
        recorder.elsewhere,
        pd.DataFrame(recorder.scored, columns=list(results.ROBUSTNESS_SCHEMA)),
    )


def _new_run_id() -> str:
    """A run's id: when it started (UTC), and six random hex digits."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


def _base_row(run_id: str, capacity: executors.Capacity) -> dict:
    """The columns every row of a run shares: its id, this machine, and the
    threads each job gets (a job run elsewhere brings its own machine's)."""
    return {"run_id": run_id, **machine_fields(), "threads": capacity.threads}


def _refuse_early(plan: RunPlan) -> None:
    """What a run refuses before it connects, loads, fits or writes anything:
    a bad niceness, and a results folder or leaderboard it cannot write."""
    from mnistbench._jobproc import filler_niceness

    try:
        filler_niceness()  # read by each job that takes every core
    except ValueError as exc:
        raise RunError(str(exc)) from None
    try:
        check_writable(
            plan.out, results.LEADERBOARD, results.LEADERBOARD + ".lock", create=False
        )
    except WriteError as exc:
        raise RunError(f"cannot write to --out {plan.out}: {exc}") from None


def _load(plan: RunPlan, name: str, progress) -> data.Dataset:
    """A registered dataset, downloaded if need be; a user's, as the plan
    read it, cached in the data home (arrays from Python too) so that the
    job processes memory-map it."""
    if name in plan.own:
        ds = plan.own[name]
        return data.store(ds, plan.data_home) if not ds.origin.path else ds
    return data.load(
        name, data_home=plan.data_home, download=plan.download, progress=progress
    )
