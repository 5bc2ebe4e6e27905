"""Benchmarks of mnistbench itself, measured side by side in one run.

``compare_with_peer``
    The *peer* -- the scikit-learn a user writes by hand (pixels / 255, then
    each estimator with its defaults) -- against mnistbench's registered
    pipelines, on the same data, one after the other in the same run. Both go
    through the runner's isolated job processes, so both pay the same process
    start-up and data loading; mnistbench's side is a real ``runner.run`` call
    (what ``mnistbench run`` does), timed from start to end.
``scaling``
    Fit and predict time and accuracy of each pipeline against the number of
    training images, with the log-log slope of each: how cost grows with data.
``compare_engines``
    The same pipelines run by each engine (scikit-learn, scikit-learn-intelex,
    cuML), one after the other in the same run, with ratios per pipeline.
``compare_preprocessing``
    The preprocessing axis: each classifier on raw pixels (``svm``), on
    deskewed images (``deskew_svm``) and on HOG features (``hog_svm``), in
    one run, accuracy and time side by side.

All return tables (``pandas.DataFrame``) and figures; they log, never print.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import SVC

from mnistbench import __version__, data, runner
from mnistbench._io import atomic_write
from mnistbench.exceptions import MnistbenchError

__all__ = [
    "PEERS",
    "PREPROCESSING",
    "SCALING_SIZES",
    "EngineComparison",
    "PeerComparison",
    "PreprocessingComparison",
    "Scaling",
    "compare_engines",
    "compare_preprocessing",
    "compare_with_peer",
    "preprocessing_variants",
    "loglog_slope",
    "scaling",
    "scaling_figure",
]

logger = logging.getLogger(__name__)


class BenchError(MnistbenchError, ValueError):
    """A benchmark that cannot start: bad arguments."""


# --- the peer: plain scikit-learn defaults, as a user writes them --------------
# Module-level functions, so the runner can send them to a job process.


def peer_logreg() -> Pipeline:
    """``LogisticRegression(max_iter=1000)`` on the pixels."""
    return make_pipeline(LogisticRegression(max_iter=1000))


def peer_svm() -> Pipeline:
    """``SVC()`` (RBF, C=1) on the pixels."""
    return make_pipeline(SVC())


def peer_rf() -> Pipeline:
    """``RandomForestClassifier(n_estimators=100, n_jobs=-1, random_state=0)``."""
    return make_pipeline(
        RandomForestClassifier(n_estimators=100, n_jobs=-1, random_state=0)
    )


def peer_knn() -> Pipeline:
    """``KNeighborsClassifier(n_neighbors=5, n_jobs=-1)`` on the pixels."""
    return make_pipeline(KNeighborsClassifier(n_neighbors=5, n_jobs=-1))


def peer_pca_mlp() -> Pipeline:
    """``PCA(n_components=50)``, then ``MLPClassifier((100,), random_state=0)``."""
    return make_pipeline(
        PCA(n_components=50),
        MLPClassifier(hidden_layer_sizes=(100,), random_state=0),
    )


PEERS: dict[str, Callable[[], Pipeline]] = {
    "logreg": peer_logreg,
    "svm": peer_svm,
    "rf": peer_rf,
    "knn": peer_knn,
    "pca_mlp": peer_pca_mlp,
}


def _cores() -> int:
    import joblib

    return joblib.cpu_count()


def _peak_mb() -> float:
    from mnistbench._jobproc import peak_memory_mb

    return peak_memory_mb()


@dataclass
class PeerComparison:
    """What ``compare_with_peer`` measured.

    ``table`` has one row per pipeline and a last ``suite`` row; ``peer`` holds
    the peer's job results and ``ours`` the runner's summary.
    """

    dataset: str
    table: pd.DataFrame
    peer: pd.DataFrame
    ours: runner.RunSummary
    csv: Path | None

    @property
    def suite(self) -> pd.Series:
        return self.table.set_index("pipeline").loc["suite"]


def compare_with_peer(
    dataset: str = "fashion-mnist",
    *,
    pipeline_names: Sequence[str] | None = None,
    out: str | os.PathLike = "results/bench",
    n_jobs: int | None = None,
    train_size: int | None = None,
    timeout: float | None = runner.DEFAULT_TIMEOUT,
    data_home=None,
    download: bool = True,
    on_result: Callable[[str, str, dict], None] | None = None,
) -> PeerComparison:
    """Time the peer, then mnistbench, on ``dataset``; compare per pipeline.

    The peer's jobs run one at a time, each with every core (its estimators
    ask for ``n_jobs=-1`` and BLAS uses all cores), and its suite time is the
    sum of its fit + predict seconds: no data loading or process start-up is
    charged to it. mnistbench's suite time is the wall clock of a whole
    ``runner.run`` call: data loading, job processes, fit, predict, writing
    the leaderboard and the plots.

    Writes ``OUT/peer-DATASET.csv`` and the run's own results in
    ``OUT/runs/``. ``on_result(side, pipeline, row)`` is called as each job
    finishes, ``side`` being ``"peer"`` or ``"mnistbench"``.
    """
    names = list(pipeline_names or PEERS)
    unknown = [n for n in names if n not in PEERS]
    if unknown:
        raise BenchError(
            f"no peer for pipeline(s) {', '.join(unknown)}; "
            f"the peer covers {', '.join(PEERS)}"
        )
    ds = data.load(dataset, data_home=data_home, download=download)
    n = len(ds.y_train)
    if train_size is not None and not runner.MIN_TRAIN_SIZE <= train_size <= n:
        raise BenchError(
            f"--train-size must be between {runner.MIN_TRAIN_SIZE} and {n:,} "
            f"(the size of {dataset}'s training set), got {train_size}"
        )
    n_train = train_size or n
    out = Path(out)
    cores = _cores()

    peer_rows = []
    for name in names:
        job = runner.Job(dataset, f"peer:{name}", n_train=n_train)
        logger.info(
            "peer %s: fitting on %d images with %d threads", name, n_train, cores
        )
        result = runner.run_isolated(
            job,
            factory=PEERS[name],
            timeout=timeout,
            threads=cores,
            data_home=data_home,
        )
        row = {
            "pipeline": name,
            "status": result["status"],
            "error": result.get("error", ""),
            "fit_s": result.get("fit_s", math.nan),
            "predict_s": result.get("predict_s", math.nan),
            "accuracy": result.get("accuracy", math.nan),
            "peak_mem_mb": result.get("peak_mem_mb", math.nan),
            "threads": result.get("threads", cores),
        }
        peer_rows.append(row)
        if on_result is not None:
            on_result("peer", name, row)
    peer = pd.DataFrame(peer_rows)

    def ours_done(job, row):
        if on_result is not None:
            on_result("mnistbench", job.pipeline, row)

    summary, ours_wall = _suite_run(
        names,
        dataset,
        out,
        n_jobs=n_jobs,
        train_size=train_size,
        timeout=timeout,
        data_home=data_home,
        on_result=ours_done,
    )
    table = _peer_table(peer, summary.rows, ours_wall, cores, summary.n_jobs)
    table.insert(0, "dataset", dataset)
    table["n_train"] = n_train
    table["run_id"] = summary.run_id
    csv = _write_table(table, out, f"peer-{dataset}.csv")
    return PeerComparison(dataset, table, peer, summary, csv)


def _machine() -> dict:
    from mnistbench.envinfo import cpu_model, package_versions

    versions = package_versions()
    return {
        "cpu": cpu_model(),
        "n_cores": _cores(),
        "mnistbench_version": __version__,
        "sklearn_version": versions["scikit-learn"],
    }


def _suite_run(names, dataset: str, out: Path, **kw) -> tuple[runner.RunSummary, float]:
    """A real ``runner.run`` of ``names`` on ``dataset`` into ``OUT/runs``
    (finished jobs run again), and its wall-clock seconds."""
    start = time.perf_counter()
    summary = runner.run(
        names, datasets=[dataset], out=out / "runs", force=True, download=False, **kw
    )
    return summary, time.perf_counter() - start


def _write_table(table: pd.DataFrame, out: Path, name: str) -> Path:
    """``table`` plus the machine's columns, written to ``OUT/name``."""
    for key, value in _machine().items():
        table[key] = value
    out.mkdir(parents=True, exist_ok=True)
    csv = out / name
    atomic_write(csv, lambda f: f.write(table.to_csv(index=False).encode()))
    return csv


