"""What it costs to start a job: a new Python against a fork of the job server.

Runs the same small job (``knn`` on 500 images of the bundled MNIST sample)
``--times`` times each way, alternating, through the runner's own
``run_isolated``, and prints the median wall clock of each, the job's own fit +
predict seconds, and the ratio. The first fork waits for the server to import
scikit-learn and is reported apart.

    python benchmarks/job_start.py --times 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from mnistbench import jobs
from mnistbench.plan import RunPlan


def _once(job, server: bool) -> tuple[float, float]:
    jobs.use_job_server(server)
    start = time.perf_counter()
    result = jobs.run_isolated(job, threads=1)
    wall = time.perf_counter() - start
    if result["status"] != "ok":
        raise SystemExit(f"the job failed: {result.get('error')}")
    return wall, result["fit_s"] + result["predict_s"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=5)
    args = parser.parse_args(argv)
    plan = RunPlan(["knn"], datasets=["mnist-sample"], train_size=500, out="unused")
    job = plan.jobs({"mnist-sample": 4000})[0]
    first, _ = _once(job, server=True)  # starts the server
    walls = {"new Python": [], "fork server": []}
    work = []
    for _ in range(args.times):
        for name in walls:
            wall, own = _once(job, server=name == "fork server")
            walls[name].append(wall)
            work.append(own)
    new, forked = (statistics.median(w) for w in walls.values())
    own = statistics.median(work)
    print(f"job: knn, 500 training images, fit + predict {own:.2f} s")
    print(f"first fork (server starting): {first:.2f} s")
    for name, values in walls.items():
        print(f"{name:12s} median {statistics.median(values):.2f} s over {len(values)}")
    print(f"ratio: {new / forked:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
