"""Compare the pipelines of one result set, as the report does: summaries
over seeds, McNemar between every pair, bootstrap intervals, the Pareto front,
confused classes, published anchors, the environment of every row."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from importlib import resources
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from mnistbench.compare._stats import ALPHA, bootstrap_interval, holm, mcnemar

__all__ = [
    "accuracy_intervals",
    "anchors",
    "confused_pairs",
    "environment_table",
    "load_prediction",
    "load_predictions",
    "mcnemar_matrix",
    "pairwise_mcnemar",
    "pareto_front",
    "pipeline_label",
    "representative_rows",
    "seed_summary",
    "versus_anchors",
]

logger = logging.getLogger(__name__)


def pipeline_label(pipeline: str, engine: str) -> str:
    """How reports name a pipeline run by an engine: ``svm``, ``svm (cuml)``."""
    return pipeline if engine == "sklearn" else f"{pipeline} ({engine})"


def _ok_rows(board: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """The dataset's ok rows, each with a ``label`` naming its configuration:
    the pipeline (and engine), plus the training size and the params where the
    same pipeline ran in several, so that no mean mixes them. A search's
    chosen configuration (a row with a ``search_id``) is ``svm (tuned)``,
    whatever params it chose, beside the default's ``svm``."""
    ok = board[(board["status"] == "ok") & (board["dataset"] == dataset)]
    if "search_id" in ok:
        tuned = ok["search_id"].fillna("").astype(str) != ""
    else:
        tuned = pd.Series(False, index=ok.index)
    labels = pd.Series(
        [
            pipeline_label(p, e) + (" (tuned)" if t else "")
            for p, e, t in zip(ok["pipeline"], ok["engine"], tuned)
        ],
        index=ok.index,
        dtype=object,
    )
    if len(ok):
        groups = ok.groupby([ok["pipeline"], ok["engine"], tuned])
        many_sizes = groups["n_train"].transform("nunique") > 1
        many_params = (groups["params"].transform("nunique") > 1) & ~tuned
        sizes = ok["n_train"].map(lambda n: f" n_train={n:,}")
        labels = labels.where(~many_sizes, labels + sizes)
        labels = labels.where(~many_params, labels + " " + ok["params"].astype(str))
        if tuned.any():
            labels[tuned] += _search_texts(ok[tuned])
    return ok.assign(label=labels)


def _search_texts(tuned: pd.DataFrame) -> pd.Series:
    """What tells searches apart, `` [budget=10, cv=3, search=random]``, for
    the tuned rows of a pipeline tuned by several kinds of search; "" for the
    others. A search's seed is a seed like any other (the mean goes over
    them) and its chosen candidate is the row's params."""

    def text(definition) -> str:
        try:
            found = json.loads(definition or "{}")
        except (TypeError, ValueError):
            return str(definition)
        skip = ("candidate", "seed", "space")
        kept = {k: v for k, v in sorted(found.items()) if k not in skip}
        return ", ".join(f"{k}={v}" for k, v in kept.items() if v is not None)

    texts = tuned["search"].map(text) if "search" in tuned else ""
    texts = pd.Series(texts, index=tuned.index, dtype=object)
    keys = [tuned["pipeline"], tuned["engine"]]
    many = texts.groupby(keys).transform("nunique") > 1
    return texts.map(lambda t: f" [{t}]").where(many, "")


