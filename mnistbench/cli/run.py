"""``mnistbench run`` and ``mnistbench leaderboard``."""

from __future__ import annotations

import json
import sys

import click
from rich.markup import escape

from mnistbench.cli._output import (
    CLIError,
    Downloads,
    RunProgress,
    by_accuracy,
    get_console,
    results_table,
)
from mnistbench.cli._setup import command_line, dask_output
from mnistbench.cli.common_args import (
    data_home_option,
    dataset_option,
    datasets_option,
    engine_option,
    existing_leaderboard,
    format_option,
    group_option,
    image_shape_option,
    n_jobs_option,
    out_option,
    test_fraction_option,
    timeout_option,
    train_size_option,
)

__all__ = ["leaderboard", "run"]


@click.command()
@click.argument("names", nargs=-1, metavar="[PIPELINE]...")
@click.option(
    "--all",
    "run_all",
    is_flag=True,
    help="Run the core group: the five classic baselines, and plugins.",
)
@group_option(
    "Run every pipeline of this group (repeatable), e.g. sota: deskewing "
    "and HOG features; sota-plus: augmented training images, minutes per fit; "
    "sota-long: learned patch features and rotations, up to ten minutes per "
    "seed (see `mnistbench pipelines`)."
)
@datasets_option(
    ("mnist",),
    "Dataset to run on (repeatable): a registered name, or your own data as a "
    "PATH: a folder of IDX or .npy files (MNIST-C's), a .npz, CSV files (see "
    "the guide's page "
    "Datasets and your own data).",
    metavar="NAME|PATH",
)
@test_fraction_option
@image_shape_option
@click.option(
    "--seed",
    "seeds",
    multiple=True,
    type=int,
    default=(0,),
    show_default=True,
    help="Random seed (repeatable): seeds the estimators and the subsample.",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="STEP__PARAM=VALUE",
    help="Set a pipeline parameter (repeatable); VALUE is read as JSON.",
)
@n_jobs_option(
    "Jobs run at once; the cores are shared out among them "
    "[default: one per core, at most one per job]."
)
@train_size_option
@engine_option(
    default="sklearn",
    show_default=True,
    help="Library that runs the pipelines: scikit-learn, scikit-learn-intelex "
    "(CPU) or cuML (GPU). The ran_on column says where each step ran.",
)
@timeout_option
@click.option(
    "--repeat",
    type=int,
    default=1,
    show_default=True,
    help="Fit and predict each job N times, each on a new pipeline: the "
    "leaderboard keeps every time (fit_s_samples, predict_s_samples) and the "
    "median (fit_s, predict_s), for `mnistbench compare`.",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    default=None,
    help="Run the jobs on the workers of this running Dask scheduler "
    '(pip install "mnistbench[dask]"). Each worker loads the data from its own '
    "data home.",
)
@click.option(
    "--cluster",
    metavar="local[:N]",
    default=None,
    help="Start a Dask cluster of N worker processes on this machine for the run "
    "[N: one per core].",
)
@click.option(
    "--corruptions",
    metavar="all|NAME,...",
    default=None,
    help="Also score each job on its test set under these corruptions (MNIST-C's "
    "15, contrast, inverse; see `mnistbench corruptions`), one row per job and "
    "set in OUT/robustness.csv [default: none].",
)
@click.option(
    "--severity",
    metavar="1..5|all",
    default=None,
    help="Severity of --corruptions: 1 to 5, several as 1,3,5, or all [default: 3].",
)
@click.option(
    "--corruptions-from",
    metavar="PATH",
    default=None,
    help="Also score each job on the published corrupted test sets of PATH: an "
    "MNIST-C folder (or one of its corruption folders), or Fashion-MNIST-C's "
    "IDX files.",
)
@out_option("Folder of leaderboard.csv, robustness.csv, predictions/, plots/.")
@click.option(
    "--resume",
    is_flag=True,
    help="Skip jobs that already have an ok row (and their corrupted sets).",
)
@click.option("--force", is_flag=True, help="Run finished jobs again (adds new rows).")
@data_home_option
def run(names, run_all, groups, params, **options) -> None:
    """Fit and score pipelines; append the results to OUT/leaderboard.csv.

    Each job (dataset, pipeline, params, seed) runs in its own process under a
    hard timeout, here or on a Dask cluster's workers. Exit code 0 only if
    every job succeeded.
    """
    from mnistbench import runner

    chosen = _chosen(names, run_all, groups)
    plan = runner.RunPlan(chosen, params=_parse_params(params), **options)
    dask_output(plan)
    with Downloads() as downloads, RunProgress() as progress:
        summary = runner.run_plan(
            plan,
            download_progress=downloads.bar,
            on_start=progress.on_start,
            on_result=progress.on_result,
            command=command_line(),
        )
    rows = summary.rows.to_dict("records")
    rows.sort(key=by_accuracy)
    _report(summary, rows)
    if any(r["status"] != "ok" for r in rows):
        sys.exit(1)


