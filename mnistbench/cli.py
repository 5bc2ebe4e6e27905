"""The ``mnistbench`` command: a thin shell over the library.

Every error mnistbench raises on purpose is shown as one line, exit code 2.
"""

from __future__ import annotations

import json
import logging
import sys

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from mnistbench import __version__
from mnistbench.engines import ENGINES
from mnistbench.exceptions import MnistbenchError


def _console(stderr: bool = False) -> Console:
    # Made per call, so the width follows the terminal (and $COLUMNS) of now.
    return Console(stderr=stderr)


class CLIError(click.ClickException):
    """A one-line error; exit code 2 like click's usage errors."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MnistbenchError as exc:
            raise CLIError(str(exc)) from None


def _setup_logging(verbose: int) -> None:
    level = (
        logging.WARNING
        if verbose == 0
        else logging.INFO
        if verbose == 1
        else logging.DEBUG
    )
    handler = RichHandler(
        console=_console(stderr=True), show_time=False, show_path=False
    )
    # Python warnings (a broken plugin, say) become one log line each.
    logging.captureWarnings(True)
    for name in ("mnistbench", "py.warnings"):
        log = logging.getLogger(name)
        log.handlers[:] = [handler]
        log.setLevel(level)
        log.propagate = False
    # pooch announces each download on its own (unregistered) logger; the
    # progress bar already says it.
    import pooch

    pooch.get_logger().setLevel(level if verbose else logging.WARNING)


def _quiet_dask() -> None:
    """Dask logs lost connections and dead workers with tracebacks; the run
    reports what they mean in one line (or a row), so show them only at -vv."""
    try:
        import distributed  # noqa: F401  (configures its loggers on import)
    except ImportError:
        return  # the run says how to install it
    ours = logging.getLogger("mnistbench")
    debug = ours.getEffectiveLevel() <= logging.DEBUG
    if not debug:  # each row records its worker's versions
        import warnings

        from distributed.versions import VersionMismatchWarning

        warnings.filterwarnings("ignore", category=VersionMismatchWarning)
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in ("distributed", "tornado"):
            log = logging.getLogger(name)
            log.handlers[:] = ours.handlers if name == "distributed" else []
            log.setLevel(logging.WARNING if debug else logging.CRITICAL)
            log.propagate = name != "distributed"


data_home_option = click.option(
    "--data-home",
    type=click.Path(file_okay=False),
    default=None,
    help="Dataset cache folder [default: $MNISTBENCH_DATA_HOME or the user cache dir].",
)


# The job timeout's default, kept equal to runner.DEFAULT_TIMEOUT by a test
# (the CLI does not import the runner, and so scikit-learn, at start-up).
timeout_option = click.option(
    "--timeout",
    type=float,
    default=3600,
    show_default=True,
    help="Seconds before a job is killed and recorded as timeout.",
)
bench_dataset_option = click.option(
    "--dataset", "-d", default="fashion-mnist", show_default=True, help="Dataset."
)


def _out_option(help_text: str, default: str = "results"):
    """``--out``, the results folder, shared by the commands that use one."""
    return click.option(
        "--out",
        type=click.Path(file_okay=False),
        default=default,
        show_default=True,
        help=help_text,
    )


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mnistbench")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Benchmark classical machine learning on MNIST-style data."""
    _setup_logging(verbose)


@cli.command()
@data_home_option
def datasets(data_home: str | None) -> None:
    """List the datasets, their size and whether they are ready offline."""
    from mnistbench import data

    console = _console()
    table = Table(title="mnistbench datasets")
    missing = []
    for col in ("name", "train", "test", "download", "ready offline", "description"):
        table.add_column(
            col, justify="right" if col in ("train", "test", "download") else "left"
        )
    for name in data.available():
        spec = data.get_spec(name)
        if data.is_cached(name, data_home=data_home):
            ready = "[green]yes[/] (cached)"
        elif spec.builder is not None:
            ready = "[green]yes[/] (ships in a package)"
        elif data.has_local_files(spec, data_home):
            ready = "[green]yes[/] (files on disk)"
        else:
            ready = "[yellow]no[/]"
            missing.append(name)
        size = f"{spec.download_size / 1e6:.1f} MB" if spec.files else "-"
        table.add_row(
            name, f"{spec.n_train:,}", f"{spec.n_test:,}", size, ready, spec.description
        )
    console.print(table)
    console.print(f"cache: {data.get_data_home(data_home)}")
    if missing:
        console.print(
            f"not ready offline: {', '.join(missing)}; run `mnistbench fetch NAME` "
            "where the network is reachable, or pass --data-home DIR holding the files"
        )