def seed_summary(board: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Accuracy over seeds, and times, per configuration of a dataset's runs.

    Per configuration (pipeline and engine; training size and params where
    they vary): accuracy mean and standard deviation over seeds (the latest ok
    row of each seed), mean fit and predict seconds, ran_on.

    A search's chosen configuration is labelled ``svm (tuned)``, beside the
    default's ``svm``, whatever params it chose.

    Parameters
    ----------
    board : pandas.DataFrame
        A leaderboard, as :func:`mnistbench.results.read_leaderboard` reads
        it; only its ok rows count.
    dataset : str
        The dataset whose rows are summarised.

    Returns
    -------
    pandas.DataFrame
        One row per configuration, most accurate first, with the columns
        ``label``, ``pipeline``, ``engine``, ``params``, ``n_train``,
        ``n_seeds``, ``accuracy_mean``, ``accuracy_std`` (NaN for one seed),
        ``fit_s``, ``predict_s`` and ``ran_on``; empty without ok rows.

    See Also
    --------
    pairwise_mcnemar : Which differences between pipelines are significant.

    Examples
    --------
    >>> import tempfile
    >>> from mnistbench import compare, results, runner
    >>> out = tempfile.mkdtemp()
    >>> _ = runner.run(
    ...     ["knn"],
    ...     datasets=["mnist-sample"],
    ...     seeds=[0, 1],
    ...     train_size=500,
    ...     out=out,
    ...     plots=False,
    ... )
    >>> board = results.read_leaderboard(out)
    >>> summary = compare.seed_summary(board, "mnist-sample")
    >>> summary[["label", "n_train", "n_seeds", "accuracy_mean", "accuracy_std"]]
      label  n_train  n_seeds  accuracy_mean  accuracy_std
    0   knn      500        2         0.8...        0.0...
    """
    ok = _ok_rows(board, dataset)
    columns = [
        "label", "pipeline", "engine", "params", "n_train", "n_seeds",
        "accuracy_mean", "accuracy_std", "fit_s", "predict_s", "ran_on",
    ]  # fmt: skip
    if ok.empty:
        return pd.DataFrame(columns=columns)
    latest = ok.sort_values("timestamp_utc").drop_duplicates(
        ["label", "seed"], keep="last"
    )
    rows = []
    for label, group in latest.groupby("label", sort=False):
        acc = group["accuracy"].astype(float)
        rows.append(
            {
                "label": label,
                "pipeline": group["pipeline"].iloc[0],
                "engine": group["engine"].iloc[0],
                "params": group["params"].iloc[0],
                "n_train": int(group["n_train"].iloc[0]),
                "n_seeds": int(group["seed"].nunique()),
                "accuracy_mean": acc.mean(),
                "accuracy_std": acc.std(ddof=1) if len(acc) > 1 else np.nan,
                "fit_s": group["fit_s"].astype(float).mean(),
                "predict_s": group["predict_s"].astype(float).mean(),
                "ran_on": "; ".join(sorted(set(group["ran_on"].dropna()))),
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values("accuracy_mean", ascending=False).reset_index(drop=True)


def labelled_rows(board: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """A dataset's ok rows, each with the ``label`` :func:`seed_summary`
    names its configuration by (``svm``, ``svm (cuml)``, ``svm (tuned)``,
    with the training size or params where the same pipeline ran in
    several)."""
    return _ok_rows(board, dataset)


def representative_rows(board: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """One ok row per configuration for paired tests: the lowest seed's latest
    run, so that no pipeline is represented by its luckiest seed."""
    ok = _ok_rows(board, dataset)
    ok = ok.sort_values(["seed", "timestamp_utc"], ascending=[True, False])
    return ok.drop_duplicates("label").reset_index(drop=True)


def load_predictions(
    out: str | Path, rows: pd.DataFrame, n_test: int
) -> dict[str, np.ndarray]:
    """The stored test-set predictions of ``rows`` (by label); rows whose file
    is missing or of the wrong length are left out, with a warning."""
    found = {}
    for row in rows.itertuples():
        y_pred = load_prediction(Path(out) / str(row.predictions), n_test, row.label)
        if y_pred is not None:
            found[row.label] = y_pred
    return found


def load_prediction(path: str | Path, n_test: int, label: str) -> np.ndarray | None:
    """The test-set predictions stored at ``path``; None, with a warning
    naming ``label``, if the file is missing or damaged: unreadable (empty,
    cut short, a bad header, pickled objects), not ``n_test`` integer class
    indices in one dimension, or a negative one."""
    problem, y_pred = _read_prediction(Path(path), n_test)
    if problem:
        logger.warning("%s: no usable stored predictions (%s)", label, problem)
        return None
    return y_pred


def _read_prediction(path: Path, n_test: int) -> tuple[str, np.ndarray | None]:
    """The array at ``path`` and "", or what is wrong with it and None. The
    header is judged before any data is read, so a file that declares a huge
    or odd array costs nothing."""
    fmt = np.lib.format
    try:
        if not path.is_file():
            return f"{path}: {'not a file' if path.exists() else 'no such file'}", None
        with open(path, "rb") as f:
            version = fmt.read_magic(f)
            read_header = (
                fmt.read_array_header_1_0
                if version == (1, 0)
                else fmt.read_array_header_2_0
            )
            shape, fortran, dtype = read_header(f)
            if len(shape) != 1:
                return f"{path}: an array of shape {shape}, expected ({n_test},)", None
            if shape[0] != n_test:
                return f"{path} has {shape[0]} predictions, the test set {n_test}", None
            if dtype.kind not in "iu":
                return f"{path}: predictions of type {dtype}, expected integers", None
            y_pred = np.fromfile(f, dtype=dtype, count=n_test)
    except Exception as exc:  # noqa: BLE001 - numpy parses the header with
        # ast and tokenize: a damaged one raises their errors, not only
        # OSError and ValueError
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"{path}: not a readable .npy ({reason[:200]})", None
    if len(y_pred) != n_test:
        return f"{path}: cut short ({len(y_pred)} of {n_test} predictions)", None
    if len(y_pred) and y_pred.min() < 0:
        return f"{path}: a negative class index ({y_pred.min()})", None
    return "", y_pred.astype(dtype.newbyteorder("="), copy=False)


def pairwise_mcnemar(y_true, predictions: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """McNemar's exact test for every pair, with Holm-adjusted p-values.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        The test labels.
    predictions : mapping of str to array-like of shape (n,)
        Each classifier's predictions of the same test images, by label.

    Returns
    -------
    pandas.DataFrame
        One row per pair (a, b), in the order of ``predictions``: ``a``,
        ``b``, the images only a got right (``a_only``), only b
        (``b_only``), the raw and the Holm-adjusted p-value (``pvalue``,
        ``pvalue_holm``, adjusted over all the pairs), and whether the
        difference is significant at ``ALPHA`` (``significant``).

    See Also
    --------
    mcnemar : The test of one pair.
    holm : The correction.
    mcnemar_matrix : The adjusted p-values as a matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from mnistbench import compare
    >>> y_true = np.arange(20) % 10
    >>> a, b, c = y_true.copy(), y_true.copy(), y_true.copy()
    >>> b[:6] = 9 - y_true[:6]  # wrong on images 0 to 5
    >>> c[:5] = 9 - y_true[:5]  # wrong on images 0 to 4 and 10
    >>> c[10] = 9 - y_true[10]
    >>> compare.pairwise_mcnemar(y_true, {"a": a, "b": b, "c": c})
       a  b  a_only  b_only   pvalue  pvalue_holm  significant
    0  a  b       6       0  0.03125      0.09375        False
    1  a  c       6       0  0.03125      0.09375        False
    2  b  c       1       1  1.00000      1.00000        False
    """
    pairs = list(combinations(predictions, 2))
    tests = [mcnemar(y_true, predictions[a], predictions[b]) for a, b in pairs]
    frame = pd.DataFrame(
        {
            "a": [a for a, _ in pairs],
            "b": [b for _, b in pairs],
            "a_only": [t.a_only for t in tests],
            "b_only": [t.b_only for t in tests],
            "pvalue": [t.pvalue for t in tests],
        }
    )
    frame["pvalue_holm"] = holm(frame["pvalue"]) if len(frame) else []
    frame["significant"] = frame["pvalue_holm"] < ALPHA
    return frame


def mcnemar_matrix(pairs: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """The Holm-adjusted p-values of ``pairwise_mcnemar`` as a symmetric matrix."""
    matrix = pd.DataFrame(np.nan, index=list(labels), columns=list(labels))
    for rec in pairs.itertuples():
        matrix.loc[rec.a, rec.b] = matrix.loc[rec.b, rec.a] = rec.pvalue_holm
    return matrix


def accuracy_intervals(
    y_true, predictions: Mapping[str, np.ndarray], *, seed: int = 0
) -> pd.DataFrame:
    """Accuracy and its bootstrap 95% interval, for each set of predictions."""
    rows = []
    for label, y_pred in predictions.items():
        low, high = bootstrap_interval(y_true, y_pred, seed=seed)
        accuracy = float(np.mean(np.asarray(y_pred) == np.asarray(y_true)))
        rows.append(
            {"label": label, "accuracy": accuracy, "ci_low": low, "ci_high": high}
        )
    return pd.DataFrame(rows, columns=["label", "accuracy", "ci_low", "ci_high"])


def pareto_front(accuracy, seconds) -> np.ndarray:
    """True for each point no other point beats: none is at least as accurate
    and at least as fast, and strictly better in one of the two."""
    acc = np.asarray(accuracy, dtype=float)
    sec = np.asarray(seconds, dtype=float)
    front = np.ones(len(acc), dtype=bool)
    for i in range(len(acc)):
        dominated = (
            (acc >= acc[i]) & (sec <= sec[i]) & ((acc > acc[i]) | (sec < sec[i]))
        )
        front[i] = not dominated.any()
    return front


def confused_pairs(y_true, y_pred, class_names, top: int = 5) -> pd.DataFrame:
    """The ``top`` (true, predicted) class pairs most often confused, with the
    share of the true class they take."""
    from sklearn.metrics import confusion_matrix

    labels = np.arange(len(class_names))
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    off = cm.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None, kind="stable")[::-1][:top]
    rows = []
    for flat in order:
        t, p = np.unravel_index(flat, off.shape)
        if off[t, p] == 0:
            break
        rows.append(
            {
                "true": class_names[t],
                "predicted": class_names[p],
                "count": int(off[t, p]),
                "share_of_true": off[t, p] / max(cm[t].sum(), 1),
            }
        )
    return pd.DataFrame(rows, columns=["true", "predicted", "count", "share_of_true"])


def anchors(dataset: str | None = None) -> pd.DataFrame:
    """Published results comparable to the registered pipelines, with sources
    (``mnistbench/anchors.csv``, shipped with the package)."""
    text = resources.files("mnistbench").joinpath("anchors.csv").read_text("utf-8")
    from io import StringIO

    frame = pd.read_csv(StringIO(text), dtype={"params": str, "note": str})
    frame = frame.fillna({"params": "", "note": ""})
    if dataset is not None:
        frame = frame[frame["dataset"] == dataset]
    return frame.reset_index(drop=True)


def versus_anchors(summary: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Our mean accuracy beside each published anchor for the same pipeline
    and dataset, and the difference: the pipeline as registered (default
    params), on the most training images it ran with, as stock scikit-learn
    ran it, or where it ran with another engine only, as that engine did
    (``label`` names it: ``hog_svm_flips_tta18 (sklearnex)``)."""
    plain = summary[summary["params"] == "{}"]
    plain = plain.assign(_stock=plain["engine"] == "sklearn")
    ours = plain.sort_values(["_stock", "n_train"]).drop_duplicates(
        "pipeline", keep="last"
    )
    ours = ours.set_index("pipeline")
    frame = anchors(dataset)
    frame = frame[frame["pipeline"].isin(ours.index)].copy()
    frame["label"] = [ours.loc[p, "label"] for p in frame["pipeline"]]
    frame["ours"] = [ours.loc[p, "accuracy_mean"] for p in frame["pipeline"]]
    frame["difference"] = frame["ours"] - frame["published_accuracy"]
    return frame.reset_index(drop=True)


ENVIRONMENT_COLUMNS = (
    "label",
    "seed",
    "host",
    "worker",
    "cpu",
    "n_cores",
    "threads",
    "gpu",
    "blas",
    "python_version",
    "sklearn_version",
    "numpy_version",
    "mnistbench_version",
)


def environment_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Where each row ran: machine, threads, GPU and versions."""
    frame = rows.copy()
    if "label" not in frame:
        frame["label"] = list(map(pipeline_label, frame["pipeline"], frame["engine"]))
    return frame[[c for c in ENVIRONMENT_COLUMNS if c in frame]].reset_index(drop=True)
