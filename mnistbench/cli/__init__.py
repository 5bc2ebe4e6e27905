"""The ``mnistbench`` command: a thin shell over the library.

One module per command family, each a click command over library functions:
:mod:`~mnistbench.cli.data` (``datasets``, ``fetch``, ``info``),
:mod:`~mnistbench.cli.run` (``run``, ``leaderboard``),
:mod:`~mnistbench.cli.tune` (``tune``),
:mod:`~mnistbench.cli.report` (``report``),
:mod:`~mnistbench.cli.publish` (``publish``),
:mod:`~mnistbench.cli.merge` (``merge``),
:mod:`~mnistbench.cli.compare` (``compare``), :mod:`~mnistbench.cli.bench`
(``bench ...``), :mod:`~mnistbench.cli.pipelines` (``pipelines``) and
:mod:`~mnistbench.cli.corruptions` (``corruptions``). The
options several commands share are defined once, in
:mod:`~mnistbench.cli.common_args`. Every error mnistbench raises on purpose
is shown as one line, exit code 2. Nothing imports this package.

To add a command, write it in a module here and add it to :data:`COMMANDS`.
"""

from __future__ import annotations

import click

from mnistbench import __version__
from mnistbench.cli._setup import Group, setup_logging
from mnistbench.cli.bench import bench
from mnistbench.cli.compare import compare
from mnistbench.cli.corruptions import corruptions_cmd
from mnistbench.cli.data import datasets, fetch, info
from mnistbench.cli.merge import merge
from mnistbench.cli.pipelines import pipelines_cmd
from mnistbench.cli.publish import publish
from mnistbench.cli.report import report
from mnistbench.cli.run import leaderboard, run
from mnistbench.cli.tune import tune

__all__ = ["cli", "main"]

COMMANDS = (
    datasets,
    fetch,
    run,
    tune,
    report,
    publish,
    merge,
    leaderboard,
    compare,
    bench,
    pipelines_cmd,
    corruptions_cmd,
    info,
)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mnistbench")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Benchmark classical machine learning on MNIST-style data."""
    setup_logging(verbose)
    # this command's main module is safe to import again: jobs may start
    # from a fork server that has imported scikit-learn once
    from mnistbench._jobserver import use_job_server

    use_job_server()


for _command in COMMANDS:
    cli.add_command(_command)
del _command


def main() -> None:
    """Console-script entry point (click turns Ctrl-C into "Aborted!", exit 1)."""
    cli.main(prog_name="mnistbench")