class _Downloads:
    """Rich progress bars for pooch's downloads.

    The display starts with the first byte, so a run that downloads nothing
    (or fails before any server answers) prints nothing but its result.
    """

    def __init__(self) -> None:
        self._progress: Progress | None = None

    def bar(self, rf) -> _RichBar:
        return _RichBar(self, rf.name)

    def add_task(self, description: str, total: int | None):
        if self._progress is None:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=_console(stderr=True),
                transient=True,
            )
            self._progress.start()
        return self._progress, self._progress.add_task(description, total=total)

    def __enter__(self) -> _Downloads:
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()


class _RichBar:
    """The progress-bar protocol pooch expects (total, update, reset, close)."""

    def __init__(self, owner: _Downloads, description: str):
        self._owner = owner
        self._description = description
        self._progress: Progress | None = None
        self._task = None
        self._total: int | None = None

    @property
    def total(self) -> int | None:
        return self._total

    @total.setter
    def total(self, value: int) -> None:
        # pooch sets the total once the server answers: only then draw a bar.
        self._total = value or None
        self._progress, self._task = self._owner.add_task(
            self._description, self._total
        )

    def update(self, n: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def reset(self) -> None:
        if self._progress is not None:
            self._progress.reset(self._task, total=self._total)

    def close(self) -> None:
        pass


@cli.command()
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@data_home_option
def fetch(names: tuple[str, ...], data_home: str | None) -> None:
    """Download, verify (SHA-256) and cache datasets for offline use."""
    from mnistbench import data

    console = _console()
    for name in names:
        data.get_spec(name)  # an unknown name fails before any download
    for name in names:
        if data.is_cached(name, data_home=data_home):
            console.print(
                f"{name}: already cached in {data.get_data_home(data_home) / name}"
            )
            continue
        with _Downloads() as downloads:
            folder = data.fetch(name, data_home=data_home, progress=downloads.bar)
        ds = data.load(name, data_home=data_home, download=False)
        console.print(
            f"{name}: ready, {len(ds.y_train):,} train / {len(ds.y_test):,} test, "
            f"verified and cached in {folder}"
        )


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


def _by_accuracy(row) -> float:
    """Sort key: best accuracy first, failed jobs (None or NaN) last."""
    acc = row["accuracy"]
    return -acc if isinstance(acc, float) and acc == acc else 1.0


def _fmt(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return format(value, spec)


_STATUS_STYLE = {"ok": "green", "error": "red", "timeout": "yellow", "crashed": "red"}


def _results_table(rows, title: str) -> Table:
    """Result rows as a rich table narrow enough for an 80-column terminal."""
    several = len({r["dataset"] for r in rows}) > 1
    columns = [("dataset", "left")] if several else []
    columns += [
        ("pipeline", "left"),
        ("seed", "right"),
        ("status", "left"),
        ("accuracy", "right"),
        ("F1", "right"),
        ("fit s", "right"),
        ("pred s", "right"),
        ("MB", "right"),
        ("train", "right"),
    ]
    if not several and rows:
        title = f"{title} ({rows[0]['dataset']})"
    table = Table(title=title)
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=name != "dataset")
    for row in rows:
        style = _STATUS_STYLE.get(row["status"], "")
        cells = [row["dataset"]] if several else []
        cells += [
            row["pipeline"],
            str(row["seed"]),
            f"[{style}]{row['status']}[/]" if style else row["status"],
            _fmt(row["accuracy"], ".4f"),
            _fmt(row["f1_macro"], ".4f"),
            _fmt(row["fit_s"], ".2f"),
            _fmt(row["predict_s"], ".2f"),
            _fmt(row["peak_mem_mb"], ".0f"),
            _fmt(row["n_train"], ","),
        ]
        table.add_row(*cells)
    # Where each step ran matters once the engine is not stock scikit-learn.
    ran_on = [
        f"{r['pipeline']} ({r['engine']}): {r['ran_on']}"
        for r in rows
        if r.get("engine", "sklearn") != "sklearn" and isinstance(r.get("ran_on"), str)
    ]
    # Which Dask worker ran what (a local run has no workers).
    by_worker: dict[str, list[str]] = {}
    for r in rows:
        if isinstance(r.get("worker"), str) and r["worker"]:
            by_worker.setdefault(r["worker"], []).append(r["pipeline"])
    captions = []
    if ran_on:
        captions.append("ran on: " + "\n        ".join(ran_on))
    captions += [f"worker {w}: {', '.join(p)}" for w, p in by_worker.items()]
    if captions:
        table.caption = "\n".join(captions)
        table.caption_justify = "left"
    return table


@cli.command()
@click.argument("names", nargs=-1, metavar="[PIPELINE]...")
@click.option(
    "--all",
    "run_all",
    is_flag=True,
    help="Run the core group: the five classic baselines, and plugins.",
)
@click.option(
    "--group",
    "-g",
    "groups",
    multiple=True,
    metavar="GROUP",
    help="Run every pipeline of this group (repeatable), e.g. sota: deskewing "
    "and HOG features (see `mnistbench pipelines`).",
)
@click.option(
    "--dataset",
    "-d",
    "datasets",
    multiple=True,
    default=("mnist",),
    show_default=True,
    help="Dataset to run on (repeatable).",
)
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
@click.option(
    "--n-jobs",
    type=int,
    default=None,
    help="Jobs run at once; the cores are shared out among them "
    "[default: one per core, at most one per job].",
)
@click.option(
    "--train-size",
    type=int,
    default=None,
    help="Fit on a stratified subsample of this many training images.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="sklearn",
    show_default=True,
    help="Library that runs the pipelines: scikit-learn, scikit-learn-intelex "
    "(CPU) or cuML (GPU). The ran_on column says where each step ran.",
)
@timeout_option
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
@_out_option("Folder of leaderboard.csv, predictions/, plots/.")
@click.option("--resume", is_flag=True, help="Skip jobs that already have an ok row.")
@click.option("--force", is_flag=True, help="Run finished jobs again (adds new rows).")
@data_home_option
def run(
    names,
    run_all,
    groups,
    datasets,
    seeds,
    params,
    n_jobs,
    train_size,
    engine,
    timeout,
    scheduler,
    cluster,
    out,
    resume,
    force,
    data_home,
) -> None:
    """Fit and score pipelines; append the results to OUT/leaderboard.csv.

    Each job (dataset, pipeline, params, seed) runs in its own process under a
    hard timeout, here or on a Dask cluster's workers. Exit code 0 only if
    every job succeeded.
    """
    from mnistbench import pipelines, runner

    if run_all and names:
        raise CLIError("give pipeline names or --all, not both")
    if not (run_all or names or groups):
        raise CLIError(
            f"no pipeline given; name some ({', '.join(pipelines.available())}), "
            f"or use --all or --group ({', '.join(pipelines.groups())})"
        )
    if run_all:
        groups = (pipelines.DEFAULT_GROUP, *groups)
    try:
        by_group = [name for group in groups for name in pipelines.available(group)]
    except pipelines.UnknownPipelineError as exc:
        raise CLIError(str(exc)) from None
    chosen = list(dict.fromkeys([*names, *by_group]))
    if scheduler is not None or cluster is not None:
        _quiet_dask()
    console = _console()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} jobs"),
        TimeElapsedColumn(),
        console=_console(stderr=True),
    )
    task = None

    def on_start(jobs):
        nonlocal task
        progress.start()
        task = progress.add_task("running", total=len(jobs))

    def on_result(job, row):
        status = row["status"]
        detail = (
            f"accuracy {row['accuracy']:.4f}, fit {row['fit_s']:.1f} s"
            if status == "ok"
            else row["error"]
        )
        if str(row.get("warnings") or "").startswith("Retried:"):  # on Dask
            detail += f" ({row['warnings'].split(';')[0].lower()})"
        style = _STATUS_STYLE.get(status, "")
        progress.console.print(f"[{style}]{status:>7}[/] {job}: {detail}")
        progress.advance(task)

    try:
        with _Downloads() as downloads:
            summary = runner.run(
                chosen,
                datasets=datasets,
                seeds=seeds,
                params=_parse_params(params),
                n_jobs=n_jobs,
                train_size=train_size,
                engine=engine,
                timeout=timeout,
                scheduler=scheduler,
                cluster=cluster,
                out=out,
                resume=resume,
                force=force,
                data_home=data_home,
                download_progress=downloads.bar,
                on_start=on_start,
                on_result=on_result,
            )
    finally:
        if task is not None:
            progress.stop()
    if summary.skipped:
        console.print(f"skipped {len(summary.skipped)} job(s) already recorded as ok")
    rows = summary.rows.to_dict("records")
    rows.sort(key=_by_accuracy)
    if rows:
        console.print(_results_table(rows, f"run {summary.run_id}"))
    if summary.where != "here":
        console.print(f"ran on: {summary.where}")
    console.print(f"leaderboard: {summary.out_dir / 'leaderboard.csv'}")
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
        sys.exit(1)


