"""``mnistbench pipelines``: the registered pipelines, their groups and steps."""

from __future__ import annotations

import click
from rich.table import Table

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
    get_console().print(table)