def _peer_table(
    peer: pd.DataFrame, ours: pd.DataFrame, ours_wall: float, cores: int, at_once: int
):
    rows = []
    ours = ours.set_index("pipeline")
    for p in peer.itertuples():
        o = ours.loc[p.pipeline]
        peer_s = p.fit_s + p.predict_s
        ours_s = o["fit_s"] + o["predict_s"]
        ok = p.status == "ok" and o["status"] == "ok"
        rows.append(
            {
                "pipeline": p.pipeline,
                "peer_fit_s": p.fit_s,
                "peer_predict_s": p.predict_s,
                "peer_s": peer_s,
                "fit_s": o["fit_s"],
                "predict_s": o["predict_s"],
                "mnistbench_s": ours_s,
                "speedup": peer_s / ours_s if ok else math.nan,
                "peer_accuracy": p.accuracy,
                "accuracy": o["accuracy"],
                "accuracy_diff": o["accuracy"] - p.accuracy if ok else math.nan,
                "peer_threads": p.threads,
                "threads": o["threads"],
                "peer_peak_mem_mb": p.peak_mem_mb,
                "peak_mem_mb": o["peak_mem_mb"],
                "faster": bool(ok and ours_s <= peer_s),
                "as_accurate": bool(ok and o["accuracy"] >= p.accuracy),
            }
        )
    table = pd.DataFrame(rows)
    peer_total = float(table["peer_s"].sum())
    # A bound for the run's memory: this process plus the largest jobs that
    # can run at the same time.
    job_peaks = sorted(table["peak_mem_mb"].dropna(), reverse=True)[:at_once]
    suite = {
        "pipeline": "suite",
        "peer_fit_s": float(table["peer_fit_s"].sum()),
        "peer_predict_s": float(table["peer_predict_s"].sum()),
        "peer_s": peer_total,
        "fit_s": float(table["fit_s"].sum()),
        "predict_s": float(table["predict_s"].sum()),
        "mnistbench_s": ours_wall,
        "speedup": peer_total / ours_wall,
        "peer_accuracy": math.nan,
        "accuracy": math.nan,
        "accuracy_diff": math.nan,
        "peer_threads": cores,
        "threads": int(table["threads"].max()),
        "peer_peak_mem_mb": float(table["peer_peak_mem_mb"].max()),
        "peak_mem_mb": _peak_mb() + float(sum(job_peaks)),
        "faster": bool(table["faster"].all()),
        "as_accurate": bool(table["as_accurate"].all()),
    }
    return pd.concat([table, pd.DataFrame([suite])], ignore_index=True)


