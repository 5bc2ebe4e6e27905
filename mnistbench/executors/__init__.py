"""Where jobs run: one small protocol, one module per executor.

* :mod:`~mnistbench.executors.local`: each job in a process of its own on
  this machine, ``n_jobs`` at a time (a threading joblib pool supervises them);
* :mod:`~mnistbench.executors.dask`: each job sent, as its description, to a
  worker of a Dask cluster, which runs it in a process of its own there.

Both run every job through :func:`mnistbench.jobs.run_isolated`. The runner
asks :func:`for_plan` for the executor a plan wants (the one place that
decides where the work runs), then drives it through :class:`Executor` alone,
never asking which one it has. To add an executor (a batch scheduler, say),
write a module here with a class that has these methods, and choose it in
:func:`for_plan`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mnistbench.executors._base import Capacity, Executor
from mnistbench.executors.local import LocalExecutor

if TYPE_CHECKING:
    from mnistbench.plan import RunPlan

__all__ = ["Capacity", "Executor", "LocalExecutor", "for_plan"]


def for_plan(plan: RunPlan) -> Executor:
    """The executor ``plan`` asks for: a Dask cluster if it names one, else
    this machine."""
    if plan.on_dask:
        from mnistbench.executors.dask import DaskExecutor

        return DaskExecutor(scheduler=plan.scheduler, cluster=plan.cluster)
    return LocalExecutor(n_jobs=plan.n_jobs)
