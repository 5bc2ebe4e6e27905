"""``mnistbench bench``: mnistbench measured against peers, sizes, engines and
preprocessing (each a thin shell over :mod:`mnistbench.bench`)."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from mnistbench.cli._output import (
    CLIError,
    bench_progress,
    fmt,
    get_console,
    ratio,
)
from mnistbench.cli.common_args import (
    data_home_option,
    dataset_option,
    engine_option,
    n_jobs_option,
    out_option,
    timeout_option,
    train_size_option,
)

__all__ = ["bench"]

BENCH_OUT = "results/bench"


@click.group()
def bench() -> None:
    """Measure mnistbench itself: against hand-written scikit-learn, scaling,
    engines, and preprocessing."""


def _finish(table: Table, files, failed: int, note: str = "") -> None:
    """Print ``table``, the note and the files written; exit 1 if jobs failed."""
    console = get_console()
    console.print(table)
    if note:
        console.print(note)
    for path in files:
        console.print(f"wrote {path}")
    if failed:
        console.print(f"[red]{failed} job(s) failed[/]")
        sys.exit(1)


@bench.command(name="peer")
@dataset_option()
@click.option(
    "--peer",
    type=click.Choice(("sklearn", "sklearnex")),
    default="sklearn",
    show_default=True,
    help="The peer: plain scikit-learn, or the same code after "
    "sklearnex.patch_sklearn().",
)
@engine_option(
    default="sklearn", show_default=True, help="The engine of mnistbench's run."
)
@train_size_option
@n_jobs_option("mnistbench's jobs at once [default: as `mnistbench run`].")
@timeout_option
@out_option("Folder of peer-DATASET.csv and the runs' results.", default=BENCH_OUT)
@data_home_option
def bench_peer(dataset, peer, **options) -> None:
    """Time hand-written scikit-learn (the peer), then `mnistbench run`, and compare.

    The peer is plain scikit-learn defaults on pixels / 255, run one
    estimator at a time with every core (with --peer sklearnex: the same code
    under sklearnex.patch_sklearn()). Its suite time is the sum of its fit
    and predict times; mnistbench's is the wall clock of the whole run (data
    loading, job processes, fit, predict, leaderboard, plots). The table is
    written to peer-DATASET.csv, or peer-DATASET-PEER-peer-ENGINE.csv when
    either side is not plain scikit-learn.
    """
    from mnistbench import bench as bench_lib

    result = bench_lib.compare_with_peer(
        dataset, peer=peer, on_result=bench_progress, **options
    )
    who = "hand-written scikit-learn" + (" + patch_sklearn()" * (peer == "sklearnex"))
    engine = options["engine"]
    table = Table(title=f"mnistbench ({engine} engine) vs {who} ({dataset})")
    table.caption = "s: fit + predict seconds (suite: see below); threads: peer/ours"
    columns = ("peer s", "ours s", "ratio", "peer acc", "our acc", "diff", "threads")
    table.add_column("pipeline")
    for col in columns:
        table.add_column(col, justify="right")
    for row in result.table.to_dict("records"):
        if row["pipeline"] == "suite":
            table.add_section()
        table.add_row(
            row["pipeline"],
            f"{row['peer_s']:.1f}",
            f"{row['mnistbench_s']:.1f}",
            ratio(row["speedup"]),
            fmt(row["peer_accuracy"], ".4f"),
            fmt(row["accuracy"], ".4f"),
            fmt(row["accuracy_diff"], "+.4f"),
            f"{row['peer_threads']}/{row['threads']}",
        )
    suite = result.suite
    per = result.table[result.table["pipeline"] != "suite"]
    slower = ", ".join(per.loc[~per["faster"], "pipeline"]) or "none"
    worse = ", ".join(per.loc[~per["as_accurate"], "pipeline"]) or "none"
    note = (
        f"suite: {suite['peer_s']:.1f} s (peer, fit + predict) / "
        f"{suite['mnistbench_s']:.1f} s (mnistbench, whole run) = "
        f"[bold]{suite['speedup']:.1f}x[/]\n"
        f"slower than their peer: {slower}; less accurate than their peer: {worse}\n"
        f"memory bound of the run: {suite['peak_mem_mb']:.0f} MB "
        "(this process + the largest jobs running at once)\n"
        f"cores kept busy: the jobs' CPU seconds / cores = "
        f"{suite['ideal_wall_s']:.1f} s; the run took "
        f"{suite['wall_over_ideal']:.2f}x that\n"
        f"threads: peer/mnistbench per job; {suite['n_cores']} cores, {suite['cpu']}"
    )
    _finish(table, [result.csv], 0, note)


@bench.command(name="scaling")
@dataset_option()
@click.option(
    "--sizes",
    default=",".join(str(s) for s in (1000, 2000, 5000, 10000, 20000, 60000)),
    show_default=True,
    help="Training sizes, comma-separated.",
)
@click.argument("names", nargs=-1, metavar="[PIPELINE]...")
@n_jobs_option()
@timeout_option
@out_option(
    "Folder of scaling-DATASET.csv/.png and the runs' results.", default=BENCH_OUT
)
@data_home_option
def bench_scaling(dataset, sizes, names, **options) -> None:
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
        on_result=lambda job, row: bench_progress(
            f"n={job.n_train:,}", job.pipeline, row
        ),
        **options,
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
            fmt(slopes.loc[name, "fit_slope"], ".2f"),
            fmt(slopes.loc[name, "predict_slope"], ".2f"),
        )
    note = "cells: fit + predict seconds, test accuracy; slope: d log t / d log n"
    _finish(table, result.files, int((points["status"] != "ok").sum()), note)


@bench.command(name="engines")
@click.argument("names", nargs=-1, metavar="[PIPELINE]...")
@dataset_option()
@engine_option(
    "engine_names",
    multiple=True,
    help="Engine to compare (repeatable); the first is the baseline "
    "[default: every engine that can run here: sklearn, and sklearnex and "
    "cuml where installed].",
)
@train_size_option
@n_jobs_option()
@timeout_option
@out_option("Folder of engines-DATASET.csv and the runs' results.", default=BENCH_OUT)
@data_home_option
def bench_engines(names, dataset, engine_names, **options) -> None:
    """Run the pipelines (default: all) with each engine, and compare.

    Each engine's side is a real `mnistbench run`; the suite time is its wall
    clock. Ratios are the first engine's seconds over each engine's.
    """
    from mnistbench import bench as bench_lib

    result = bench_lib.compare_engines(
        dataset,
        engine_names=engine_names or None,
        pipeline_names=list(names) or None,
        on_result=lambda job, row: bench_progress(job.engine, job.pipeline, row),
        **options,
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
        diff = fmt(row.get("accuracy_diff"), "+.4f")
        table.add_row(
            row["pipeline"],
            row["engine"],
            fmt(row["seconds"], ".1f"),
            ratio(row["speedup"]),
            fmt(row.get("accuracy"), ".4f"),
            f"[red]{diff} ![/]" if row.get("parity") is False else diff,
            ran_on if isinstance(ran_on, str) else "",
        )
    per = result.table[result.table["pipeline"] != "suite"]
    outside = [f"{r.pipeline} ({r.engine})" for r in result.outside.itertuples()]
    band = f"±{bench_lib.PARITY} of {base}'s accuracy"
    note = (
        f"[red]! outside {band}: {', '.join(outside)}[/]"
        if outside
        else f"every engine within {band}"
    )
    _finish(table, [result.csv], int((per["status"] != "ok").sum()), note)


@bench.command(name="preprocessing")
@click.argument("classifiers", nargs=-1, metavar="[CLASSIFIER]...")
@dataset_option()
@train_size_option
@n_jobs_option()
@timeout_option
@out_option(
    "Folder of preprocessing-DATASET.csv and the runs' results.", default=BENCH_OUT
)
@data_home_option
def bench_preprocessing(classifiers, dataset, **options) -> None:
    """Each classifier on raw pixels, deskewed images and HOG features.

    CLASSIFIER is a raw pipeline (svm) whose variants (deskew_svm, hog_svm)
    are registered [default: every such one: knn, svm]. All run in one
    `mnistbench run`; ratios are each variant's seconds over the raw one's.
    """
    from mnistbench import bench as bench_lib

    result = bench_lib.compare_preprocessing(
        dataset,
        classifiers=list(classifiers) or None,
        on_result=lambda job, row: bench_progress("", job.pipeline, row),
        **options,
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
            fmt(row["accuracy"], ".4f"),
            "" if raw else fmt(row["accuracy_diff"], "+.4f"),
            fmt(row["seconds"], ".1f"),
            "" if raw else ratio(row["slowdown"]),
        )
    failed = int((result.table["status"] != "ok").sum())
    _finish(table, [result.csv], failed)