@cli.command()
@_out_option("Results folder: its runs are read, the report written into it.")
@click.option(
    "--dataset",
    "-d",
    "datasets",
    multiple=True,
    help="Only this dataset (repeatable) [default: every dataset with results].",
)
@data_home_option
def report(out, datasets, data_home) -> None:
    """Write OUT/report.html and OUT/report.md from the stored runs.

    Per dataset: the leaderboard (mean ± std over seeds, bootstrap intervals),
    McNemar's exact test between every pair of pipelines (Holm-corrected), the
    accuracy/fit-time trade-off and its Pareto front, each pipeline's errors,
    published results beside ours, and where each run ran. Nothing is refitted.
    """
    from pathlib import Path

    from mnistbench import report as report_lib
    from mnistbench import results

    path = Path(out) / results.LEADERBOARD
    if not path.exists():
        raise CLIError(
            f"no leaderboard at {path}; run `mnistbench run` first or pass --out"
        )
    made = report_lib.build(out, datasets=list(datasets) or None, data_home=data_home)
    console = _console()
    console.print(f"report: {made.html} (self-contained) and {made.markdown}")
    console.print(
        f"datasets: {', '.join(made.datasets)}; {len(made.figures)} figures "
        f"(also in {made.markdown.parent / 'report_files'}/)"
    )