def _chosen(names, run_all: bool, groups) -> list[str]:
    """The pipelines named, and those of ``--all`` and each ``--group``."""
    from mnistbench import pipelines

    if run_all and names:
        raise CLIError("give pipeline names or --all, not both")
    if not (run_all or names or groups):
        raise CLIError(
            f"no pipeline given; name some ({', '.join(pipelines.available())}), "
            f"or use --all or --group ({', '.join(pipelines.groups())})"
        )
    if run_all:
        groups = (pipelines.DEFAULT_GROUP, *groups)
    by_group = [name for group in groups for name in pipelines.available(group)]
    return list(dict.fromkeys([*names, *by_group]))


def _parse_params(items: tuple[str, ...]) -> dict:
    params = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CLIError(
                f"--param {item!r}: expected STEP__PARAM=VALUE, e.g. clf__C=10"
            )
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def _report(summary, rows: list[dict]) -> None:
    """What a run did: its rows best first, where it ran, what it wrote."""
    console = get_console()
    if summary.skipped:
        console.print(f"skipped {len(summary.skipped)} job(s) already recorded as ok")
    for job, run_id in summary.recorded_elsewhere:
        console.print(
            escape(f"{job} is recorded by run {run_id}; not recorded again"),
            style="yellow",
        )
    if rows:
        console.print(results_table(rows, f"run {summary.run_id}"))
    if summary.where != "here":
        console.print(f"ran on: {summary.where}")
    console.print(f"leaderboard: {summary.out_dir / 'leaderboard.csv'}")
    rob = summary.robustness
    if len(rob):
        failed = int((rob["status"] != "ok").sum())
        console.print(
            f"robustness: {escape(str(summary.out_dir / 'robustness.csv'))} "
            f"({len(rob)} rows"
            + (f", [red]{failed} failed[/]" if failed else "")
            + "; `mnistbench report` compares them)"
        )
    if summary.plots:
        n_plots = len(summary.plots)
        console.print(f"plots: {summary.out_dir / 'plots'}/ ({n_plots} files)")
    failed = [r for r in rows if r["status"] != "ok"]
    if failed:
        counts = ", ".join(
            f"{s}: {sum(r['status'] == s for r in failed)}"
            for s in dict.fromkeys(r["status"] for r in failed)
        )
        console.print(
            f"[red]{len(failed)} of {len(rows)} job(s) did not succeed[/] "
            f"({counts}); see the error column"
        )


@click.command()
@out_option("Folder holding leaderboard.csv.")
@dataset_option(None, "Only this dataset.")
@format_option
def leaderboard(out, dataset, fmt) -> None:
    """Show the best ok row per (dataset, pipeline)."""
    from mnistbench import results

    path = existing_leaderboard(out)
    best = results.best_rows(results.read_leaderboard(out), dataset)
    if best.empty:
        raise CLIError(
            f"{path} has no successful row"
            + (f" for dataset {dataset!r}" if dataset else "")
        )
    if fmt == "csv":
        click.echo(results.to_csv_text(best), nl=False)
    elif fmt == "markdown":
        click.echo(results.to_markdown(best))
    else:
        table = results_table(best.to_dict("records"), f"best of {path}")
        get_console().print(table)