# --- scaling ------------------------------------------------------------------

SCALING_SIZES = (1_000, 2_000, 5_000, 10_000, 20_000, 60_000)


def loglog_slope(n, seconds) -> float:
    """Least-squares slope of log(seconds) against log(n): cost ~ n**slope.

    NaN with fewer than two usable points (a time of zero has no log).
    """
    n = np.asarray(n, dtype=float)
    t = np.asarray(seconds, dtype=float)
    keep = (n > 0) & (t > 0) & np.isfinite(t)
    if keep.sum() < 2 or len(np.unique(n[keep])) < 2:
        return math.nan
    return float(np.polyfit(np.log(n[keep]), np.log(t[keep]), 1)[0])


@dataclass
class Scaling:
    """What ``scaling`` measured: one row per (pipeline, n_train), the slopes
    per pipeline, the figure, and the files written."""

    dataset: str
    points: pd.DataFrame
    slopes: pd.DataFrame
    figure: Figure
    files: list[Path]


def scaling(
    dataset: str = "fashion-mnist",
    *,
    sizes: Sequence[int] = SCALING_SIZES,
    pipeline_names: Sequence[str] | None = None,
    out: str | os.PathLike = "results/bench",
    n_jobs: int | None = None,
    timeout: float | None = runner.DEFAULT_TIMEOUT,
    data_home=None,
    download: bool = True,
    on_result: Callable[[runner.Job, dict], None] | None = None,
) -> Scaling:
    """Run ``pipeline_names`` (default: all registered) at each training size.

    Sizes above the training set are clipped to it (60,000 is the whole of
    MNIST's). Writes ``OUT/scaling-DATASET.csv`` (the points and, per
    pipeline, the slopes) and ``OUT/scaling-DATASET.png``; the runs' own
    results go to ``OUT/runs/``.
    """
    from mnistbench import pipelines

    names = list(pipeline_names or pipelines.available())
    ds = data.load(dataset, data_home=data_home, download=download)
    n = len(ds.y_train)
    bad = [s for s in sizes if not isinstance(s, int) or s < runner.MIN_TRAIN_SIZE]
    if bad or not sizes:
        raise BenchError(
            f"sizes must be whole numbers of at least {runner.MIN_TRAIN_SIZE}, "
            f"got {', '.join(map(str, bad)) or 'none'}"
        )
    sizes = sorted({min(s, n) for s in sizes})
    out = Path(out)
    frames = []
    for size in sizes:
        logger.info("scaling: %s at n_train=%d", dataset, size)
        summary, _ = _suite_run(
            names,
            dataset,
            out,
            n_jobs=n_jobs,
            train_size=size,
            timeout=timeout,
            data_home=data_home,
            plots=False,
            on_result=on_result,
        )
        frames.append(summary.rows)
    rows = pd.concat(frames, ignore_index=True)
    points = rows[
        [
            "dataset",
            "pipeline",
            "n_train",
            "fit_s",
            "predict_s",
            "accuracy",
            "threads",
            "status",
            "run_id",
        ]
    ].copy()
    slopes = []
    for name in names:
        ok = points[(points["pipeline"] == name) & (points["status"] == "ok")]
        slopes.append(
            {
                "pipeline": name,
                "fit_slope": loglog_slope(ok["n_train"], ok["fit_s"]),
                "predict_slope": loglog_slope(ok["n_train"], ok["predict_s"]),
                "total_slope": loglog_slope(
                    ok["n_train"], ok["fit_s"] + ok["predict_s"]
                ),
            }
        )
    slopes = pd.DataFrame(slopes)
    table = points.merge(slopes, on="pipeline", how="left")
    fig = scaling_figure(
        points, slopes, title=f"{dataset}: cost and accuracy vs n_train"
    )
    csv = _write_table(table, out, f"scaling-{dataset}.csv")
    png = out / f"scaling-{dataset}.png"
    atomic_write(png, lambda f: fig.savefig(f, format="png", dpi=110))
    return Scaling(dataset, points, slopes, fig, [csv, png])