@cli.command()
@_out_option("Folder holding leaderboard.csv.")
@click.option("--dataset", "-d", default=None, help="Only this dataset.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "markdown"]),
    default="table",
    show_default=True,
)
def leaderboard(out, dataset, fmt) -> None:
    """Show the best ok row per (dataset, pipeline)."""
    from pathlib import Path

    from mnistbench import results

    path = Path(out) / results.LEADERBOARD
    if not path.exists():
        raise CLIError(
            f"no leaderboard at {path}; run `mnistbench run` first or pass --out"
        )
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
        _console().print(_results_table(best.to_dict("records"), f"best of {path}"))


@cli.group()
def bench() -> None:
    """Measure mnistbench itself: against hand-written scikit-learn, scaling,
    engines, and preprocessing."""


def _bench_progress(side: str, name: str, row: dict) -> None:
    status = row["status"]
    if status == "ok":
        detail = (
            f"accuracy {row['accuracy']:.4f}, "
            f"fit {row['fit_s']:.1f} s + predict {row['predict_s']:.1f} s"
        )
    else:
        detail = f"{status}: {row['error']}"
    _console(stderr=True).print(f"{side:>10} {name}: {detail}")


def _ratio(value: float) -> str:
    return "-" if value != value else f"{value:.1f}x"


