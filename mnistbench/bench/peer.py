"""The peer: the scikit-learn a user writes by hand, against mnistbench.

The peer is pixels / 255, then each estimator with its defaults, run one at a
time with every core; mnistbench's side is a real run of its registered
pipelines, on the same data, in the same call. The ``sklearnex`` peer is the
same code after ``sklearnex.patch_sklearn()``, as Intel's documentation
tells a user to speed scikit-learn up.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.pipeline import Pipeline, make_pipeline

from mnistbench import runner
from mnistbench._jobproc import peak_memory_mb
from mnistbench.bench._common import (
    BenchError,
    cores,
    load,
    suite_plan,
    timed_run,
    write_table,
)
from mnistbench.jobs import DEFAULT_TIMEOUT, Job, run_isolated, runs_alone
from mnistbench.plan import MIN_TRAIN_SIZE

__all__ = ["PEER_KINDS", "PEERS", "PeerComparison", "compare_with_peer"]

logger = logging.getLogger(__name__)

#: The peers: plain scikit-learn, and the same under sklearnex's patch.
PEER_KINDS = ("sklearn", "sklearnex")


# Module-level functions, so the runner can send them to a job process. Each
# imports its estimators when called, so that under patch_sklearn() it gets
# what the patch put in scikit-learn's modules, as a user's script would.


def peer_logreg() -> Pipeline:
    """``LogisticRegression(max_iter=1000)`` on the pixels."""
    from sklearn.linear_model import LogisticRegression

    return make_pipeline(LogisticRegression(max_iter=1000))


def peer_svm() -> Pipeline:
    """``SVC()`` (RBF, C=1) on the pixels."""
    from sklearn.svm import SVC

    return make_pipeline(SVC())


def peer_rf() -> Pipeline:
    """``RandomForestClassifier(n_estimators=100, n_jobs=-1, random_state=0)``."""
    from sklearn.ensemble import RandomForestClassifier

    return make_pipeline(
        RandomForestClassifier(n_estimators=100, n_jobs=-1, random_state=0)
    )


def peer_knn() -> Pipeline:
    """``KNeighborsClassifier(n_neighbors=5, n_jobs=-1)`` on the pixels."""
    from sklearn.neighbors import KNeighborsClassifier

    return make_pipeline(KNeighborsClassifier(n_neighbors=5, n_jobs=-1))


def peer_pca_mlp() -> Pipeline:
    """``PCA(n_components=50)``, then ``MLPClassifier((100,), random_state=0)``."""
    from sklearn.decomposition import PCA
    from sklearn.neural_network import MLPClassifier

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


def _patched(factory: Callable[[], Pipeline]) -> Pipeline:
    """``factory()`` after ``sklearnex.patch_sklearn()`` (in the job process)."""
    from sklearnex import patch_sklearn

    patch_sklearn(verbose=False)
    return factory()


@dataclass
class PeerComparison:
    """What ``compare_with_peer`` measured.

    ``table`` has one row per pipeline and a last ``suite`` row; ``peer`` holds
    the peer's job results and ``ours`` the runner's summary. ``cpu_s`` is a
    job's fit + predict CPU seconds (every thread); the suite row's
    ``ideal_wall_s`` is their sum over the cores, the wall clock of a run that
    kept every core busy, and ``wall_over_ideal`` the run's wall clock over
    it.
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
    peer: str = "sklearn",
    pipeline_names: Sequence[str] | None = None,
    out: str | os.PathLike = "results/bench",
    on_result: Callable[[str, str, dict], None] | None = None,
    **options,
) -> PeerComparison:
    """Time the peer, then mnistbench, on ``dataset``; compare per pipeline.

    ``peer`` is ``"sklearn"`` (plain scikit-learn) or ``"sklearnex"`` (the
    same code under ``sklearnex.patch_sklearn()``). The peer's jobs run one at
    a time, each with every core (its estimators ask for ``n_jobs=-1`` and
    BLAS uses all cores), and its suite time is the sum of its fit + predict
    seconds: no data loading or process start-up is charged to it.
    mnistbench's suite time is the wall clock of a whole run (as ``mnistbench
    run``): data loading, job processes, fit, predict, writing the
    leaderboard and the plots. ``options`` are the run's
    :class:`~mnistbench.plan.RunPlan` fields (``engine``, ``n_jobs``,
    ``train_size``, ``timeout``, ``data_home``, ``download``);
    ``train_size`` and ``timeout`` hold for the peer too.

    Writes ``OUT/peer-DATASET.csv`` (``peer-DATASET-PEER-peer-ENGINE.csv``
    for another peer or engine than scikit-learn) and the run's own results
    in ``OUT/runs/``. ``on_result(side, pipeline, row)`` is called as each
    job finishes, ``side`` being ``"peer"`` or ``"mnistbench"``.
    """
    names = list(pipeline_names or PEERS)
    unknown = [n for n in names if n not in PEERS]
    if unknown:
        raise BenchError(
            f"no peer for pipeline(s) {', '.join(unknown)}; "
            f"the peer covers {', '.join(PEERS)}"
        )
    if peer not in PEER_KINDS:
        raise BenchError(f"unknown peer {peer!r}; valid peers: {', '.join(PEER_KINDS)}")
    if peer == "sklearnex" and importlib.util.find_spec("sklearnex") is None:
        raise BenchError(
            "the sklearnex peer needs scikit-learn-intelex, which is not "
            'installed: pip install "mnistbench[sklearnex]"'
        )
    n = len(load(dataset, options).y_train)
    train_size = options.get("train_size")
    if train_size is not None and not MIN_TRAIN_SIZE <= train_size <= n:
        raise BenchError(
            f"--train-size must be between {MIN_TRAIN_SIZE} and {n:,} "
            f"(the size of {dataset}'s training set), got {train_size}"
        )
    plan = suite_plan(names, dataset, out, **options)  # checked before any work
    n_train = train_size or n
    peer_rows = _run_peer(names, dataset, n_train, peer, options, on_result)

    def ours_done(job, row):
        if on_result is not None:
            on_result("mnistbench", job.pipeline, row)

    summary, ours_wall = timed_run(plan, on_result=ours_done)
    alone = {name for name in names if runs_alone(Job(dataset, name))}
    table = _peer_table(
        peer_rows, summary.rows, ours_wall, cores(), summary.n_jobs, alone
    )
    table.insert(0, "dataset", dataset)
    table.insert(1, "peer", peer)
    table.insert(2, "engine", plan.engine)
    table["n_train"] = n_train
    table["run_id"] = summary.run_id
    csv = write_table(table, out, _peer_csv_name(dataset, peer, plan.engine))
    return PeerComparison(dataset, table, peer_rows, summary, csv)


