"""``mnistbench report``: a reviewer's report of a results folder."""

from __future__ import annotations

import click

from mnistbench.cli._output import get_console
from mnistbench.cli.common_args import (
    data_home_option,
    datasets_option,
    existing_leaderboard,
    out_option,
)

__all__ = ["report"]


@click.command()
@out_option("Results folder: its runs are read, the report written into it.")
@datasets_option(
    None, "Only this dataset (repeatable) [default: every dataset with results]."
)
@data_home_option
def report(out, datasets, data_home) -> None:
    """Write OUT/report.html and OUT/report.md from the stored runs.

    Per dataset: the leaderboard (mean ± std over seeds, bootstrap intervals),
    McNemar's exact test between every pair of pipelines (Holm-corrected), the
    accuracy/fit-time trade-off and its Pareto front, each pipeline's errors,
    published results beside ours, and where each run ran. Nothing is refitted.
    """
    from mnistbench import report as report_lib

    existing_leaderboard(out)
    made = report_lib.build(out, datasets=list(datasets) or None, data_home=data_home)
    console = get_console()
    console.print(f"report: {made.html} (self-contained) and {made.markdown}")
    console.print(
        f"datasets: {', '.join(made.datasets)}; {len(made.figures)} figures "
        f"(also in {made.markdown.parent / 'report_files'}/)"
    )