@bench.command(name="peer")
@bench_dataset_option
@click.option(
    "--train-size", type=int, default=None, help="Fit on this many training images."
)
@click.option(
    "--n-jobs",
    type=int,
    default=None,
    help="mnistbench's jobs at once [default: as `mnistbench run`].",
)
@timeout_option
@_out_option(
    "Folder of peer-DATASET.csv and the runs' results.", default="results/bench"
)
@data_home_option
def bench_peer(dataset, train_size, n_jobs, timeout, out, data_home) -> None:
    """Time hand-written scikit-learn (the peer), then `mnistbench run`, and compare.

    The peer is plain scikit-learn defaults on pixels / 255, run one
    estimator at a time with every core. Its suite time is the sum of its fit
    and predict times; mnistbench's is the wall clock of the whole run (data
    loading, job processes, fit, predict, leaderboard, plots).
    """
    from mnistbench import bench as bench_lib

    result = bench_lib.compare_with_peer(
        dataset,
        train_size=train_size,
        n_jobs=n_jobs,
        timeout=timeout,
        out=out,
        data_home=data_home,
        on_result=_bench_progress,
    )
    table = Table(title=f"mnistbench vs hand-written scikit-learn ({dataset})")
    table.caption = "s: fit + predict seconds (suite: see below); threads: peer/ours"
    for col in (
        "pipeline",
        "peer s",
        "ours s",
        "ratio",
        "peer acc",
        "our acc",
        "diff",
        "threads",
    ):
        table.add_column(col, justify="left" if col == "pipeline" else "right")
    for row in result.table.to_dict("records"):
        if row["pipeline"] == "suite":
            table.add_section()
        table.add_row(
            row["pipeline"],
            f"{row['peer_s']:.1f}",
            f"{row['mnistbench_s']:.1f}",
            _ratio(row["speedup"]),
            _fmt(row["peer_accuracy"], ".4f"),
            _fmt(row["accuracy"], ".4f"),
            _fmt(row["accuracy_diff"], "+.4f"),
            f"{row['peer_threads']}/{row['threads']}",
        )
    console = _console()
    console.print(table)
    suite = result.suite
    per = result.table[result.table["pipeline"] != "suite"]
    slower = ", ".join(per.loc[~per["faster"], "pipeline"]) or "none"
    worse = ", ".join(per.loc[~per["as_accurate"], "pipeline"]) or "none"
    console.print(
        f"suite: {suite['peer_s']:.1f} s (peer, fit + predict) / "
        f"{suite['mnistbench_s']:.1f} s (mnistbench, whole run) = "
        f"[bold]{suite['speedup']:.1f}x[/]\n"
        f"slower than their peer: {slower}; less accurate than their peer: {worse}\n"
        f"memory bound of the run: {suite['peak_mem_mb']:.0f} MB "
        "(this process + the largest jobs running at once)\n"
        f"threads: peer/mnistbench per job; {suite['n_cores']} cores, {suite['cpu']}\n"
        f"wrote {result.csv}"
    )


@bench.command(name="scaling")
@bench_dataset_option
@click.option(
    "--sizes",
    default=",".join(str(s) for s in (1000, 2000, 5000, 10000, 20000, 60000)),
    show_default=True,
    help="Training sizes, comma-separated.",
)
@click.argument("names", nargs=-1, metavar="[PIPELINE]...")
@click.option("--n-jobs", type=int, default=None, help="Jobs at once.")
@timeout_option
@_out_option(
    "Folder of scaling-DATASET.csv/.png and the runs' results.", default="results/bench"
)
@data_home_option
def bench_scaling(dataset, sizes, names, n_jobs, timeout, out, data_home) -> None:
    """Fit/predict time and accuracy against n_train, with log-log slopes.

    Runs the pipelines (default: all) at each training size.
    """
    from mnistbench import bench as bench_lib

    try:
        size_list = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        raise CLIError(
            f"--sizes {sizes!r}: expected whole numbers separated by commas, "
            "e.g. 1000,5000,60000"
        ) from None
    result = bench_lib.scaling(
        dataset,
        sizes=size_list,
        pipeline_names=list(names) or None,
        n_jobs=n_jobs,
        timeout=timeout,
        out=out,
        data_home=data_home,
        on_result=lambda job, row: _bench_progress(
            f"n={job.n_train:,}", job.pipeline, row
        ),
    )
    points = result.points
    table = Table(title=f"scaling on {dataset}: seconds and accuracy by n_train")
    table.add_column("pipeline")
    ns = sorted(points["n_train"].unique())
    for n in ns:
        table.add_column(f"{n:,}", justify="right")
    table.add_column("fit slope", justify="right")
    table.add_column("predict slope", justify="right")
    slopes = result.slopes.set_index("pipeline")
    for name, group in points.groupby("pipeline", sort=False):
        by_n = group.set_index("n_train")
        cells = []
        for n in ns:
            if n in by_n.index and by_n.loc[n, "status"] == "ok":
                r = by_n.loc[n]
                cells.append(f"{r['fit_s'] + r['predict_s']:.1f} s {r['accuracy']:.3f}")
            else:
                cells.append("-")
        table.add_row(
            name,
            *cells,
            _fmt(slopes.loc[name, "fit_slope"], ".2f"),
            _fmt(slopes.loc[name, "predict_slope"], ".2f"),
        )
    console = _console()
    console.print(table)
    console.print(
        "cells: fit + predict seconds, test accuracy; slope: d log t / d log n"
    )
    for path in result.files:
        console.print(f"wrote {path}")
    if (points["status"] != "ok").any():
        console.print(f"[red]{int((points['status'] != 'ok').sum())} job(s) failed[/]")
        sys.exit(1)