def _peer_csv_name(dataset: str, peer: str, engine: str) -> str:
    """The file a comparison writes: ``peer-DATASET.csv`` for plain
    scikit-learn on both sides, the peer and engine named otherwise."""
    if peer == engine == "sklearn":
        return f"peer-{dataset}.csv"
    return f"peer-{dataset}-{peer}-peer-{engine}.csv"


def _run_peer(names, dataset: str, n_train: int, peer: str, options: dict, on_result):
    """The peer's jobs, one at a time with every core, as a table."""
    threads = cores()
    rows = []
    for name in names:
        job = Job(dataset, f"peer:{name}", n_train=n_train)
        logger.info(
            "%s peer %s: fitting on %d images with %d threads",
            peer,
            name,
            n_train,
            threads,
        )
        factory = PEERS[name]
        if peer == "sklearnex":
            factory = functools.partial(_patched, factory)
        result = run_isolated(
            job,
            factory=factory,
            timeout=options.get("timeout", DEFAULT_TIMEOUT),
            threads=threads,
            data_home=options.get("data_home"),
        )
        row = {
            "pipeline": name,
            "status": result["status"],
            "error": result.get("error", ""),
            "fit_s": result.get("fit_s", math.nan),
            "predict_s": result.get("predict_s", math.nan),
            "accuracy": result.get("accuracy", math.nan),
            "peak_mem_mb": result.get("peak_mem_mb", math.nan),
            "cpu_s": result.get("cpu_s", math.nan),
            "threads": result.get("threads", threads),
        }
        rows.append(row)
        if on_result is not None:
            on_result("peer", name, row)
    return pd.DataFrame(rows)


def _peer_table(
    peer: pd.DataFrame,
    ours: pd.DataFrame,
    ours_wall: float,
    cores: int,
    at_once: int,
    alone: set[str] = frozenset(),
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
                "peer_cpu_s": p.cpu_s,
                "cpu_s": o["cpu_s"],
                "faster": bool(ok and ours_s <= peer_s),
                "as_accurate": bool(ok and o["accuracy"] >= p.accuracy),
            }
        )
    table = pd.DataFrame(rows)
    peer_total = float(table["peer_s"].sum())
    cpu_s = float(table["cpu_s"].sum())
    # A bound for the run's memory: this process plus the largest job that
    # runs alone, or the largest jobs that can run side by side.
    peaks = table.set_index("pipeline")["peak_mem_mb"].dropna()
    by_itself = peaks.index.isin(list(alone))
    side_by_side = sorted(peaks[~by_itself], reverse=True)[:at_once]
    jobs_peak = max([sum(side_by_side), *peaks[by_itself]])
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
        "peak_mem_mb": peak_memory_mb() + float(jobs_peak),
        "peer_cpu_s": float(table["peer_cpu_s"].sum()),
        "cpu_s": cpu_s,
        "faster": bool(table["faster"].all()),
        "as_accurate": bool(table["as_accurate"].all()),
        # the wall clock if every core were busy from start to end
        "ideal_wall_s": cpu_s / cores,
        "wall_over_ideal": ours_wall / (cpu_s / cores) if cpu_s > 0 else math.nan,
    }
    return pd.concat([table, pd.DataFrame([suite])], ignore_index=True)
