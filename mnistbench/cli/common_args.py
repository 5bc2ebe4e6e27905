"""The options that several commands share, each defined once here."""

from __future__ import annotations

from pathlib import Path

import click

from mnistbench.engines import ENGINES

__all__ = [
    "data_home_option",
    "dataset_option",
    "datasets_option",
    "engine_option",
    "existing_leaderboard",
    "format_option",
    "group_option",
    "image_shape_option",
    "n_jobs_option",
    "out_option",
    "test_fraction_option",
    "timeout_option",
    "train_size_option",
]

data_home_option = click.option(
    "--data-home",
    type=click.Path(file_okay=False),
    default=None,
    help="Dataset cache folder [default: $MNISTBENCH_DATA_HOME or the user cache dir].",
)

# The job timeout's default, kept equal to jobs.DEFAULT_TIMEOUT by a test
# (the CLI does not import the runner, and so scikit-learn, at start-up).
timeout_option = click.option(
    "--timeout",
    type=float,
    default=3600,
    show_default=True,
    help="Seconds before a job is killed and recorded as timeout.",
)

train_size_option = click.option(
    "--train-size",
    type=int,
    default=None,
    help="Fit on a stratified subsample of this many training images.",
)


def dataset_option(default: str | None = "fashion-mnist", help_text: str = "Dataset."):
    """``--dataset``/``-d``: one dataset."""
    return click.option(
        "--dataset", "-d", default=default, show_default=bool(default), help=help_text
    )


test_fraction_option = click.option(
    "--test-fraction",
    type=float,
    default=None,
    metavar="F",
    help="For data without a labelled test set: the share of the training set "
    "split off as one, stratified, seed 0 [default: 1/7, MNIST's ratio].",
)

image_shape_option = click.option(
    "--image-shape",
    default=None,
    metavar="HxW",
    help="Image height and width, for flat images whose pixel count is not a "
    "square [default: from the files].",
)


def group_option(help_text: str):
    """``--group``/``-g``, repeatable: every pipeline of a group."""
    return click.option(
        "--group", "-g", "groups", multiple=True, metavar="GROUP", help=help_text
    )


def n_jobs_option(help_text: str = "Jobs at once."):
    """``--n-jobs``: how many jobs run side by side here."""
    return click.option("--n-jobs", type=int, default=None, help=help_text)


def out_option(help_text: str, default: str = "results"):
    """``--out``, the results folder, shared by the commands that use one."""
    return click.option(
        "--out",
        type=click.Path(file_okay=False),
        default=default,
        show_default=True,
        help=help_text,
    )


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "csv"]),
    default="table",
    show_default=True,
    help="A rich table; Markdown (for a pull-request comment); or CSV.",
)


def engine_option(*names: str, **kwargs):
    """``--engine``: one of the engines (``multiple=True`` for several)."""
    return click.option("--engine", *names, type=click.Choice(ENGINES), **kwargs)


def datasets_option(
    default: tuple[str, ...] | None, help_text: str, metavar: str = "NAME"
):
    """``--dataset``/``-d``, repeatable: the datasets to work on."""
    shown = {"default": default, "show_default": True} if default else {}
    return click.option(
        "--dataset",
        "-d",
        "datasets",
        multiple=True,
        metavar=metavar,
        help=help_text,
        **shown,
    )


def existing_leaderboard(out) -> Path:
    """``OUT/leaderboard.csv``, or a one-line error if there is none."""
    from mnistbench.cli._output import CLIError
    from mnistbench.results import LEADERBOARD

    path = Path(out) / LEADERBOARD
    if not path.exists():  # a name too long: the command's one line says so
        raise CLIError(
            f"no leaderboard at {path}; run `mnistbench run` first or pass --out"
        )
    return path