@bench.command(name="engines")
@click.argument("names", nargs=-1, metavar="[PIPELINE]...")
@bench_dataset_option
@click.option(
    "--engine",
    "engine_names",
    type=click.Choice(ENGINES),
    multiple=True,
    help="Engine to compare (repeatable); the first is the baseline "
    "[default: every engine that can run here: sklearn, and sklearnex and "
    "cuml where installed].",
)
@click.option(
    "--train-size", type=int, default=None, help="Fit on this many training images."
)
@click.option("--n-jobs", type=int, default=None, help="Jobs at once.")
@timeout_option
@_out_option(
    "Folder of engines-DATASET.csv and the runs' results.", default="results/bench"
)
@data_home_option
def bench_engines(
    names, dataset, engine_names, train_size, n_jobs, timeout, out, data_home
) -> None:
    """Run the pipelines (default: all) with each engine, and compare.

    Each engine's side is a real `mnistbench run`; the suite time is its wall
    clock. Ratios are the first engine's seconds over each engine's.
    """
    from mnistbench import bench as bench_lib

    result = bench_lib.compare_engines(
        dataset,
        engine_names=engine_names or None,
        pipeline_names=list(names) or None,
        train_size=train_size,
        n_jobs=n_jobs,
        timeout=timeout,
        out=out,
        data_home=data_home,
        on_result=lambda job, row: _bench_progress(job.engine, job.pipeline, row),
    )
    base = result.table["engine"].iloc[0]
    table = Table(title=f"engines on {dataset}: fit + predict seconds")
    table.caption = f"ratio: {base}'s seconds / the engine's (suite: whole runs)"
    for col in ("pipeline", "engine", "s", "ratio", "accuracy", "diff", "ran on"):
        right = col in ("s", "ratio", "accuracy", "diff")
        table.add_column(
            col,
            justify="right" if right else "left",
            overflow="fold" if col == "ran on" else "ellipsis",
        )
    rows = result.table.to_dict("records")
    for i, row in enumerate(rows):
        if row["pipeline"] == "suite" and rows[i - 1]["pipeline"] != "suite":
            table.add_section()
        ran_on = row.get("ran_on")
        table.add_row(
            row["pipeline"],
            row["engine"],
            _fmt(row["seconds"], ".1f"),
            _ratio(row["speedup"]),
            _fmt(row.get("accuracy"), ".4f"),
            _fmt(row.get("accuracy_diff"), "+.4f"),
            ran_on if isinstance(ran_on, str) else "",
        )
    console = _console()
    console.print(table)
    console.print(f"wrote {result.csv}")
    if (result.table["status"] != "ok").any():
        console.print("[red]some jobs failed[/]")
        sys.exit(1)


def _step_name(est) -> str:
    from sklearn.pipeline import FeatureUnion, Pipeline

    if est == "passthrough":
        return "·"
    if isinstance(est, FeatureUnion):
        parts = [_step_name(part) for _, part in est.transformer_list]
        return " + ".join(f"({p})" if " " in p else p for p in parts)
    if isinstance(est, Pipeline):
        return " → ".join(_step_name(part) for _, part in est.steps)
    return type(est).__name__


