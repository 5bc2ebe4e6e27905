"""One tuning run in progress: the searches' trials, round by round, then the
refits, and the :class:`TuneSummary` that :func:`~mnistbench.tuning.tune`
returns.

:func:`~mnistbench.tuning.tune_plan` makes a ``_State`` and calls its
``search``, ``refit`` and ``summary`` in turn (see ``_run.py``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mnistbench import _run_todo, pipelines, results
from mnistbench._recording import command_row
from mnistbench.jobs import Job
from mnistbench.runner import _base_row, _new_run_id
from mnistbench.tuning._plan import SearchSpec, TuneError, TunePlan
from mnistbench.tuning._rows import curve_row, trial_row
from mnistbench.tuning._search import CpuBudget, FixedBudget, Halving, Strategy, Trial
from mnistbench.tuning._summary import curve_candidates, tuning_table

__all__ = ["OnResult", "TuneSummary"]

logger = logging.getLogger(__name__)

#: ``on_result(kind, job, row)``: kind is "trial", "default", "tuned" or
#: "curve"; row the recorded row (or the reused one).
OnResult = Callable[[str, Job, dict], None]


@dataclass
class TuneSummary:
    """What a tuning run did and found, as :func:`tune` returns it.

    Attributes
    ----------
    run_id : str
        The run's id, as in its rows.
    out_dir : pathlib.Path
        The results folder (``leaderboard.csv``, ``trials.csv``,
        ``refits.csv``).
    trials : pandas.DataFrame
        Every trial of this run's searches (reused ones too), as in
        ``trials.csv``: candidate, params, fold, validation score, times.
    best_params : dict
        (dataset, pipeline) -> the chosen params (``{}`` for the default).
    rows : pandas.DataFrame
        The default's and the tuned configuration's leaderboard rows.
    table : pandas.DataFrame
        One row per search, with the columns of :data:`TABLE_COLUMNS` (see
        :func:`tuning_table`).
    reused_trials : int
        Trials read back from ``trials.csv`` (``resume``), not run again.
    where : str
        ``"here"``, or the Dask cluster the jobs ran on.
    failed : list of str
        What failed: a search none of whose candidates was scored, a refit
        that did not end ok.
    ok : bool
        Whether nothing failed.
    """

    run_id: str
    out_dir: Path
    #: every trial of this run's searches (reused ones too), as in trials.csv
    trials: pd.DataFrame
    #: (dataset, pipeline) -> the chosen params ({} for the default)
    best_params: dict
    #: the default's and the tuned configuration's leaderboard rows
    rows: pd.DataFrame
    #: one row per search (see :func:`mnistbench.tuning.tuning_table`)
    table: pd.DataFrame
    reused_trials: int = 0
    where: str = "here"
    failed: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


class _State:
    """One tuning run in progress."""

    def __init__(self, plan: TunePlan, specs, loaded, running, on_result):
        self.plan, self.specs, self.loaded = plan, specs, loaded
        self.running, self.on_result = running, on_result
        self.out = plan.run.out
        self.board = results.read_leaderboard(self.out)
        recorded = results.read_trials(self.out)
        ids = {s.search_id for s in specs}
        mine = recorded[recorded["search_id"].isin(ids) & (recorded["status"] == "ok")]
        self._refuse_duplicates(mine)
        self.recorded = (
            {}
            if plan.run.force
            else {r["trial_key"]: r for r in mine.to_dict("records")}
        )
        self.refits_done = (
            {}
            if plan.run.force
            else {
                r["job_key"]: r
                for r in results.read_refits(self.out).to_dict("records")
                if r["status"] == "ok" and r["search_id"] in ids
            }
        )
        self.run_id = _new_run_id()
        capacity = running.capacity(10**6)
        self.where = capacity.where
        self.base_row = _base_row(self.run_id, capacity)
        self.settings = plan.run.job_settings(self.run_id)
        self.strategies = {s.search_id: self._strategy(s) for s in specs}
        self.trial_rows: list[dict] = []
        self.rows: list[dict] = []
        self.failed: list[str] = []
        self.reused = 0
        self.out_ready = False
        self.command = ""

    def _refuse_duplicates(self, mine: pd.DataFrame) -> None:
        run = self.plan.run
        if run.resume or run.force:
            return
        tuned = self.board[self.board["search_id"].isin(mine["search_id"])]
        if len(mine) or len(tuned):
            raise TuneError(
                f"{len(mine)} trials of this search are already recorded in "
                f"{self.out / results.TRIALS}; pass --resume to go on from them "
                "or --force to run them again"
            )

    def _strategy(self, spec: SearchSpec) -> Strategy:
        n, splits = len(spec.candidates), list(spec.splits)
        if self.plan.search == "halving":
            return Halving(n, splits, spec.n_train, spec.n_classes)
        if self.plan.budget_cpu is not None:
            return CpuBudget(n, splits, self.plan.budget_cpu)
        return FixedBudget(n, splits)

    # --- the search ----------------------------------------------------------

    def _job(self, spec: SearchSpec, params: dict, n_train: int, **extra) -> Job:
        run = self.plan.run
        own = run.own.get(spec.dataset)
        # the pipeline's definition as the job builds it: a worker checks it
        config = (
            pipelines.fingerprint(pipelines.get(spec.pipeline, **params))
            if params
            else run.configs[spec.pipeline]
        )
        return Job(
            spec.dataset,
            spec.pipeline,
            params,
            self.plan.seed,
            n_train,
            run.engine,
            config,
            None if own is None else own.origin,
            **extra,
        )

    def search(self) -> None:
        """Run every search's rounds until none has a trial left to start."""
        first = True
        while True:
            batch = []
            for spec in self.specs:
                for trial in self.strategies[spec.search_id].next_round():
                    job = self._job(
                        spec,
                        spec.candidates[trial.candidate],
                        spec.n_train,
                        split=trial.split,
                        # a candidate drawn twice is two candidates, as in
                        # scikit-learn's searches: its trials are its own
                        search=f"{spec.search_id}/{trial.candidate}",
                    )
                    batch.append((spec, trial, job))
            if not batch:
                return
            self._run_round(batch, hold=first and self.plan.budget_cpu is not None)
            first = False

    def _run_round(self, batch, hold: bool) -> None:
        """Run a round's trials (reading back those already recorded); with
        ``hold``, check the CPU budget against the default's first fold
        before recording anything."""
        todo = []
        for spec, trial, job in batch:
            row = self.recorded.get(job.key)
            if row is None:
                todo.append((spec, trial, job))
                continue
            self.reused += 1
            self._count(spec, trial, job, row)
        if not todo:
            return
        by_key = {job.key: (spec, trial) for spec, trial, job in todo}
        held = []
        stream = self.running.results([job for *_, job in todo], self.settings)
        with contextlib.closing(stream):
            for job, result in stream:
                spec, trial = by_key[job.key]
                if hold:
                    held.append((spec, trial, job, result))
                    continue
                self._record_trial(spec, trial, job, result)
        for spec, _, _, result in held:
            cpu = result.get("cpu_s")
            if cpu is not None and cpu > self.plan.budget_cpu:
                raise TuneError(
                    f"--budget-cpu {self.plan.budget_cpu:g} is too small for "
                    f"{spec.pipeline} on {spec.dataset}: the default configuration's "
                    f"first fold alone took {cpu:.1f} CPU seconds; give at least "
                    f"{cpu * len(spec.splits):.0f} (one candidate on every fold)"
                )
        for spec, trial, job, result in held:
            self._record_trial(spec, trial, job, result)

    def _ensure_out(self, jobs) -> None:
        if not self.out_ready:
            _run_todo.check_out_dir(self.out, jobs)
            results.append_command(self.out, command_row(self.base_row, self.command))
            self.out_ready = True

    def _record_trial(self, spec, trial: Trial, job: Job, result: dict) -> None:
        row = trial_row(spec, trial, job, result, self.base_row, self.plan.search)
        self._ensure_out([job])
        results.append_trial(self.out, row, what=f"the trial {job}")
        self._count(spec, trial, job, row)

    def _count(self, spec, trial: Trial, job: Job, row: dict) -> None:
        ok = row["status"] == "ok"
        self.strategies[spec.search_id].finished(
            trial, row["val_score"] if ok else None, row.get("cpu_s")
        )
        self.trial_rows.append(dict(row))
        if self.on_result is not None:
            self.on_result("trial", job, row)

    # --- the refits ----------------------------------------------------------

    def refit(self) -> None:
        """Fit the default and the chosen configuration of every search on
        the whole training set, score them on the test set (and the curves'
        candidates); reuse rows already recorded."""
        done = set() if self.plan.run.force else results.ok_keys(self.board)
        todo: list[tuple[str, SearchSpec, int, Job]] = []
        for spec in self.specs:
            strategy = self.strategies[spec.search_id]
            choice = strategy.choice()
            if choice is None:
                self.failed.append(
                    f"{spec.dataset}/{spec.pipeline}: no candidate was scored on "
                    "every fold; see the error column of trials.csv"
                )
                continue
            default = self._job(spec, {}, spec.n_full)
            tuned = self._job(
                spec, spec.candidates[choice], spec.n_full, search=spec.search_id
            )
            todo.append(("default", spec, 0, default))
            todo.append(("tuned", spec, choice, tuned))
            if self.plan.curves and self.plan.search == "random":
                extra = curve_candidates(strategy.scores(), seed=self.plan.seed)
                keys = {tuned.key}  # the same params are refitted once
                for cand in sorted(extra - {0, choice}):
                    job = self._job(
                        spec, spec.candidates[cand], spec.n_full, search=spec.search_id
                    )
                    if job.key not in keys:
                        keys.add(job.key)
                        todo.append(("curve", spec, cand, job))
        to_run = []
        for kind, spec, cand, job in todo:
            if kind == "curve" and job.key in self.refits_done:
                continue
            if kind != "curve" and job.key in done:
                self._reuse(kind, job)
                continue
            to_run.append((kind, spec, cand, job))
        self._run_refits(to_run)

    def _reuse(self, kind: str, job: Job) -> None:
        board = self.board
        row = board[(board["job_key"] == job.key) & (board["status"] == "ok")]
        row = row.sort_values("timestamp_utc").iloc[-1].to_dict()
        self.rows.append(row)
        if self.on_result is not None:
            self.on_result(kind, job, row)

    def _run_refits(self, to_run) -> None:
        if not to_run:
            return
        self._ensure_out([job for *_, job in to_run])
        known_runs = _run_todo.known_runs(self.board)
        by_key = {job.key: (kind, spec, cand) for kind, spec, cand, job in to_run}
        stream = self.running.results([job for *_, job in to_run], self.settings)
        with contextlib.closing(stream):
            for job, result in stream:
                kind, spec, cand = by_key[job.key]
                if kind == "curve":
                    row = self._record_curve(spec, cand, job, result)
                else:
                    row = self._record_refit(kind, spec, cand, job, result, known_runs)
                if row is not None and self.on_result is not None:
                    self.on_result(kind, job, row)

    def _record_refit(self, kind, spec, cand, job, result, known_runs):
        result = dict(result)
        if kind == "tuned":
            strategy = self.strategies[spec.search_id]
            result.update(
                search_id=spec.search_id,
                search=json.dumps(
                    {**spec.definition, "candidate": cand}, sort_keys=True
                ),
                n_trials=strategy.n_trials,
                val_score=float(strategy.scores()[cand]),
            )
        n_test = len(self.loaded[job.dataset].y_test)
        try:
            row = results.record_job(
                self.out, job, result, self.base_row, n_test, known_runs=known_runs
            )
        except results.AlreadyRecorded as exc:
            logger.info("%s", exc)
            return None
        self.rows.append(row)
        if row["status"] != "ok":
            self.failed.append(f"{job}: {row['status']}: {row['error']}")
        return row

    def _record_curve(self, spec, cand, job, result) -> dict:
        row = curve_row(spec, cand, job, result, self.run_id)
        results.append_refit(self.out, row, what=f"the curve's refit {job}")
        return row

    # --- what it found -------------------------------------------------------

    def summary(self) -> TuneSummary:
        board = results.read_leaderboard(self.out)
        ids = [s.search_id for s in self.specs]
        trials = pd.DataFrame(self.trial_rows, columns=list(results.TRIAL_SCHEMA))
        y_test = {d: ds.y_test for d, ds in self.loaded.items()}
        table = tuning_table(self.out, board, trials, y_test, ids)
        best = {}
        for spec in self.specs:
            choice = self.strategies[spec.search_id].choice()
            if choice is not None:
                best[spec.dataset, spec.pipeline] = dict(spec.candidates[choice])
        return TuneSummary(
            self.run_id,
            self.out,
            trials,
            best,
            pd.DataFrame(self.rows, columns=list(results.COLUMNS)),
            table,
            self.reused,
            self.where,
            self.failed,
        )
