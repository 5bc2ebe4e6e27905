"""``mnistbench tune``: the same search budget for every pipeline."""

from __future__ import annotations

import sys

import click
from rich.markup import escape
from rich.progress import Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mnistbench.cli._output import Downloads, fmt, get_console
from mnistbench.cli._setup import command_line, dask_output
from mnistbench.cli.common_args import (
    data_home_option,
    datasets_option,
    engine_option,
    group_option,
    image_shape_option,
    n_jobs_option,
    out_option,
    test_fraction_option,
    timeout_option,
)
from mnistbench.cli.run import _chosen

__all__ = ["tune"]


@click.command()
@click.argument("names", nargs=-1, metavar="[PIPELINE]...")
@click.option("--all", "run_all", is_flag=True, help="Tune the core group.")
@group_option("Tune every pipeline of this group (repeatable).")
@datasets_option(
    ("mnist",),
    "Dataset to tune on (repeatable): a registered name or your own data as a "
    "PATH, as for `mnistbench run`.",
    metavar="NAME|PATH",
)
@test_fraction_option
@image_shape_option
@click.option(
    "--budget",
    type=int,
    default=None,
    help="Candidates per pipeline, the same for all; candidate 0 is the "
    "registered default [default: 10].",
)
@click.option(
    "--budget-cpu",
    type=float,
    default=None,
    metavar="SECONDS",
    help="CPU seconds of trials per pipeline instead of a number of "
    "candidates: no trial starts once a pipeline's are spent.",
)
@click.option(
    "--cv",
    type=int,
    default=None,
    help="Stratified folds of the training set [default: 3].",
)
@click.option(
    "--val-fraction",
    type=float,
    default=None,
    metavar="F",
    help="Score on one stratified validation share F of the training set "
    "instead of folds.",
)
@click.option(
    "--search",
    type=click.Choice(["random", "halving"]),
    default="random",
    show_default=True,
    help="Random search, or successive halving over training images "
    "(scikit-learn's HalvingRandomSearchCV; --budget is its first rung).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seeds the candidates, the folds and the estimators.",
)
@click.option(
    "--search-size",
    type=int,
    default=None,
    metavar="N",
    help="Draw the folds from a stratified subsample of N training images; "
    "the choice is refitted on all of them.",
)
@click.option(
    "--curves/--no-curves",
    default=True,
    show_default=True,
    help="Also refit the candidates that lead at some point of a shuffled "
    "search order, for the report's tuning curves.",
)
@n_jobs_option("Trials run at once [default: one per core].")
@engine_option(default="sklearn", show_default=True, help="Library that runs them.")
@timeout_option
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    default=None,
    help="Run the trials on this running Dask scheduler's workers.",
)
@click.option(
    "--cluster",
    metavar="local[:N]",
    default=None,
    help="Start a Dask cluster of N worker processes here for the search.",
)
@out_option("Folder of leaderboard.csv, trials.csv, refits.csv, predictions/.")
@click.option("--resume", is_flag=True, help="Go on from recorded trials; repeat none.")
@click.option("--force", is_flag=True, help="Run recorded trials again.")
@data_home_option
def tune(names, run_all, groups, **options) -> None:
    """Tune pipelines with the same budget each, on the training set alone.

    Candidate 0 is the registered default; the others are drawn from each
    pipeline's search space (`mnistbench pipelines NAME`). Each trial
    (candidate x fold) runs as a job of its own and is appended to
    OUT/trials.csv. The best-on-validation candidate is refitted on the
    whole training set and scored once on the test set, beside the
    default: both are leaderboard rows. Exit code 0 only if every search
    ended with a choice and every refit succeeded.
    """
    from mnistbench import tuning

    chosen = _chosen(names, run_all, groups)
    seed = options.pop("seed")
    plan = tuning.TunePlan.build(chosen, seed=seed, **options)
    dask_output(plan.run)
    with Downloads() as downloads, _TuneProgress() as progress:
        summary = tuning.tune_plan(
            plan,
            download_progress=downloads.bar,
            on_result=progress.on_result,
            command=command_line(),
        )
    _report(summary)
    if not summary.ok:
        sys.exit(1)


class _TuneProgress:
    """A count of the trials as they finish; one line per refit."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            TextColumn("{task.completed} trials"),
            TimeElapsedColumn(),
            console=get_console(stderr=True),
        )
        self.task = None

    def on_result(self, kind: str, job, row: dict) -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task("searching", total=None)
        if kind == "trial":
            self.progress.advance(self.task)
            if row["status"] != "ok":
                self.progress.console.print(
                    f"[red]{row['status']:>7}[/] {escape(str(job))}: "
                    f"{escape(str(row['error']))}"
                )
            return
        what = {"default": "default", "tuned": "tuned", "curve": "curve refit"}[kind]
        detail = (
            f"test accuracy {row['accuracy']:.4f}"
            if row["status"] == "ok"
            else str(row["error"])
        )
        self.progress.console.print(
            f"{what:>11} {escape(job.dataset)}/{escape(job.pipeline)}: {escape(detail)}"
        )

    def __enter__(self) -> _TuneProgress:
        return self

    def __exit__(self, *exc) -> None:
        if self.task is not None:
            self.progress.stop()


def _report(summary) -> None:
    from mnistbench._text import params_text

    console = get_console()
    if summary.reused_trials:
        console.print(f"{summary.reused_trials} trial(s) read back from trials.csv")
    table = summary.table
    columns = ("default acc", "tuned acc", "McNemar p (Holm)", "best val")
    for dataset, rows in table.groupby("dataset", sort=False):
        t = Table(title=f"equal-budget tuning on {dataset}")
        t.add_column("pipeline", no_wrap=True)
        for column in (*columns, "trials", "CPU s"):
            t.add_column(column, justify="right")
        for row in rows.to_dict("records"):
            t.add_row(
                escape(row["pipeline"]),
                fmt(row["default_accuracy"], ".4f"),
                fmt(row["tuned_accuracy"], ".4f"),
                fmt(row["mcnemar_p"], ".3g"),
                fmt(row["best_val_score"], ".4f"),
                str(row["trials"]),
                fmt(row["cpu_s"], ".0f"),
            )
        console.print(t)
        console.print("chosen params:")  # a line each: they are long
        for row in rows.to_dict("records"):
            console.print(
                f"  {escape(row['pipeline'])}: "
                f"{escape(params_text(row['chosen_params'], '(default)'))}"
            )
    if summary.where != "here":
        console.print(f"ran on: {summary.where}")
    out = summary.out_dir
    console.print(
        f"trials: {out / 'trials.csv'}; leaderboard: {out / 'leaderboard.csv'}"
    )
    for line in summary.failed:
        console.print(f"[red]{escape(line)}[/]")