@bench.command(name="preprocessing")
@click.argument("classifiers", nargs=-1, metavar="[CLASSIFIER]...")
@bench_dataset_option
@click.option(
    "--train-size", type=int, default=None, help="Fit on this many training images."
)
@click.option("--n-jobs", type=int, default=None, help="Jobs at once.")
@timeout_option
@_out_option(
    "Folder of preprocessing-DATASET.csv and the runs' results.",
    default="results/bench",
)
@data_home_option
def bench_preprocessing(
    classifiers, dataset, train_size, n_jobs, timeout, out, data_home
) -> None:
    """Each classifier on raw pixels, deskewed images and HOG features.

    CLASSIFIER is a raw pipeline (svm) whose variants (deskew_svm, hog_svm)
    are registered [default: every such one: knn, svm]. All run in one
    `mnistbench run`; ratios are each variant's seconds over the raw one's.
    """
    from mnistbench import bench as bench_lib

    result = bench_lib.compare_preprocessing(
        dataset,
        classifiers=list(classifiers) or None,
        train_size=train_size,
        n_jobs=n_jobs,
        timeout=timeout,
        out=out,
        data_home=data_home,
        on_result=lambda job, row: _bench_progress("", job.pipeline, row),
    )
    table = Table(title=f"preprocessing on {dataset}: fit + predict seconds")
    table.caption = "diff: accuracy - raw's; ratio: seconds / raw's"
    for col in ("classifier", "input", "pipeline", "accuracy", "diff", "s", "ratio"):
        table.add_column(col, justify="left" if col[0] in "cip" else "right")
    rows = result.table.to_dict("records")
    for i, row in enumerate(rows):
        first = i == 0 or rows[i - 1]["classifier"] != row["classifier"]
        if first and i:
            table.add_section()
        raw = row["preprocessing"] == "raw"
        table.add_row(
            row["classifier"] if first else "",
            row["preprocessing"],
            row["pipeline"],
            _fmt(row["accuracy"], ".4f"),
            "" if raw else _fmt(row["accuracy_diff"], "+.4f"),
            _fmt(row["seconds"], ".1f"),
            "" if raw else _ratio(row["slowdown"]),
        )
    console = _console()
    console.print(table)
    console.print(f"wrote {result.csv}")
    if (result.table["status"] != "ok").any():
        console.print("[red]some jobs failed[/]")
        sys.exit(1)


@cli.command(name="pipelines")
def pipelines_cmd() -> None:
    """List the registered pipelines."""
    from mnistbench import pipelines

    table = Table(title="mnistbench pipelines")
    table.caption = (
        f"run --all runs the {pipelines.DEFAULT_GROUP} group; --group NAME runs a group"
    )
    table.add_column("name")
    table.add_column("group")
    table.add_column("steps")
    table.add_column("summary")
    for name in pipelines.available():
        entry = pipelines.info(name)
        table.add_row(name, entry.group, _step_name(pipelines.get(name)), entry.summary)
    _console().print(table)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def info(as_json: bool) -> None:
    """Show versions, CPU, cores, BLAS threads and GPU."""
    from mnistbench.envinfo import environment

    env = environment()
    if as_json:
        click.echo(json.dumps(env, indent=2))
        return
    console = _console()
    table = Table(title="mnistbench environment", show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    for key in (
        "python_version",
        "platform",
        "cpu",
        "n_cores",
        "n_physical_cores",
        "blas_threads",
        "gpu",
    ):
        table.add_row(key, str(env[key]))
    for lib in env["blas"]:
        table.add_row(
            f"threadpool {lib['user_api']}",
            f"{lib['api']} {lib['version'] or ''} ({lib['library']}), "
            f"{lib['num_threads']} threads",
        )
    for pkg, version in env["versions"].items():
        table.add_row(pkg, version or "[dim]not installed[/]")
    console.print(table)


def main() -> None:
    """Console-script entry point (click turns Ctrl-C into "Aborted!", exit 1)."""
    cli.main(prog_name="mnistbench")
