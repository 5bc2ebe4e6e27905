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
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from mnistbench import _robustness, data, executors, results
from mnistbench._io import WriteError, check_writable, make_folder
from mnistbench.envinfo import machine_fields
from mnistbench.jobs import (
    DEFAULT_TIMEOUT,
    Job,
    run_isolated,
    takes_every_core,
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
        todo, skipped, known_runs, rescored = _todo(
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
        recorder = _Recorder(plan.out, base_row, known_runs, rescored, loaded)
        plots = _Plots(plan.out, todo, loaded) if plan.plots else None
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


@dataclass
class _Recorder:
    """Records each (job, result) of a run as it comes: its leaderboard row
    and its rows in ``robustness.csv``; for a job that ``--resume`` fitted
    again for its missing corrupted sets (its key in ``rescored``), those
    rows only. Keeps this run's rows and the jobs another run recorded."""

    out: Path
    base_row: dict
    known_runs: dict
    rescored: set[str]
    loaded: dict
    rows: list[dict] = field(default_factory=list)
    scored: list[dict] = field(default_factory=list)
    elsewhere: list[tuple[Job, str]] = field(default_factory=list)

    def record(self, job: Job, result: dict) -> dict:
        """What ``on_result`` is told of ``job``: its row, with its
        robustness rows under ``"robustness"``."""
        if job.key in self.rescored:
            status = result.get("status", "error")
            return {
                "status": status if status != "ok" else "rescored",
                "error": result.get("error", ""),
                "job_key": job.key,
                "robustness": self._corrupted(job, result),
            }
        n_test = len(self.loaded[job.dataset].y_test)
        try:
            row = results.record_job(
                self.out,
                job,
                result,
                self.base_row,
                n_test,
                known_runs=self.known_runs,
            )
        except results.AlreadyRecorded as exc:
            logger.info("%s", exc)
            self.elsewhere.append((job, exc.run_id))
            return {"status": "recorded", "recorded_by": exc.run_id}
        self.rows.append(row)
        return {**row, "robustness": self._corrupted(job, result)}

    def _corrupted(self, job: Job, result: dict) -> list[dict]:
        """``job``'s rows in ``robustness.csv``, after its clean row."""
        if result.get("status") != "ok" or not result.get("corrupted"):
            return []
        written = results.record_corrupted(
            self.out, job, result["corrupted"], self.base_row
        )
        self.scored.extend(written)
        return written


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


def _known_runs(board: pd.DataFrame) -> dict[str, set[str]]:
    """Job key -> the runs with an ok row of it in ``board``."""
    ok = board[board["status"] == "ok"]
    return {k: set(g) for k, g in ok.groupby("job_key")["run_id"]}


def _todo(
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
    _check_out_dir(out, jobs)
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
    todo = _start_order([j for j in jobs if j not in skipped], board)
    rescored = _robustness.rescoring(plan, skipped)
    keys = {job.key for job in rescored}
    skipped = [job for job in skipped if job.key not in keys]
    return todo + rescored, skipped, _known_runs(board), keys


def _start_order(jobs: list[Job], board: pd.DataFrame) -> list[Job]:
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


def _check_out_dir(out: Path, jobs: list[Job]) -> None:
    """Make the results folder (whose leaderboard :func:`_refuse_early`
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


class _Plots:
    """A run's figures, each confusion matrix drawn as soon as the last job of
    its (dataset, pipeline, engine) is in, while the other jobs run; the
    accuracy-vs-time figures, which need every row, at the end."""

    def __init__(self, out: Path, todo: list[Job], loaded: dict):
        self.out, self.loaded = out, loaded
        self.pending = Counter((j.dataset, j.pipeline, j.engine) for j in todo)
        self.later: set[tuple] = set()
        self.made: list[Path] = []

    def finished(self, job: Job) -> None:
        group = (job.dataset, job.pipeline, job.engine)
        self.pending[group] -= 1
        if self.pending[group]:
            return
        try:
            self._draw(job.dataset, {group[1:]}, summary=False)
        except Exception:  # noqa: BLE001 - never stop running jobs for a figure
            self.later.add(group)  # drawn again at the end, failing there

    def finish(self) -> list[Path]:
        try:
            for name in dict.fromkeys(d for d, *_ in self.pending):
                again = {g[1:] for g in self.later if g[0] == name}
                self._draw(name, again, summary=True)
        except WriteError as exc:
            raise WriteError(
                f"{exc}; every job's row and predictions are recorded, only "
                "figures are missing"
            ) from None
        return self.made

    def _draw(self, dataset: str, only: set, summary: bool) -> None:
        from mnistbench.plots import save_dataset_plots

        board = results.read_leaderboard(self.out)
        self.made += save_dataset_plots(
            self.out, board, self.loaded[dataset], only=only, summary=summary
        )
