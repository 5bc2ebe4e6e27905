"""mnistbench's SVC against scikit-learn's, side by side in one run.

Both fit the same features (hog_svm's, on the first N training images of a
dataset) with the same parameters; the script prints each one's fit and
predict times, their ratios, and whether the models and predictions are
identical. Timings vary between runs and machines: compare the ratios.

    python benchmarks/svm_speed.py --dataset fashion-mnist --n 20000 --threads 2

`--repeat K` times each step K times and keeps the fastest.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from joblib import parallel_config
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from mnistbench import data, pipelines
from mnistbench.envinfo import cpu_model
from mnistbench.svm import SVC as BlasSVC


def _best(repeat, step):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--n", type=int, default=20_000, help="training images")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)

    ds = data.load(args.dataset, download=False)
    X, y = np.asarray(ds.X_train[: args.n]), ds.y_train[: args.n]
    with threadpool_limits(args.threads), parallel_config(n_jobs=args.threads):
        features = pipelines.hog_and_pixels().set_params(
            hog__pca__random_state=0, pixels__random_state=0
        )
        F = features.fit_transform(X).astype(np.float64)
        T = features.transform(np.asarray(ds.X_test)).astype(np.float64)
        stock, ours = SVC(C=10, cache_size=1000), BlasSVC(C=10, cache_size=1000)
        fit_stock, _ = _best(args.repeat, lambda: stock.fit(F, y))
        fit_ours, _ = _best(args.repeat, lambda: ours.fit(F, y))
        pred_stock, p_stock = _best(args.repeat, lambda: stock.predict(T))
        pred_ours, p_ours = _best(args.repeat, lambda: ours.predict(T))
    same_model = all(
        np.array_equal(getattr(stock, a), getattr(ours, a))
        for a in ("support_", "dual_coef_", "intercept_")
    )
    print(
        f"{args.dataset}: SVC(C=10) on hog_svm's features, {len(F):,} training "
        f"images, {len(T):,} test images, {ours.n_support_.sum():,} support "
        f"vectors, {args.threads} threads, {cpu_model()}"
    )
    print(f"{'':10s} {'scikit-learn':>13s} {'mnistbench':>11s} {'ratio':>6s}")
    for name, a, b in (
        ("fit s", fit_stock, fit_ours),
        ("predict s", pred_stock, pred_ours),
    ):
        print(f"{name:10s} {a:13.2f} {b:11.2f} {a / b:5.1f}x")
    same_predictions = np.array_equal(p_stock, p_ours)
    print(f"same model: {same_model}; same predictions: {same_predictions}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
