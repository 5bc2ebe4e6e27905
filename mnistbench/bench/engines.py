"""Engines side by side: the same pipelines run by each engine, one after
the other in the same call, with ratios per pipeline."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mnistbench.bench._common import (
    BenchError,
    load,
    suite_plan,
    timed_run,
    write_table,
)
from mnistbench.jobs import Job

__all__ = ["PARITY", "EngineComparison", "compare_engines"]

logger = logging.getLogger(__name__)

#: The most an engine's test accuracy may differ from the baseline engine's
#: for the same pipeline (20 test images of 10,000): beyond it, the engine
#: does not give scikit-learn's answers.
PARITY = 0.002


@dataclass
class EngineComparison:
    """What ``compare_engines`` measured: one row per (pipeline, engine) plus a
    ``suite`` row per engine, with the ratio to the first engine's time."""

    dataset: str
    table: pd.DataFrame
    csv: Path | None

    @property
    def outside(self) -> pd.DataFrame:
        """The (pipeline, engine) rows whose accuracy is more than
        :data:`PARITY` from the baseline engine's."""
        return self.table[self.table["parity"] == False]  # noqa: E712 (NaN: n/a)


def compare_engines(
    dataset: str = "fashion-mnist",
    *,
    engine_names: Sequence[str] | None = None,
    pipeline_names: Sequence[str] | None = None,
    out: str | os.PathLike = "results/bench",
    on_result: Callable[[Job, dict], None] | None = None,
    **options,
) -> EngineComparison:
    """Run the same pipelines with each engine, one engine after the other.

    Each engine's side is a real run (job processes, data loading, fit,
    predict), timed from start to end for the ``suite`` rows; ``options``
    are its :class:`~mnistbench.plan.RunPlan` fields (``n_jobs``,
    ``train_size``, ``timeout``, ``data_home``, ``download``). The first
    engine is the baseline: ``speedup`` is its seconds over each engine's,
    ``accuracy_diff`` each engine's accuracy minus its, and ``parity``
    whether that is within :data:`PARITY` (empty for the baseline, the
    suite rows and jobs that failed). ``ran_on`` says where
    every step really ran. Writes ``OUT/engines-DATASET.csv``; the runs' own
    results go to ``OUT/runs/``. Every engine is checked before any runs.
    The default engines are those that can run here (sklearn, then
    sklearnex and cuML where installed and usable).
    """
    from mnistbench import engines, pipelines

    names = list(pipeline_names or pipelines.available())
    chosen = list(dict.fromkeys(engine_names or engines.available()))
    if len(chosen) < 2:
        raise BenchError(
            "compare at least two engines, e.g. sklearn and sklearnex "
            '(pip install "mnistbench[sklearnex]")'
        )
    for engine in chosen:
        try:
            engines.check(engine)
        except ValueError as exc:
            raise BenchError(str(exc)) from None
    load(dataset, options)
    plans = {e: suite_plan(names, dataset, out, engine=e, **options) for e in chosen}
    frames, walls = [], {}
    for engine, plan in plans.items():
        logger.info("engines: %s with %s", dataset, engine)
        summary, walls[engine] = timed_run(plan, on_result=on_result)
        frames.append(summary.rows)
    table = _engine_table(pd.concat(frames, ignore_index=True), names, walls)
    table.insert(0, "dataset", dataset)
    csv = write_table(table, out, f"engines-{dataset}.csv")
    return EngineComparison(dataset, table, csv)


def _engine_table(rows: pd.DataFrame, names: list, walls: dict) -> pd.DataFrame:
    """Rows grouped by pipeline in the order of ``names`` (jobs finish in any
    order), the engines in the order of ``walls``, the first the baseline."""
    base = next(iter(walls))
    rows = rows.assign(seconds=rows["fit_s"] + rows["predict_s"])
    keep = [
        "pipeline",
        "engine",
        "status",
        "ran_on",
        "threads",
        "fit_s",
        "predict_s",
        "warmup_s",
        "seconds",
        "accuracy",
        "peak_mem_mb",
        "n_train",
        "run_id",
    ]
    order = {e: i for i, e in enumerate(walls)}
    rows = rows.assign(
        _p=rows["pipeline"].map(names.index), _e=rows["engine"].map(order)
    )
    table = rows.sort_values(["_p", "_e"], kind="stable")[keep].reset_index(drop=True)
    baseline = table[table["engine"] == base].set_index("pipeline")
    table["speedup"] = [
        baseline.loc[p, "seconds"] / s if p in baseline.index else math.nan
        for p, s in zip(table["pipeline"], table["seconds"])
    ]
    table["accuracy_diff"] = [
        a - baseline.loc[p, "accuracy"] if p in baseline.index else math.nan
        for p, a in zip(table["pipeline"], table["accuracy"])
    ]
    diff = table["accuracy_diff"].abs()
    # rounded: accuracies are multiples of 1 / n_test, their difference is not
    table["parity"] = (diff.round(9) <= PARITY).astype(object)
    table.loc[diff.isna() | (table["engine"] == base), "parity"] = None
    suites = pd.DataFrame(
        {
            "pipeline": "suite",
            "engine": list(walls),
            "status": [
                "ok"
                if (rows.loc[rows["engine"] == e, "status"] == "ok").all()
                else "failed"
                for e in walls
            ],
            "seconds": list(walls.values()),
            "speedup": [walls[base] / w for w in walls.values()],
        }
    )
    return pd.concat([table, suites], ignore_index=True)
