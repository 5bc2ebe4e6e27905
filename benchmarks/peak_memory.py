"""Peak memory of a whole command, its child processes included.

    python benchmarks/peak_memory.py -- mnistbench run --all -d fashion-mnist

Samples every 50 ms the process tree the command starts (Linux /proc) and
prints the peak of two sums over that tree: RSS (resident pages, shared pages
counted once per process: an upper bound) and PSS (shared pages split between
the processes sharing them: what the tree really occupies). A job's own peak
between two samples can be missed; the job rows' ``peak_mem_mb`` (VmHWM)
does not miss it.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def _kb(pid: int, key: str, name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__)
        return 2
    start = time.perf_counter()
    proc = subprocess.Popen(argv)
    peak_rss = peak_pss = 0
    n_procs = 0
    while proc.poll() is None:
        pids = _children(proc.pid)
        rss = sum(_kb(p, "VmRSS:", "status") for p in pids)
        pss = sum(_kb(p, "Pss:", "smaps_rollup") for p in pids)
        if rss > peak_rss:
            peak_rss, n_procs = rss, len(pids)
        peak_pss = max(peak_pss, pss)
        time.sleep(0.05)
    wall = time.perf_counter() - start
    print(
        f"peak_memory: exit {proc.returncode}, wall {wall:.1f} s, "
        f"peak RSS sum {peak_rss / 1024:.0f} MB ({n_procs} processes), "
        f"peak PSS sum {peak_pss / 1024:.0f} MB",
        flush=True,
    )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
