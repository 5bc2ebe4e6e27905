"""The data commands: ``mnistbench datasets``, ``fetch`` and ``info``."""

from __future__ import annotations

import json
import time

import click
from rich.table import Table

from mnistbench.cli._output import Downloads, get_console
from mnistbench.cli.common_args import (
    data_home_option,
    image_shape_option,
    test_fraction_option,
)

__all__ = ["datasets", "fetch", "info"]


@click.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@data_home_option
@test_fraction_option
@image_shape_option
def datasets(paths, data_home: str | None, test_fraction, image_shape) -> None:
    """List the datasets, their size and whether they are ready offline.

    With PATHs (your own data: an IDX folder, a folder of .npy files such as
    an MNIST-C corruption's, a .npz, CSV files), read and
    check each one and describe it: images, classes, counts, content hash.
    """
    from mnistbench import data

    console = get_console()
    if paths:
        for path in paths:
            start = time.perf_counter()
            ds = data.load(
                path,
                data_home=data_home,
                test_fraction=test_fraction,
                image_shape=image_shape,
            )
            console.print(_describe(ds, time.perf_counter() - start))
        return
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
    console.print(
        "your own data: `mnistbench datasets PATH` checks and describes an IDX "
        "folder, a folder of .npy files, a .npz or CSV files; `mnistbench run "
        "-d PATH` runs on it"
    )
    if missing:
        console.print(
            f"not ready offline: {', '.join(missing)}; run `mnistbench fetch NAME` "
            "where the network is reachable, or pass --data-home DIR holding the files"
        )


def _describe(ds, seconds: float) -> Table:
    """One dataset's description: sizes, image shape, classes and counts."""
    h, w = ds.image_shape
    table = Table(title=f"{ds.name}: valid", show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value", overflow="fold")
    train, test = ds.counts("train"), ds.counts("test")
    rows = [
        ("train / test", f"{len(ds.y_train):,} / {len(ds.y_test):,} images"),
        ("image", f"{h}x{w} pixels ({ds.n_features} features), float32 in [0, 1]"),
        ("classes", f"{ds.n_classes}"),
        ("sha256", ds.sha256),
        ("source", ds.source),
        ("load", f"{seconds:.2f} s"),
    ]
    if ds.split:
        rows.insert(1, ("split", ds.split))
    for key, value in rows:
        table.add_row(key, value)
    shown = 30
    for k, name in enumerate(ds.class_names[:shown]):
        table.add_row(f"  {k}: {name}", f"{train[k]:,} train / {test[k]:,} test")
    if ds.n_classes > shown:
        table.add_row("  ...", f"{ds.n_classes - shown} more classes")
    return table


@click.command()
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@data_home_option
def fetch(names: tuple[str, ...], data_home: str | None) -> None:
    """Download, verify (SHA-256) and cache datasets for offline use."""
    from mnistbench import data

    console = get_console()
    for name in names:
        data.get_spec(name)  # an unknown name fails before any download
    for name in names:
        if data.is_cached(name, data_home=data_home):
            console.print(
                f"{name}: already cached in {data.get_data_home(data_home) / name}"
            )
            continue
        with Downloads() as downloads:
            folder = data.fetch(name, data_home=data_home, progress=downloads.bar)
        ds = data.load(name, data_home=data_home, download=False)
        console.print(
            f"{name}: ready, {len(ds.y_train):,} train / {len(ds.y_test):,} test, "
            f"verified and cached in {folder}"
        )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def info(as_json: bool) -> None:
    """Show versions, CPU, cores, BLAS threads and GPU."""
    from mnistbench.envinfo import environment

    env = environment()
    if as_json:
        click.echo(json.dumps(env, indent=2))
        return
    console = get_console()
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
