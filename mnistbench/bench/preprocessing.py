"""The preprocessing axis: each classifier on raw pixels (``svm``), on
deskewed images (``deskew_svm``), on HOG features (``hog_svm``) and on HOG
features with augmented training images (``hog_svm_flips``,
``hog_svm_shifts``), in one run, accuracy and time side by side."""

from __future__ import annotations

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

__all__ = [
    "PREPROCESSING",
    "PreprocessingComparison",
    "compare_preprocessing",
    "preprocessing_variants",
]


# Preprocessing -> its pipelines' names, "{}" standing for the classifier's:
# `svm` runs on raw pixels, `deskew_svm` on deskewed images, `hog_svm` on HOG
# features, `hog_svm_flips` and `hog_svm_shifts` also on augmented images.
PREPROCESSING = {
    "raw": "{}",
    "deskew": "deskew_{}",
    "hog": "hog_{}",
    "hog+flips": "hog_{}_flips",
    "hog+shifts": "hog_{}_shifts",
}


@dataclass
class PreprocessingComparison:
    """What ``compare_preprocessing`` measured: one row per (classifier,
    preprocessing), with the accuracy difference and time ratio to raw."""

    dataset: str
    table: pd.DataFrame
    csv: Path | None


def preprocessing_variants(classifier: str) -> dict[str, str]:
    """The registered pipelines of ``classifier`` by preprocessing, e.g.
    ``{"raw": "svm", "deskew": "deskew_svm", "hog": "hog_svm", ...}``."""
    from mnistbench import pipelines

    registered = set(pipelines.available())
    return {
        prep: template.format(classifier)
        for prep, template in PREPROCESSING.items()
        if template.format(classifier) in registered
    }


def compare_preprocessing(
    dataset: str = "fashion-mnist",
    *,
    classifiers: Sequence[str] | None = None,
    out: str | os.PathLike = "results/bench",
    on_result: Callable[[Job, dict], None] | None = None,
    **options,
) -> PreprocessingComparison:
    """Run each classifier's raw, deskewed, HOG and augmented pipelines in
    one run.

    ``classifiers`` are raw pipelines' names (default: every one that has a
    deskewed or HOG variant registered). The run is a real run into
    ``OUT/runs/``; ``options`` are its :class:`~mnistbench.plan.RunPlan`
    fields (``n_jobs``, ``train_size``, ``timeout``, ``data_home``,
    ``download``). ``accuracy_diff`` is each variant's accuracy minus the
    raw pipeline's, ``slowdown`` its fit + predict seconds over the raw
    one's. Writes ``OUT/preprocessing-DATASET.csv``.
    """
    chosen = list(dict.fromkeys(classifiers)) if classifiers else _with_variants()
    variants = {name: preprocessing_variants(name) for name in chosen}
    for name, found in variants.items():
        if "raw" not in found or len(found) < 2:
            prefixes = ", ".join(
                t.format(name) for t in PREPROCESSING.values() if t != "{}"
            )
            raise BenchError(
                f"{name!r} has no preprocessing variants to compare: register "
                f"{prefixes} (classifiers with variants: "
                f"{', '.join(_with_variants()) or 'none'})"
            )
    load(dataset, options)
    names = [pipe for found in variants.values() for pipe in found.values()]
    summary, wall = timed_run(suite_plan(names, dataset, out, **options), on_result)
    table = _preprocessing_table(summary.rows, variants)
    table.insert(0, "dataset", dataset)
    table["suite_wall_s"] = round(wall, 1)
    csv = write_table(table, out, f"preprocessing-{dataset}.csv")
    return PreprocessingComparison(dataset, table, csv)


def _with_variants() -> list[str]:
    """The raw pipelines that have a registered variant (deskew_X, hog_X, ...)."""
    from mnistbench import pipelines

    variants = [t.split("{}") for t in PREPROCESSING.values() if t != "{}"]
    return [
        name
        for name in pipelines.available()
        if not any(
            name.startswith(head)
            and name.endswith(tail)
            and len(name) > len(head) + len(tail)
            for head, tail in variants
        )
        and len(preprocessing_variants(name)) > 1
    ]


def _preprocessing_table(rows: pd.DataFrame, variants: dict) -> pd.DataFrame:
    """One row per (classifier, preprocessing), in the order of ``variants``."""
    rows = rows.assign(seconds=rows["fit_s"] + rows["predict_s"])
    by_pipeline = rows.set_index("pipeline")
    records = []
    for classifier, found in variants.items():
        raw = by_pipeline.loc[found["raw"]]
        for prep, pipe in found.items():
            row = by_pipeline.loc[pipe]
            records.append(
                {
                    "classifier": classifier,
                    "preprocessing": prep,
                    "pipeline": pipe,
                    "status": row["status"],
                    "accuracy": row["accuracy"],
                    "accuracy_diff": row["accuracy"] - raw["accuracy"],
                    "fit_s": row["fit_s"],
                    "predict_s": row["predict_s"],
                    "seconds": row["seconds"],
                    "slowdown": row["seconds"] / raw["seconds"],
                    "threads": row["threads"],
                    "peak_mem_mb": row["peak_mem_mb"],
                    "n_train": row["n_train"],
                    "run_id": row["run_id"],
                }
            )
    return pd.DataFrame.from_records(records)
