"""``mnistbench publish``: one zip archive of a results folder, checkable alone."""

from __future__ import annotations

import click
from rich.markup import escape

from mnistbench.cli._output import get_console
from mnistbench.cli.common_args import data_home_option

__all__ = ["publish"]


@click.command()
@click.argument("out", type=click.Path())
@click.option(
    "--zip",
    "zip_path",
    required=True,
    type=click.Path(),
    metavar="FILE",
    help="The archive to write (NAME.zip, outside OUT); it unpacks to one "
    "folder, NAME.",
)
@data_home_option
def publish(out, zip_path, data_home) -> None:
    """Pack the results folder OUT into one zip archive a reader checks alone.

    The archive holds the rows (leaderboard.csv, and trials, refits,
    robustness and commands where there are), every stored prediction, the
    test set of every dataset the rows were scored on, a report built from
    the archive alone (and report-pr.md, ready for a pull request), the
    machines (environment.json), the commands that made the rows
    (COMMANDS.md) and a README.md saying how to check it: `mnistbench report`
    and `mnistbench compare` run on it unpacked, with no dataset cache and no
    network. Nothing is written inside OUT.
    """
    from mnistbench.publish import publish as publish_folder

    made = publish_folder(out, zip_path, data_home=data_home)
    console = get_console()
    console.print(
        f"archive: {escape(str(made.zip_path))} ({made.size:,} bytes, "
        f"{len(made.files)} files)"
    )
    console.print(
        f"{made.n_rows} rows of {escape(', '.join(made.datasets))} from "
        f"{len(made.machines)} machine(s); commands: {made.commands_recorded} "
        f"recorded, {made.commands_reconstructed} reconstructed from the rows"
    )
