"""``mnistbench corruptions``: the registered corruptions of test images."""

from __future__ import annotations

import click
from rich.table import Table
from rich.text import Text

from mnistbench.cli._output import get_console

__all__ = ["corruptions_cmd"]


@click.command(name="corruptions")
def corruptions_cmd() -> None:
    """List the corruptions `mnistbench run --corruptions` takes."""
    from mnistbench import corruptions

    table = Table(title="mnistbench corruptions")
    table.caption = (
        "run --corruptions all|NAME,... --severity 1..5|all scores every job on "
        "its test set under each one too (OUT/robustness.csv)"
    )
    table.add_column("name")
    table.add_column("source")
    table.add_column("follows")
    table.add_column("summary")
    for name in corruptions.available():
        entry = corruptions.info(name)
        table.add_row(
            Text(name), Text(entry.source), Text(entry.reference), Text(entry.summary)
        )
    get_console().print(table)
