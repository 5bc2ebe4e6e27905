"""What the benchmarks share: their error, the machine's columns, and a suite
run (a real :class:`~mnistbench.plan.RunPlan`, timed from start to end)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from mnistbench import data, runner
from mnistbench._io import atomic_write_text, make_folder
from mnistbench._text import csv_text
from mnistbench.exceptions import MnistbenchError
from mnistbench.plan import RunPlan

__all__ = ["BenchError", "cores", "load", "suite_plan", "timed_run", "write_table"]


#: The machine's columns a benchmark's table carries.
MACHINE_COLUMNS = ("cpu", "n_cores", "mnistbench_version", "sklearn_version")


class BenchError(MnistbenchError, ValueError):
    """A benchmark that cannot start: bad arguments."""


def cores() -> int:
    import joblib

    return joblib.cpu_count()


def load(dataset: str, options: dict) -> data.Dataset:
    """``dataset``, loaded (downloaded if allowed) as the runs will need it."""
    return data.load(
        dataset,
        data_home=options.get("data_home"),
        download=options.get("download", True),
    )


def suite_plan(
    names: Sequence[str], dataset: str, out: str | os.PathLike, **options
) -> RunPlan:
    """A plan that runs ``names`` on ``dataset`` into ``OUT/runs``, finished
    jobs again. ``options`` are RunPlan's; the data is loaded beforehand."""
    options = {**options, "download": False}
    return RunPlan(
        names, datasets=[dataset], out=Path(out) / "runs", force=True, **options
    )


def timed_run(plan: RunPlan, on_result=None) -> tuple[runner.RunSummary, float]:
    """``plan`` run for real, as ``mnistbench run`` runs it, and its
    wall-clock seconds."""
    start = time.perf_counter()
    summary = runner.run_plan(plan, on_result=on_result)
    return summary, time.perf_counter() - start


def write_table(table: pd.DataFrame, out: str | os.PathLike, name: str) -> Path:
    """``table`` plus some of the machine's columns (those of every
    leaderboard row), written to ``OUT/name``."""
    from mnistbench.envinfo import machine_fields

    machine = machine_fields()
    for key in MACHINE_COLUMNS:
        table[key] = machine[key]
    csv = make_folder(out) / name
    atomic_write_text(csv, csv_text(table))
    return csv