def scaling_figure(
    points: pd.DataFrame, slopes: pd.DataFrame, title: str = ""
) -> Figure:
    """Fit time, predict time (log-log, slope in the legend) and accuracy
    against n_train, one line per pipeline."""
    fig = Figure(figsize=(16, 5.2), layout="constrained")
    axes = fig.subplots(1, 3)
    slope = slopes.set_index("pipeline")
    for name, group in points[points["status"] == "ok"].groupby("pipeline", sort=False):
        group = group.sort_values("n_train")
        for ax, column in ((axes[0], "fit_s"), (axes[1], "predict_s")):
            s = slope.loc[name, column.replace("_s", "_slope")]
            label = f"{name} (slope {s:.2f})" if s == s else name
            ax.plot(group["n_train"], group[column], marker="o", label=label)
        axes[2].plot(group["n_train"], group["accuracy"], marker="o", label=name)
    for ax, ylabel in zip(
        axes, ("fit seconds", "predict seconds (10,000 test images)", "test accuracy")
    ):
        ax.set_xscale("log")
        ax.set_xlabel("training images (n_train)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_yscale("log")
    axes[1].set_yscale("log")
    axes[0].set_title("fit time, log-log")
    axes[1].set_title("predict time, log-log")
    axes[2].set_title("accuracy")
    if title:
        fig.suptitle(title)
    return fig


# --- engines: the same pipelines run by each engine, side by side -----------------


@dataclass
class EngineComparison:
    """What ``compare_engines`` measured: one row per (pipeline, engine) plus a
    ``suite`` row per engine, with the ratio to the first engine's time."""

    dataset: str
    table: pd.DataFrame
    csv: Path | None


def compare_engines(
    dataset: str = "fashion-mnist",
    *,
    engine_names: Sequence[str] | None = None,
    pipeline_names: Sequence[str] | None = None,
    out: str | os.PathLike = "results/bench",
    n_jobs: int | None = None,
    train_size: int | None = None,
    timeout: float | None = runner.DEFAULT_TIMEOUT,
    data_home=None,
    download: bool = True,
    on_result: Callable[[runner.Job, dict], None] | None = None,
) -> EngineComparison:
    """Run the same pipelines with each engine, one engine after the other.

    Each engine's side is a real ``runner.run`` (job processes, data loading,
    fit, predict), timed from start to end for the ``suite`` rows. The first
    engine is the baseline: ``speedup`` is its seconds over each engine's,
    ``accuracy_diff`` each engine's accuracy minus its. ``ran_on`` says where
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
    data.load(dataset, data_home=data_home, download=download)
    out = Path(out)
    frames, walls = [], {}
    for engine in chosen:
        logger.info("engines: %s with %s", dataset, engine)
        summary, walls[engine] = _suite_run(
            names,
            dataset,
            out,
            n_jobs=n_jobs,
            train_size=train_size,
            engine=engine,
            timeout=timeout,
            data_home=data_home,
            on_result=on_result,
        )
        frames.append(summary.rows)
    table = _engine_table(pd.concat(frames, ignore_index=True), names, walls)
    table.insert(0, "dataset", dataset)
    csv = _write_table(table, out, f"engines-{dataset}.csv")
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


# --- preprocessing: one classifier on raw, deskewed and HOG inputs ------------

# Preprocessing -> the prefix of its pipelines' names: `svm` runs on raw
# pixels, `deskew_svm` on deskewed images, `hog_svm` on HOG features.
PREPROCESSING = {"raw": "", "deskew": "deskew_", "hog": "hog_"}


@dataclass
class PreprocessingComparison:
    """What ``compare_preprocessing`` measured: one row per (classifier,
    preprocessing), with the accuracy difference and time ratio to raw."""

    dataset: str
    table: pd.DataFrame
    csv: Path | None


def preprocessing_variants(classifier: str) -> dict[str, str]:
    """The registered pipelines of ``classifier`` by preprocessing, e.g.
    ``{"raw": "svm", "deskew": "deskew_svm", "hog": "hog_svm"}``."""
    from mnistbench import pipelines

    registered = set(pipelines.available())
    return {
        prep: prefix + classifier
        for prep, prefix in PREPROCESSING.items()
        if prefix + classifier in registered
    }


def compare_preprocessing(
    dataset: str = "fashion-mnist",
    *,
    classifiers: Sequence[str] | None = None,
    out: str | os.PathLike = "results/bench",
    n_jobs: int | None = None,
    train_size: int | None = None,
    timeout: float | None = runner.DEFAULT_TIMEOUT,
    data_home=None,
    download: bool = True,
    on_result: Callable[[runner.Job, dict], None] | None = None,
) -> PreprocessingComparison:
    """Run each classifier's raw, deskewed and HOG pipelines in one run.

    ``classifiers`` are raw pipelines' names (default: every one that has a
    deskewed or HOG variant registered). The run is a real ``runner.run``
    into ``OUT/runs/``; ``accuracy_diff`` is each variant's accuracy minus
    the raw pipeline's, ``slowdown`` its fit + predict seconds over the raw
    one's. Writes ``OUT/preprocessing-DATASET.csv``.
    """
    chosen = list(dict.fromkeys(classifiers)) if classifiers else _with_variants()
    variants = {name: preprocessing_variants(name) for name in chosen}
    for name, found in variants.items():
        if "raw" not in found or len(found) < 2:
            prefixes = ", ".join(p + name for p in PREPROCESSING.values() if p)
            raise BenchError(
                f"{name!r} has no preprocessing variants to compare: register "
                f"{prefixes} (classifiers with variants: "
                f"{', '.join(_with_variants()) or 'none'})"
            )
    data.load(dataset, data_home=data_home, download=download)
    names = [pipe for found in variants.values() for pipe in found.values()]
    out = Path(out)
    summary, wall = _suite_run(
        names,
        dataset,
        out,
        n_jobs=n_jobs,
        train_size=train_size,
        timeout=timeout,
        data_home=data_home,
        on_result=on_result,
    )
    table = _preprocessing_table(summary.rows, variants)
    table.insert(0, "dataset", dataset)
    table["suite_wall_s"] = round(wall, 1)
    csv = _write_table(table, out, f"preprocessing-{dataset}.csv")
    return PreprocessingComparison(dataset, table, csv)


def _with_variants() -> list[str]:
    """The raw pipelines that have a registered deskew_ or hog_ variant."""
    from mnistbench import pipelines

    return [
        name
        for name in pipelines.available()
        if not any(p and name.startswith(p) for p in PREPROCESSING.values())
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
