"""Time of every corruption at every severity on a dataset's test images.

Runs ``mnistbench.corruptions.corrupt`` on the first N test images (float32
in [0, 1], as ``mnistbench run --corruptions`` gives them) and prints the
seconds of each corruption at each severity, its total, the grand total and
the machine (CPU model, cores, load average before and after: other
processes on the machine slow it down).

    python benchmarks/corruptions.py --dataset fashion-mnist --n 10000

``--csv PATH`` also writes the times as a CSV (one row per corruption and
severity, with the machine), whole or not at all: results/bench/ keeps the
committed one. ``--repeat K`` times each cell K times and keeps the fastest;
``--corruptions shear,rotate`` and ``--severity 1,5`` time a part of the
grid. A dataset with fewer test images than N has its test images repeated
up to N (the script says so).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import scipy
import skimage

from mnistbench import corruptions, data
from mnistbench.envinfo import cpu_model


def _best(repeat: int, step) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return min(times)


def _load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def _images(dataset: str, n: int) -> tuple[np.ndarray, str]:
    images = data.load(dataset, download=False).images("test")
    note = ""
    if len(images) < n:
        note = f" ({len(images)} test images, repeated)"
        images = np.resize(images, (n, *images.shape[1:]))
    return np.ascontiguousarray(images[:n]), note


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset", default="fashion-mnist", help="e.g. fashion-mnist, mnist-sample"
    )
    parser.add_argument("--n", type=int, default=10_000, help="test images")
    parser.add_argument("--repeat", type=int, default=1, help="keep the fastest")
    parser.add_argument("--corruptions", default="all")
    parser.add_argument("--severity", default="all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--csv", default=None, help="also write the times here")
    args = parser.parse_args(argv)

    names = corruptions.select(args.corruptions)
    levels = corruptions.severities(args.severity)
    images, note = _images(args.dataset, args.n)
    print(f"dataset: {args.dataset}, {len(images)} images {images.shape[1:]}" + note)
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores; load average "
        f"{_load_average()} (1, 5, 15 min)"
    )
    print(
        f"numpy {np.__version__}, scipy {scipy.__version__}, scikit-image "
        f"{skimage.__version__}; repeat {args.repeat} (fastest kept)"
    )
    corruptions.corrupt(images[:8], names[0], levels[0])  # imports, caches
    width = max(len(name) for name in names)
    header = " ".join(f"{f's{level}':>6}" for level in levels)
    print(f"\n{'seconds':<{width}} {header} {'total':>7}")
    grand = 0.0
    rows = []
    for name in names:
        row = [
            _best(
                args.repeat,
                lambda name=name, level=level: corruptions.corrupt(
                    images, name, level, seed=args.seed
                ),
            )
            for level in levels
        ]
        grand += sum(row)
        rows += [(name, level, t) for level, t in zip(levels, row)]
        cells = " ".join(f"{t:6.2f}" for t in row)
        print(f"{name:<{width}} {cells} {sum(row):7.2f}", flush=True)
    cells = len(names) * len(levels)
    print(
        f"\ntotal: {grand:.1f} s for {cells} (corruption, severity) cells, "
        f"{grand / cells:.2f} s each on average"
    )
    print(f"load average after: {_load_average()}")
    if args.csv:
        _write_csv(args, rows, len(images))
        print(f"wrote {args.csv}")
    return 0


def _write_csv(args, rows, n: int) -> None:
    import pandas as pd

    from mnistbench import __version__
    from mnistbench._io import atomic_write_text

    frame = pd.DataFrame(rows, columns=["corruption", "severity", "seconds"])
    frame = frame.assign(
        dataset=args.dataset,
        n_images=n,
        cpu=cpu_model(),
        n_cores=os.cpu_count(),
        mnistbench_version=__version__,
        numpy_version=np.__version__,
        scipy_version=scipy.__version__,
        skimage_version=skimage.__version__,
    )
    atomic_write_text(args.csv, frame.to_csv(index=False, float_format="%.4f"))


if __name__ == "__main__":
    sys.exit(main())
