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
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from mnistbench import __version__
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
    root = logging.getLogger("mnistbench")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # pooch announces each download on its own (unregistered) logger; the
    # progress bar already says it.
    import pooch

    pooch.get_logger().setLevel(level if verbose else logging.WARNING)


data_home_option = click.option(
    "--data-home",
    type=click.Path(file_okay=False),
    default=None,
    help="Dataset cache folder [default: $MNISTBENCH_DATA_HOME or the user cache dir].",
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
    """Console-script entry point."""
    try:
        cli.main(prog_name="mnistbench")
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
