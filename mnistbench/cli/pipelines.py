"""``mnistbench pipelines [NAME]``: the registered pipelines, their groups and
steps, or one pipeline, its documentation and its search space."""

from __future__ import annotations

import click
from rich.table import Table
from rich.text import Text

from mnistbench.cli._output import get_console

__all__ = ["pipelines_cmd"]


def _step_name(est) -> str:
    from sklearn.pipeline import FeatureUnion, Pipeline

    if est == "passthrough":
        return "·"
    if isinstance(est, FeatureUnion):
        parts = [_step_name(part) for _, part in est.transformer_list]
        return " + ".join(f"({p})" if " " in p else p for p in parts)
    if isinstance(est, Pipeline):
        return (
            " → ".join(
                _step_name(part) for _, part in est.steps if part != "passthrough"
            )
            or "·"
        )
    from mnistbench.engines import wrapped_estimator

    inner = wrapped_estimator(est)
    if inner is not None:  # a meta-estimator: Augmented(HOG → SVC)
        return f"{type(est).__name__}({_step_name(inner)})"
    return type(est).__name__


@click.command(name="pipelines")
@click.argument("name", required=False)
def pipelines_cmd(name: str | None) -> None:
    """List the registered pipelines, or show pipeline NAME and its search space."""
    if name is not None:
        _show_pipeline(name)
        return
    from mnistbench import pipelines

    table = Table(title="mnistbench pipelines")
    table.caption = (
        f"run --all runs the {pipelines.DEFAULT_GROUP} group; --group NAME runs a "
        "group; pipelines NAME shows one and its search space"
    )
    table.add_column("name")
    table.add_column("group")
    table.add_column("steps")
    table.add_column("space")
    table.add_column("summary")
    for name in pipelines.available():
        entry = pipelines.info(name)
        table.add_row(
            Text(name),
            Text(entry.group),
            Text(_step_name(pipelines.get(name))),
            "yes" if entry.space is not None else "[dim]none[/]",
            Text(entry.summary),
        )
    get_console().print(table)


def _show_pipeline(name: str) -> None:
    """One pipeline: what it is, its documentation and its search space."""
    from mnistbench import pipelines

    entry = pipelines.info(name)  # UnknownPipelineError: one line, exit 2
    steps = _step_name(pipelines.get(name))
    space = None if entry.space is None else pipelines.space(name)
    console = get_console()
    about = Table.grid(padding=(0, 2))
    about.add_column(style="bold")
    about.add_column()
    for key, value in (
        ("name", entry.name),
        ("group", entry.group),
        ("source", entry.source),
        ("steps", steps),
    ):
        about.add_row(key, Text(value))
    console.print(about)
    console.print()
    console.print(Text(entry.doc))
    console.print()
    if space is None:
        console.print(
            Text(
                f"No search space: register {name!r} with space={{...}}, or set "
                "its factory's space attribute (plugins)."
            )
        )
        return
    table = Table(title=f"search space of {name}")
    table.add_column("parameter")
    table.add_column("values")
    for parameter, values in pipelines.describe_space(space):
        table.add_row(Text(parameter), Text(values))
    console.print(table)
