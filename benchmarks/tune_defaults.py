"""Choose the built-in pipelines' defaults on a validation split, never the test set.

Splits the *training* set of a dataset (stratified, seed 0) into a fit part and
a validation part, fits each candidate configuration on the fit part with one
thread (as in `mnistbench run`, where two jobs share two cores) and scores it on
the validation part. The test set is not loaded.

    python benchmarks/tune_defaults.py --dataset fashion-mnist \
        --out results/tuning/fashion-mnist-validation.csv

Candidates are listed in CANDIDATES below; `--only svm` runs one pipeline's.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from mnistbench import bench, data
from mnistbench.preprocessing import GrayLevels


def _pixels_and_pca(k):
    return FeatureUnion([("pixels", "passthrough"), ("pca", PCA(k, random_state=0))])


CANDIDATES = {
    "logreg": {
        "peer": bench.peer_logreg,
        "pixels C=1 tol=1e-3": lambda: LogisticRegression(max_iter=500, tol=1e-3),
        **{
            f"PCA{k} whitened C={c}": (
                lambda k=k, c=c: make_pipeline(
                    PCA(k, whiten=True, random_state=0),
                    LogisticRegression(C=c, max_iter=500),
                )
            )
            for k in (150, 200, 300)
            for c in (0.3, 1.0, 3.0)
        },
    },
    "svm": {
        **{
            f"PCA{k} C={c}": (
                lambda k=k, c=c: make_pipeline(
                    PCA(k, random_state=0), SVC(C=c, cache_size=1000)
                )
            )
            for k in (40, 50, 60)
            for c in (5.0, 10.0, 20.0)
        },
    },
    "rf": {
        "peer's random forest, one thread": lambda: RandomForestClassifier(
            100, random_state=0
        ),
        "random forest, max_features=16": lambda: RandomForestClassifier(
            100, max_features=16, random_state=0
        ),
        "random forest, max_samples=0.5": lambda: RandomForestClassifier(
            100, max_samples=0.5, random_state=0
        ),
        "random forest, pixels+PCA50": lambda: make_pipeline(
            _pixels_and_pca(50), RandomForestClassifier(100, random_state=0)
        ),
        "extra trees, pixels+PCA100": lambda: make_pipeline(
            _pixels_and_pca(100), ExtraTreesClassifier(100, random_state=0)
        ),
        **{
            f"random forest, {q} gray levels, {crit}, max_features={mf}": (
                lambda q=q, mf=mf, crit=crit: make_pipeline(
                    GrayLevels(q),
                    RandomForestClassifier(
                        100, criterion=crit, max_features=mf, random_state=0
                    ),
                )
            )
            for q, crit, mf in [
                (8, "gini", "sqrt"),
                (16, "gini", "sqrt"),
                (16, "gini", 20),
                (16, "entropy", "sqrt"),
                (16, "entropy", 20),
                (32, "gini", "sqrt"),
            ]
        },
    },
    "knn": {
        "peer": bench.peer_knn,
        **{
            f"PCA{k} k={n} {w}": (
                lambda k=k, n=n, w=w: make_pipeline(
                    PCA(k, random_state=0),
                    KNeighborsClassifier(n, weights=w, algorithm="brute"),
                )
            )
            for k in (30, 40, 50, 80)
            for n in (5, 8)
            for w in ("uniform", "distance")
        },
    },
    "pca_mlp": {
        "peer": bench.peer_pca_mlp,
        **{
            f"PCA{k} std MLP{h} early stopping": (
                lambda k=k, h=h: make_pipeline(
                    PCA(k, random_state=0),
                    StandardScaler(),
                    MLPClassifier((h,), early_stopping=True, random_state=0),
                )
            )
            for k in (50, 100)
            for h in (256, 512)
        },
    },
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--val-size", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", action="append", choices=list(CANDIDATES))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    ds = data.load(args.dataset, download=False)
    X_fit, X_val, y_fit, y_val = train_test_split(
        np.asarray(ds.X_train),
        ds.y_train,
        test_size=args.val_size,
        stratify=ds.y_train,
        random_state=0,
    )
    rows = []
    warnings.simplefilter("ignore")  # convergence notes of the peer's solvers
    for pipeline in args.only or CANDIDATES:
        for label, factory in CANDIDATES[pipeline].items():
            model = factory()
            with threadpool_limits(args.threads):
                start = time.perf_counter()
                model.fit(X_fit, y_fit)
                fit_s = time.perf_counter() - start
                start = time.perf_counter()
                accuracy = float((model.predict(X_val) == y_val).mean())
                predict_s = time.perf_counter() - start
            row = {
                "dataset": args.dataset,
                "pipeline": pipeline,
                "candidate": label,
                "n_fit": len(y_fit),
                "n_val": len(y_val),
                "threads": args.threads,
                "fit_s": round(fit_s, 2),
                "predict_s": round(predict_s, 2),
                "val_accuracy": accuracy,
            }
            rows.append(row)
            print(
                f"{pipeline:8s} {label:48s} fit {fit_s:7.2f} s  "
                f"predict {predict_s:6.2f} s  val accuracy {accuracy:.4f}",
                flush=True,
            )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        frame = pd.DataFrame(rows)
        if args.out.exists():
            old = pd.read_csv(args.out)
            done = set(frame["pipeline"])
            frame = pd.concat([old[~old["pipeline"].isin(done)], frame])
        frame.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
