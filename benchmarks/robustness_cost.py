"""What ``--corruptions`` adds to a run: time and each job's peak memory,
measured side by side in one process.

Runs the same pipelines twice on a dataset, into two temporary folders: once
plain, once with ``--corruptions`` (the corrupted sets made beforehand, so
that both runs only fit and predict), and prints, per job, the peak resident
memory of its process in each, the difference, and the size of one corrupted
test set; then the seconds of each run, and the time to make the sets.

    python benchmarks/robustness_cost.py --dataset fashion-mnist \\
        --pipelines logreg,knn,pca_mlp --corruptions all --severity 3

Each job reads one corrupted set at a time (memory-mapped from the cache), so
its peak should grow by at most about one set.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from mnistbench import corruptions, data, runner
from mnistbench.envinfo import cpu_model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--pipelines", default="logreg,knn,pca_mlp")
    parser.add_argument("--corruptions", default="all")
    parser.add_argument("--severity", default="3")
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args(argv)
    names = args.pipelines.split(",")
    ds = data.load(args.dataset, download=False)
    sets = corruptions.select(args.corruptions)
    levels = corruptions.severities(args.severity)
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores")
    print(f"dataset: {args.dataset}, {len(ds.y_test):,} test images")

    start = time.perf_counter()
    for name in sets:
        for level in levels:
            data.corrupted_test_set(ds, name, level, 0)
    made = time.perf_counter() - start
    one_set_mb = ds.X_test.nbytes / 1e6
    print(f"{len(sets) * len(levels)} corrupted sets made or read: {made:.1f} s")

    common = dict(datasets=[args.dataset], n_jobs=args.n_jobs, plots=False)
    with tempfile.TemporaryDirectory() as plain, tempfile.TemporaryDirectory() as rob:
        start = time.perf_counter()
        a = runner.run(names, out=plain, **common)
        plain_s = time.perf_counter() - start
        start = time.perf_counter()
        b = runner.run(
            names,
            out=rob,
            corruptions=list(sets),
            severity=list(levels),
            **common,
        )
        rob_s = time.perf_counter() - start
    if not (a.ok and b.ok):
        print("a job failed; see its error column")
        return 1
    peaks = b.rows.set_index("pipeline")["peak_mem_mb"]
    extra = b.robustness.groupby("pipeline")["predict_s"].sum()
    print(f"\none corrupted test set: {one_set_mb:.1f} MB (float32)")
    print(
        f"{'pipeline':<10} {'plain MB':>9} {'with MB':>9} {'diff MB':>8} {'sets s':>7}"
    )
    for row in a.rows.itertuples():
        p = row.pipeline
        diff = peaks[p] - row.peak_mem_mb
        print(
            f"{p:<10} {row.peak_mem_mb:9.0f} {peaks[p]:9.0f} {diff:9.0f} "
            f"{extra[p]:9.1f}"
        )
    print(
        f"\nrun without corruptions: {plain_s:.1f} s; with "
        f"{len(sets) * len(levels)} corrupted sets: {rob_s:.1f} s "
        f"(x{rob_s / plain_s:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
