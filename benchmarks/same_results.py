"""Check that two results folders hold the same experiments with the same outcomes.

    python benchmarks/same_results.py BEFORE AFTER [--ignore worker]

Used to show that a change of mnistbench's code changed none of its results:
run the same command at the commit before and at the commit after, each into
its own folder, then compare them. Rows are matched by ``job_key``; every
column must be equal except those that differ from run to run by nature (run
ids, timestamps, durations, memory, and the path of the predictions file,
which holds the run id), and each job's stored test-set predictions must be
equal element by element. ``--ignore COLUMN`` leaves out more columns (a Dask
run's ``worker`` is an address with a random port). ``blas`` is compared as
the set of libraries it lists: mnistbench 0.6.0 and earlier wrote them in the
order the process had loaded them, which changed with what it imported first.
Exit code 0 when equal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from mnistbench import results

#: Columns that differ between two runs of the same jobs, whatever the code.
VARYING = (
    "run_id",
    "timestamp_utc",
    "fit_s",
    "predict_s",
    "warmup_s",
    "peak_mem_mb",
    "predictions",
)


def _as_set(blas: str) -> str:
    return ", ".join(sorted(blas.split(", ")))


def differences(a: Path, b: Path, ignore: tuple[str, ...] = ()) -> list[str]:
    """What differs between results folders ``a`` and ``b``, one line each."""
    left = results.read_leaderboard(a).set_index("job_key").sort_index()
    right = results.read_leaderboard(b).set_index("job_key").sort_index()
    found = []
    if list(left.index) != list(right.index):
        only = sorted(set(left.index) ^ set(right.index))
        return [f"different jobs: {len(only)} job key(s) on one side only: {only}"]
    compared = [c for c in left.columns if c not in (*VARYING, *ignore)]
    for column in compared:
        mine, theirs = (s[column].fillna("<empty>").astype(str) for s in (left, right))
        if column == "blas":
            mine, theirs = (s.map(_as_set) for s in (mine, theirs))
        same = mine.eq(theirs)
        for key in same.index[~same]:
            found.append(
                f"{key} {column}: {left.loc[key, column]!r} != "
                f"{right.loc[key, column]!r}"
            )
    for key in left.index:
        pa, pb = left.loc[key, "predictions"], right.loc[key, "predictions"]
        if isinstance(pa, str) != isinstance(pb, str):
            found.append(f"{key}: predictions stored on one side only")
        elif isinstance(pa, str) and not np.array_equal(
            np.load(a / pa), np.load(b / pb)
        ):
            found.append(f"{key}: the predictions differ")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--ignore", action="append", default=[], metavar="COLUMN")
    args = parser.parse_args(argv)
    found = differences(args.before, args.after, tuple(args.ignore))
    rows = len(results.read_leaderboard(args.before))
    ignored = ", ".join([*VARYING, *args.ignore])
    if found:
        print(f"{len(found)} difference(s):", *found, sep="\n  ")
        return 1
    print(
        f"equal: {rows} rows, the same job keys, every column but {ignored} "
        "(blas as a set of libraries), and every job's predictions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
