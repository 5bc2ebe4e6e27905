"""What a job that takes every core gains by yielding to the others: the suite
with the filler's lowered priority against the same suite without it.

Runs the five pipelines the peer benchmark compares (``logreg``, ``svm``,
``rf``, ``knn``, ``pca_mlp``) on Fashion-MNIST as ``mnistbench run`` does
(job server on, two jobs at once on two cores), ``--times`` times each way,
alternating: once with ``MNISTBENCH_FILLER_NICENESS=0`` (``rf``'s forest,
``n_jobs=-1``, competes with ``svm`` for its core) and once as shipped
(``rf`` runs at niceness 10, so it fills idle cores). Prints each run's wall
clock and the jobs' CPU seconds, then the ratio of the medians.

    python benchmarks/filler_priority.py --engine sklearnex --times 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

from mnistbench import jobs
from mnistbench.bench._common import suite_plan, timed_run
from mnistbench.bench.peer import PEERS

WAYS = {"filler not yielding": "0", "filler yielding (as shipped)": None}


def _once(engine: str, dataset: str, out: str, niceness: str | None):
    if niceness is None:
        os.environ.pop("MNISTBENCH_FILLER_NICENESS", None)
    else:
        os.environ["MNISTBENCH_FILLER_NICENESS"] = niceness
    summary, wall = timed_run(suite_plan(list(PEERS), dataset, out, engine=engine))
    if not summary.ok:
        raise SystemExit(f"a job failed: {summary.rows[['pipeline', 'error']]}")
    rows = summary.rows.set_index("pipeline")
    return wall, float(rows["cpu_s"].sum()), rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="sklearn")
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--times", type=int, default=2)
    args = parser.parse_args(argv)
    jobs.use_job_server(True)
    walls = {name: [] for name in WAYS}
    with tempfile.TemporaryDirectory(prefix="filler-priority-") as out:
        # a first run gives the start order its history (longest first)
        _once(args.engine, args.dataset, out, None)
        for _ in range(args.times):
            for name, niceness in WAYS.items():
                wall, cpu, rows = _once(args.engine, args.dataset, out, niceness)
                walls[name].append(wall)
                jobs_s = ", ".join(
                    f"{p} {r.fit_s + r.predict_s:.1f}" for p, r in rows.iterrows()
                )
                print(f"{name:30s} wall {wall:6.1f} s, CPU {cpu:6.1f} s; {jobs_s}")
    off, on = (statistics.median(w) for w in walls.values())
    print(f"engine {args.engine}, {os.cpu_count()} cores")
    print(
        f"median wall: {off:.1f} s not yielding, {on:.1f} s yielding; "
        f"ratio {off / on:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
