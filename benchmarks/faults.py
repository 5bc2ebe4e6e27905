"""The fault audit: what mnistbench does when the disk fills, a folder is
read-only, a file is damaged or hostile, or two runs collide.

Every case runs mnistbench as a user would (the ``mnistbench`` command, on the
MNIST sample that ships with it, in a temporary folder) or, for the
estimators, through their Python API, and checks the outcome. It prints one
row per case (case, expected, observed, verdict) and exits 1 when a case
fails. Cases that need root (a small loop-mounted file system to fill, a
read-only bind mount) run where the user is root and are skipped, with the
reason, elsewhere.

    python benchmarks/faults.py                 # every case
    python benchmarks/faults.py -k disk -k ro   # cases whose name holds a word
    python benchmarks/faults.py --list
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE = ("-d", "mnist-sample")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass
class Outcome:
    expected: str
    observed: str
    ok: bool


@dataclass
class Case:
    name: str
    func: Callable[[Path], Outcome]
    root: bool = False


CASES: list[Case] = []


def case(name: str, root: bool = False):
    def register(func):
        CASES.append(Case(name, func, root))
        return func

    return register


# --- helpers ------------------------------------------------------------------------


def mnistbench(*args, timeout: float = 300, env=None, preexec=None, **kw):
    """The ``mnistbench`` command of this Python, finished (or killed after
    ``timeout`` s: then its returncode is None)."""
    command = [sys.executable, "-c", "from mnistbench.cli import main; main()"]
    try:
        return subprocess.run(
            [*command, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "COLUMNS": "250", **(env or {})},
            preexec_fn=preexec,
            **kw,
        )
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(
            exc.cmd, None, "", f"timed out ({timeout} s)"
        )


def measured(*args, preexec=None, timeout: float = 300):
    """:func:`mnistbench`, and the peak resident memory of that process alone
    in MB (its own rusage, from ``wait4``)."""
    command = [sys.executable, "-c", "from mnistbench.cli import main; main()"]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [*command, *map(str, args)],
            stdout=out,
            stderr=err,
            text=True,
            env={**os.environ, "COLUMNS": "250"},
            preexec_fn=preexec,
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(
            args, proc.returncode, out.read(), err.read()
        )
    return done, usage.ru_maxrss / 1024


def error_line(proc) -> str | None:
    """The one ``Error:`` line of a command that failed as it should (exit 2,
    no traceback); None otherwise."""
    if proc.returncode != 2 or "Traceback" in proc.stderr:
        return None
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("Error: ")]
    return errors[0] if len(errors) == 1 else None


def said(proc) -> str:
    """What a command ended with, in a few words."""
    if proc.returncode is None:
        return proc.stderr
    lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines()]
    last = next((ln for ln in reversed(lines) if ln), "")
    tb = ", traceback" if "Traceback" in proc.stderr else ""
    return f"exit {proc.returncode}{tb}: {last[:160]}"


def rows(out: Path) -> list[dict]:
    path = out / "leaderboard.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def stray_files(out: Path, *, without_row: bool = True) -> list[str]:
    """Temporary files left in ``out``, and prediction files no row points to."""
    left = [str(p.relative_to(out)) for p in out.rglob("*.tmp")]
    if without_row:
        pointed = {r["predictions"] for r in rows(out)}
        left += [
            str(p.relative_to(out))
            for p in (out / "predictions").rglob("*.npy")
            if str(p.relative_to(out)) not in pointed
        ]
    return left


def first_run(out: Path, *pipelines: str) -> None:
    proc = mnistbench("run", *(pipelines or ("knn",)), *SAMPLE, "--out", out)
    if proc.returncode != 0:
        raise RuntimeError(f"the set-up run failed: {said(proc)}")


@contextlib.contextmanager
def small_disk(where: Path, kib: int = 4096) -> Iterator[Path]:
    """A file system of ``kib`` KiB in 1 KiB blocks (ext2, none reserved),
    loop-mounted at ``where``: full to the block, unlike tmpfs, whose
    accounting is per page and lags."""
    image = where.with_suffix(".img")
    with open(image, "wb") as f:
        f.truncate(kib * 1024)
    subprocess.run(
        ["mkfs.ext2", "-q", "-F", "-m", "0", "-b", "1024", str(image)], check=True
    )
    where.mkdir()
    subprocess.run(["mount", "-o", "loop", str(image), str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)
        image.unlink(missing_ok=True)


def fill(disk: Path, leave_blocks: int) -> Path:
    """Fill ``disk`` until ``leave_blocks`` 1 KiB blocks are free."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        chunk = b"\0" * 1024
        with contextlib.suppress(OSError):  # until the disk is full
            while os.write(fd, chunk):
                pass
    finally:
        os.close(fd)
    os.sync()
    free = os.statvfs(disk).f_bavail
    if free:  # what a block-sized write could not take
        raise RuntimeError(f"{disk}: {free} blocks still free after filling")
    with open(filler, "r+b") as f:
        f.truncate(max(0, filler.stat().st_size - leave_blocks * 1024))
    os.sync()
    return filler


def blocks(path: Path) -> int:
    return math.ceil(path.stat().st_size / 1024)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """``path`` bind-mounted read-only over itself."""
    subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
    try:
        subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(path), str(path)], check=True
        )
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False)


def leave_room(out: Path, room: int, table: str = "leaderboard.csv") -> None:
    """Pad ``out``'s ``table`` (``leaderboard.csv`` or ``robustness.csv``)
    with an ``error`` row so that its last 1 KiB block has fewer than
    ``room`` bytes left: the next row cannot fit."""
    from mnistbench import results

    schema, append = {
        results.LEADERBOARD: (results.SCHEMA, results.append_row),
        results.ROBUSTNESS: (results.ROBUSTNESS_SCHEMA, results.append_robustness),
    }[table]
    path = out / table
    left = 1024 - path.stat().st_size % 1024
    if left < room:
        return
    with open(path, newline="", encoding="utf-8-sig") as f:
        template = {k: (v or None) for k, v in next(csv.DictReader(f)).items()}
    pad = {
        **template,
        "job_key": "padding",
        "status": "error",
        "predictions": None,
        "error": "",
    }
    base = len(results.row_line(pad, schema))
    pad["error"] = "x" * ((left - base - room // 2) % 1024 or 1)
    append(out, pad)


# --- 1. full disk, short writes -----------------------------------------------------


@case("full disk: the row of a fitted job", root=True)
def full_disk_row(tmp: Path) -> Outcome:
    with small_disk(tmp / "disk") as disk:
        out = disk / "out"
        first_run(out)
        for sub in ("predictions/mnist-sample/logreg", "plots/mnist-sample"):
            (out / sub).mkdir(parents=True, exist_ok=True)
        leave_room(out, 200)
        board = (out / "leaderboard.csv").read_bytes()
        (npy,) = (out / "predictions" / "mnist-sample" / "knn").iterdir()
        filler = fill(disk, leave_blocks=blocks(npy))  # the predictions fit
        cut = mnistbench("run", "logreg", *SAMPLE, "--out", out)
        line = error_line(cut) or ""
        same = (out / "leaderboard.csv").read_bytes() == board
        left = stray_files(out)
        filler.unlink()
        again = mnistbench("run", "logreg", *SAMPLE, "--out", out, "--resume")
        done = [r["pipeline"] for r in rows(out) if r["status"] == "ok"]
    ok = (
        line.startswith(f"Error: no space left on {disk} writing ")
        and line.endswith(
            "leaderboard.csv; the row of mnist-sample/logreg seed 0 was not "
            "recorded; free space (or make it writable) and run again with --resume"
        )
        and same
        and not left
        and again.returncode == 0
        and sorted(done) == ["knn", "logreg"]
    )
    return Outcome(
        "one line naming the disk, the file and the job, exit 2; the leaderboard "
        "as it was, no predictions without a row; --resume completes once freed",
        f"{line or said(cut)}; leaderboard unchanged: {same}; stray files: "
        f"{left or 'none'}; --resume: exit {again.returncode}, ok rows {done}",
        ok,
    )


@case("full disk: a row of robustness.csv (--corruptions)", root=True)
def full_disk_robustness(tmp: Path) -> Outcome:
    with small_disk(tmp / "disk") as disk:
        out = disk / "out"
        corrupted = ("--corruptions", "shear", "--severity", "1")
        proc = mnistbench("run", "knn", *SAMPLE, *corrupted, "--out", out)
        if proc.returncode != 0:
            raise RuntimeError(f"the set-up run failed: {said(proc)}")
        (out / "predictions" / "mnist-sample" / "logreg").mkdir(parents=True)
        leave_room(out, 200)  # the clean row takes the one spare block
        leave_room(out, 100, "robustness.csv")  # the set's row needs another
        rob = (out / "robustness.csv").read_bytes()
        npy = next((out / "predictions" / "mnist-sample" / "knn").iterdir())
        filler = fill(disk, leave_blocks=2 * blocks(npy) + 1)
        run = ("run", "logreg", *SAMPLE, *corrupted, "--out", out)
        cut = mnistbench(*run)
        line = error_line(cut) or ""
        same = (out / "robustness.csv").read_bytes() == rob
        clean = [r["pipeline"] for r in rows(out) if r["status"] == "ok"]
        logreg = out / "predictions" / "mnist-sample" / "logreg"
        stray = [p.name for p in logreg.iterdir() if "shear" in p.name]
        filler.unlink()
        again = mnistbench(*run, "--resume")
        with open(out / "robustness.csv", newline="", encoding="utf-8") as f:
            scored = [r["pipeline"] for r in csv.DictReader(f) if r["status"] == "ok"]
    ok = (
        line.startswith(f"Error: no space left on {disk} writing ")
        and line.endswith(
            "robustness.csv; the shear row of mnist-sample/logreg seed 0 was not "
            "recorded; free space (or make it writable) and run again with --resume"
        )
        and same
        and not stray
        and sorted(clean) == ["knn", "logreg"]
        and again.returncode == 0
        and sorted(scored) == ["knn", "logreg"]
    )
    return Outcome(
        "one line naming the disk, robustness.csv and the set, exit 2; the file "
        "as it was, no predictions without a row, the clean row in; --resume "
        "scores the missing set once freed",
        f"{line or said(cut)}; robustness.csv unchanged: {same}; stray: "
        f"{stray or 'none'}; clean rows {sorted(clean)}; --resume: exit "
        f"{again.returncode}, ok robustness rows {sorted(scored)}",
        ok,
    )


@case("short write: a file size limit cuts the row (no root)")
def short_write(tmp: Path) -> Outcome:
    out = tmp / "out"
    first_run(out)
    board = out / "leaderboard.csv"
    before = board.read_bytes()

    def limit():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        size = len(before) + 100
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    cut = mnistbench("run", "logreg", *SAMPLE, "--out", out, preexec=limit)
    line = error_line(cut) or ""
    same = board.read_bytes() == before
    left = stray_files(out)
    again = mnistbench("run", "logreg", *SAMPLE, "--out", out, "--resume")
    ok = "the row of mnist-sample/logreg seed 0 was not recorded" in line
    ok = ok and same and not left and again.returncode == 0
    return Outcome(
        "the write that comes up short is cut back: one line, exit 2, the "
        "leaderboard as it was; --resume completes",
        f"{line or said(cut)}; unchanged: {same}; stray: {left or 'none'}; "
        f"--resume exit {again.returncode}",
        ok,
    )


@case("full disk: no room for the predictions file", root=True)
def full_disk_predictions(tmp: Path) -> Outcome:
    with small_disk(tmp / "disk") as disk:
        out = disk / "out"
        first_run(out)
        (out / "predictions" / "mnist-sample" / "logreg").mkdir(parents=True)
        board = (out / "leaderboard.csv").read_bytes()
        filler = fill(disk, leave_blocks=1)  # the start's check passes
        proc = mnistbench("run", "logreg", *SAMPLE, "--out", out)
        line = error_line(proc) or ""
        same = (out / "leaderboard.csv").read_bytes() == board
        left = stray_files(out)
        filler.unlink()
    ok = (
        line.startswith(f"Error: no space left on {disk} writing {out}/predictions/")
        and "the row of mnist-sample/logreg seed 0 was not recorded" in line
        and same
        and not left
    )
    return Outcome(
        "one line naming the .npy and the job, exit 2, nothing of the job left",
        f"{line or said(proc)}; leaderboard unchanged: {same}; stray: {left or 'none'}",
        ok,
    )


@case("full disk: no room for a figure", root=True)
def full_disk_figure(tmp: Path) -> Outcome:
    with small_disk(tmp / "disk") as disk:
        out = disk / "out"
        first_run(out)
        (out / "predictions" / "mnist-sample" / "logreg").mkdir(parents=True)
        (npy,) = (out / "predictions" / "mnist-sample" / "knn").iterdir()
        filler = fill(disk, leave_blocks=blocks(npy) + 2)  # and the row
        proc = mnistbench("run", "logreg", *SAMPLE, "--out", out)
        line = error_line(proc) or ""
        pngs = list((out / "plots").rglob("*.png"))
        whole = all(p.read_bytes().endswith(b"IEND\xaeB`\x82") for p in pngs)
        left = stray_files(out)
        recorded = [r["pipeline"] for r in rows(out)]
        filler.unlink()
    ok = (
        line.startswith(f"Error: no space left on {disk} writing {out}/plots/")
        and "only figures are missing" in line
        and whole
        and not left
        and recorded == ["knn", "logreg"]
    )
    return Outcome(
        "one line naming the figure, exit 2; every PNG whole; the row recorded",
        f"{line or said(proc)}; {len(pngs)} PNGs, all whole: {whole}; stray: "
        f"{left or 'none'}; rows {recorded}",
        ok,
    )


@case("full disk before the run: refused before any job", root=True)
def full_disk_before(tmp: Path) -> Outcome:
    with small_disk(tmp / "disk") as disk:
        out = disk / "out"
        first_run(out)
        filler = fill(disk, leave_blocks=0)
        start = time.monotonic()
        proc = mnistbench("run", "logreg", *SAMPLE, "--out", out)
        took = time.monotonic() - start
        line = error_line(proc) or ""
        filler.unlink()
    ok = line.startswith(f"Error: cannot write to --out {out}: no space left on")
    ok = ok and "accuracy" not in proc.stderr
    return Outcome(
        "one line, exit 2, before anything is fitted",
        f"{line or said(proc)} ({took:.1f} s; a job ran: {'accuracy' in proc.stderr})",
        ok,
    )


@case("full disk: no room for the report", root=True)
def full_disk_report(tmp: Path) -> Outcome:
    with small_disk(tmp / "disk", kib=8192) as disk:
        out = disk / "out"
        first_run(out, "knn", "logreg")
        filler = fill(disk, leave_blocks=40)  # the page fits, not every figure
        proc = mnistbench("report", "--out", out)
        line = error_line(proc) or ""
        html = out / "report.html"
        whole = not html.exists() or html.read_text().endswith("</html>\n")
        pngs = list((out / "report_files").glob("*.png"))
        png_whole = all(p.read_bytes().endswith(b"IEND\xaeB`\x82") for p in pngs)
        left = stray_files(out, without_row=False)
        filler.unlink()
    ok = line.startswith(f"Error: no space left on {disk} writing {out}")
    ok = ok and whole and png_whole and not left
    return Outcome(
        "one line naming the file, exit 2; every file whole or absent",
        f"{line or said(proc)}; report.html whole or absent: {whole}; "
        f"{len(pngs)} figures, all whole: {png_whole}; stray: {left or 'none'}",
        ok,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative path -> bytes), lock files and
    the disk filler left out."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock") and p.name != "filler"
    }


@case("full disk: a merge into a folder with no room for it", root=True)
def full_disk_merge(tmp: Path) -> Outcome:
    other = tmp / "other"
    proc = mnistbench("run", "knn", "logreg", *SAMPLE, "--seed", "1", "--out", other)
    if proc.returncode != 0:
        raise RuntimeError(f"the set-up run failed: {said(proc)}")
    with small_disk(tmp / "disk", kib=8192) as disk:
        out = disk / "merged"
        first_run(out)
        before = snapshot(out)
        filler = fill(disk, leave_blocks=2)  # not the new leaderboard
        proc = mnistbench("merge", other, "--out", out)
        line = error_line(proc) or ""
        after = snapshot(out)
        hidden = [p.name for p in out.iterdir() if p.name.startswith(".")]
        filler.unlink()
    ok = line.startswith(f"Error: no space left on {disk} writing {out}")
    ok = ok and after == before and not hidden
    return Outcome(
        "one line naming the file, exit 2; the merged folder as it was, byte for "
        "byte, no staging folder left",
        f"{line or said(proc)}; unchanged: {after == before}; left: {hidden or 'none'}",
        ok,
    )


@case("merge into, and publish into, a read-only folder", root=True)
def ro_merge_publish(tmp: Path) -> Outcome:
    a, out, shelf = tmp / "a", tmp / "out", tmp / "shelf"
    first_run(a)
    first_run(out, "logreg")
    shelf.mkdir()
    before = snapshot(out)
    with read_only(out), read_only(shelf):
        merged = mnistbench("merge", a, "--out", out)
        published = mnistbench("publish", a, "--zip", shelf / "a.zip")
    lines = [error_line(merged) or "", error_line(published) or ""]
    ok = all(
        f"read-only file system ({p})" in line for p, line in zip((out, shelf), lines)
    )
    ok = ok and snapshot(out) == before and not any(shelf.iterdir())
    return Outcome(
        "one line each naming the folder, exit 2; nothing written",
        f"merge: {lines[0] or said(merged)}; publish: {lines[1] or said(published)}",
        ok,
    )


# --- 2, 11. leaderboards edited by hand ---------------------------------------------


@case("a leaderboard without its final newline")
def no_final_newline(tmp: Path) -> Outcome:
    out = tmp / "out"
    first_run(out)
    board = out / "leaderboard.csv"
    board.write_bytes(board.read_bytes().rstrip(b"\n"))
    shown = mnistbench("leaderboard", "--out", out)
    run = mnistbench("run", "logreg", *SAMPLE, "--out", out)
    after = mnistbench("leaderboard", "--out", out, "--format", "csv")
    text = board.read_bytes()
    lines = text.count(b"\n")
    ok = shown.returncode == run.returncode == after.returncode == 0
    ok = ok and text.endswith(b"\n") and lines == 3
    return Outcome(
        "read; the next row starts on a line of its own; every command still reads it",
        f"leaderboard exit {shown.returncode}, run exit {run.returncode}, then "
        f"leaderboard exit {after.returncode}; {lines} lines",
        ok,
    )


@case("a leaderboard that starts with a byte-order mark")
def byte_order_mark(tmp: Path) -> Outcome:
    out = tmp / "out"
    first_run(out)
    board = out / "leaderboard.csv"
    board.write_bytes(b"\xef\xbb\xbf" + board.read_bytes())
    shown = mnistbench("leaderboard", "--out", out)
    run = mnistbench("run", "knn", "logreg", *SAMPLE, "--out", out, "--resume")
    ok = shown.returncode == 0 and run.returncode == 0 and len(rows(out)) == 2
    return Outcome(
        "read as UTF-8 with its mark; --resume skips the recorded job",
        f"leaderboard {said(shown)}; run --resume exit {run.returncode}, "
        f"{len(rows(out))} rows",
        ok,
    )


@case("a leaderboard.csv that is a FIFO")
def fifo_leaderboard(tmp: Path) -> Outcome:
    out = tmp / "out"
    out.mkdir()
    os.mkfifo(out / "leaderboard.csv")
    proc = mnistbench("run", "knn", *SAMPLE, "--out", out, timeout=60)
    shown = mnistbench("leaderboard", "--out", out, timeout=60)
    line, line2 = error_line(proc) or "", error_line(shown) or ""
    ok = "not a regular file" in line and "not a regular file" in line2
    return Outcome(
        "refused in one line, never opened (no hang)",
        f"run: {line or said(proc)}; leaderboard: {line2 or said(shown)}",
        ok,
    )


# --- 4. read-only places ------------------------------------------------------------


@case("report into a read-only folder", root=True)
def ro_report(tmp: Path) -> Outcome:
    out = tmp / "out"
    first_run(out)
    with read_only(out):
        start = time.monotonic()
        proc = mnistbench("report", "--out", out)
        took = time.monotonic() - start
    line = error_line(proc) or ""
    ok = line == (
        f"Error: cannot write the report into {out}: read-only file system "
        f"({out}) writing {out}"
    )
    return Outcome(
        "one line before building anything, exit 2",
        f"{line or said(proc)} ({took:.1f} s)",
        ok and not (out / "report_files").exists(),
    )


@case("run into a read-only predictions/ or leaderboard.csv", root=True)
def ro_run(tmp: Path) -> Outcome:
    out = tmp / "out"
    first_run(out)
    seen = []
    for place in (out / "predictions", out / "leaderboard.csv"):
        before = sorted(p.name for p in out.rglob("*"))
        with read_only(place):
            proc = mnistbench("run", "logreg", *SAMPLE, "--out", out)
        after = sorted(p.name for p in out.rglob("*"))
        line = error_line(proc) or ""
        seen.append(
            (
                line.startswith(f"Error: cannot write to --out {out}: read-only")
                and "accuracy" not in proc.stderr
                and before == after,
                line or said(proc),
            )
        )
    return Outcome(
        "refused in one line before the first job: nothing fitted, nothing written",
        "; ".join(text for _, text in seen),
        all(ok for ok, _ in seen),
    )


@case("--out is a file, or inside one")
def out_is_a_file(tmp: Path) -> Outcome:
    blocker = tmp / "file"
    blocker.write_text("")
    a = mnistbench("run", "knn", *SAMPLE, "--out", blocker)
    b = mnistbench("run", "knn", *SAMPLE, "--out", blocker / "out")
    la, lb = error_line(a) or "", error_line(b) or ""
    ok = "is a file" in la and lb.endswith(f"{blocker} is not a folder")
    return Outcome("one line each, exit 2", f"{la or said(a)}; {lb or said(b)}", ok)


@case("a path with a name too long for the file system")
def name_too_long(tmp: Path) -> Outcome:
    long = tmp / ("x" * 300)
    seen, ok = [], True
    for args in (
        ("run", "knn", *SAMPLE, "--out", long),
        ("report", "--out", long),
        ("leaderboard", "--out", long),
        ("datasets", long),
    ):
        proc = mnistbench(*args)
        line = error_line(proc) or ""
        ok &= "too long" in line.lower()
        seen.append(
            f"{args[0]}: {(line or said(proc)).replace(str(long), '.../x*300')}"
        )
    return Outcome("one line each, exit 2", "; ".join(seen), ok)


# --- 5. colliding runs --------------------------------------------------------------


@case("three identical runs into one folder at once")
def collisions(tmp: Path) -> Outcome:
    out = tmp / "out"
    command = [sys.executable, "-c", "from mnistbench.cli import main; main()"]
    args = ["run", "knn", "logreg", *SAMPLE, "--out", str(out)]
    procs = [
        subprocess.Popen(
            [*command, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "COLUMNS": "250"},
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    keys = [r["job_key"] for r in rows(out)]
    # A run either recorded its jobs, or says another run did (it started
    # before that run's rows were in), or, started after them, refuses to
    # run them again without --resume or --force.
    recorded_by = sum("is recorded by run" in o + e for o, e in outputs)
    refused = sum(
        p.returncode == 2 and "already have ok rows" in e
        for p, (_, e) in zip(procs, outputs)
    )
    codes = [p.returncode for p in procs]
    ok = len(keys) == len(set(keys)) == 2 and codes.count(0) + refused == 3
    ok = ok and recorded_by + refused >= 2 and not stray_files(out)
    return Outcome(
        "each job recorded once; each run that lost says so ('... is recorded by "
        "run R; not recorded again', or, started later, 'already have ok rows')",
        f"{len(keys)} rows for {len(set(keys))} job keys; {recorded_by} run(s) "
        f"said another run recorded their jobs, {refused} refused them up front; "
        f"exit codes {codes}",
        ok,
    )


# --- 6. damaged predictions ---------------------------------------------------------


@case("damaged predictions: empty, wrong shape, wrong dtype, bad header")
def damaged_predictions(tmp: Path) -> Outcome:
    a, b = tmp / "a", tmp / "b"
    first_run(a)
    first_run(b)
    (npy,) = (b / "predictions" / "mnist-sample" / "knn").iterdir()
    good = npy.read_bytes()
    seen, ok = [], True
    damages = {
        "empty": lambda: npy.write_bytes(b""),
        "wrong shape": lambda: np.save(npy, np.zeros((1000, 2), np.int16)),
        "wrong length": lambda: np.save(npy, np.zeros(999, np.int16)),
        "wrong dtype": lambda: np.save(npy, np.zeros(1000)),
        "bad header": lambda: npy.write_bytes(good[:10] + b"garbage" + good[17:]),
    }
    for kind, damage in damages.items():
        damage()
        # np.save appends .npy to nothing here: the name already ends with it
        cmp_ = mnistbench("compare", a, b)
        rep = mnistbench("report", "--out", b)
        line = error_line(cmp_) or ""
        good_kind = (
            line.startswith("Error: 1 job(s) have no stored predictions")
            and "no usable stored predictions" in cmp_.stderr
            and rep.returncode == 0
        )
        ok &= good_kind
        seen.append(f"{kind}: compare {said(cmp_)[:60]}, report exit {rep.returncode}")
        npy.write_bytes(good)
    return Outcome(
        "a one-line warning each; compare exits 2 with its documented line; "
        "the report builds",
        "; ".join(seen),
        ok,
    )


# --- 8. outputs are inert -----------------------------------------------------------


@case("names that are code: compare CSV, report.md, figures")
def inert_outputs(tmp: Path) -> Outcome:
    from mnistbench import results

    out = tmp / "out"
    first_run(out)
    # a results folder from someone else: its pipeline cell is a formula
    frame = rows(out)
    row = {k: (v or None) for k, v in frame[0].items()}
    row.update(run_id="r2", job_key="other", pipeline='=HYPERLINK("http://x")')
    results.append_row(out, {k: _typed(k, v) for k, v in row.items()})
    csv_out = mnistbench("compare", out, "--by", "run_id", "--format", "csv")
    cells = [c for line in csv.reader(csv_out.stdout.splitlines()) for c in line]
    formulas = [
        c
        for c in cells
        if c[:1] in ("=", "+", "@") or c.startswith("-") and not _is_number(c)
    ]
    # class names that are HTML, Markdown and mathematics
    folder = tmp / "hostile"
    _hostile_csv(folder)
    run = mnistbench("run", "knn", "-d", folder, "--out", tmp / "h")
    rep = mnistbench("report", "--out", tmp / "h")
    md = (tmp / "h" / "report.md").read_text() if rep.returncode == 0 else ""
    html = (tmp / "h" / "report.html").read_text() if rep.returncode == 0 else ""
    ok = not formulas and run.returncode == 0 and rep.returncode == 0
    # the page's own scripts are inline; the class name must stay text
    hostile = "<script>alert(1)"
    ok = ok and "<script" not in md and hostile not in html
    return Outcome(
        "every CSV cell neutralised; names escaped in report.md and report.html; "
        "figures drawn (a name with $ is no formula)",
        f"compare CSV formula cells: {formulas or 'none'}; run {said(run)[:50]}; "
        f"report {said(rep)[:40]}; <script in md: {'<script' in md}, "
        f"{hostile} in html: {hostile in html}",
        ok,
    )


def _typed(column, value):
    from mnistbench.results import SCHEMA

    if value is None:
        return None
    return SCHEMA[column](value) if SCHEMA[column] is not str else value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _hostile_csv(folder: Path) -> None:
    """A CSV dataset whose class names are markup, a link and mathematics."""
    folder.mkdir()
    names = [
        "<script>alert(1)</script>",
        "[click](http://example.com)",
        "$\\frac{1}{$",
        "*bold*",
    ]
    rng = np.random.default_rng(0)
    for split, n in (("train", 200), ("test", 80)):
        y = np.arange(n) % len(names)
        X = rng.integers(0, 60, size=(n, 64)) + y[:, None] * 40
        with open(folder / f"{split}.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["label", *(f"p{i}" for i in range(64))])
            for label, pixels in zip(y, X):
                w.writerow([names[label], *pixels])


# --- 9. the local cluster -----------------------------------------------------------


@case("--cluster local listens on loopback only")
def loopback(tmp: Path) -> Outcome:
    try:
        import psutil
    except ImportError:
        return Outcome("every socket on 127.0.0.1", "skipped: no psutil", True)
    from mnistbench import executors
    from mnistbench.plan import RunPlan

    def listening(procs):
        found = set()
        for p in procs:
            with contextlib.suppress(psutil.Error):
                for c in p.net_connections(kind="inet"):
                    if c.status == psutil.CONN_LISTEN:
                        found.add((p.pid, c.laddr.ip, c.laddr.port))
        return found

    me = psutil.Process()
    before = listening([me])
    plan = RunPlan(["knn"], datasets=["mnist-sample"], cluster="local:1", out=tmp)
    with executors.for_plan(plan) as running:
        sockets = listening([me, *me.children(recursive=True)]) - before
        where = running.capacity(1).where
    ips = sorted({ip for _, ip, _ in sockets})
    return Outcome(
        "every listening socket of the cluster (scheduler, dashboard, workers) on "
        "127.0.0.1",
        f"{len(sockets)} sockets on {ips}; {where.rsplit(';', 1)[-1].strip()}",
        bool(sockets) and set(ips) <= {"127.0.0.1", "::1"},
    )


# --- 10. job folders of killed runs -------------------------------------------------


@case("a killed run's job folder is removed at the next start")
def killed_run_folders(tmp: Path) -> Outcome:
    temp = tmp / "temp"
    temp.mkdir()
    env = {"TMPDIR": str(temp)}
    command = [sys.executable, "-c", "from mnistbench.cli import main; main()"]
    proc = subprocess.Popen(
        [*command, "run", "svm", *SAMPLE, "--out", str(tmp / "out")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(temp.glob("mnistbench-job-*")):
        time.sleep(0.1)
    time.sleep(0.5)
    proc.kill()
    proc.wait()
    left = list(temp.glob("mnistbench-job-*"))
    later = mnistbench("run", "knn", *SAMPLE, "--out", tmp / "out2", env=env)
    after = list(temp.glob("mnistbench-job-*"))
    return Outcome(
        "the folder of the killed run's job removed by the next run",
        f"after kill -9: {len(left)} job folder(s); after the next run "
        f"(exit {later.returncode}): {len(after)}",
        len(left) >= 1 and not after and later.returncode == 0,
    )


# --- 7. hostile own-data files -------------------------------------------------


def _gz_of_zeros(path: Path, header: bytes, n_zeros: int) -> None:
    """A gzip of ``header`` then ``n_zeros`` zero bytes, written as repeated
    gzip members of 1 MiB of zeros each (gzip readers join members), in
    well under a second whatever its inflated size."""
    import gzip

    member = gzip.compress(b"\0" * (1 << 20), mtime=0)
    full, rest = divmod(n_zeros, 1 << 20)
    with open(path, "wb") as f:
        f.write(gzip.compress(header, mtime=0))
        for _ in range(full):
            f.write(member)
        f.write(gzip.compress(b"\0" * rest, mtime=0))


def _idx_header(*dims: int) -> bytes:
    import struct

    return bytes([0, 0, 8, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


@case("a .gz whose header and size agree but which inflates to 2.1 GB")
def gzip_bomb(tmp: Path) -> Outcome:
    folder = tmp / "bomb"
    folder.mkdir()
    n = 2_700_000  # 2,700,000 28x28 images: 2.1 GB, 8.5 GB as float32
    _gz_of_zeros(folder / "train-images-idx3-ubyte.gz", _idx_header(n, 28, 28), n * 784)
    _gz_of_zeros(folder / "train-labels-idx1-ubyte.gz", _idx_header(n), n)
    size = sum(p.stat().st_size for p in folder.iterdir())

    def six_gb():  # the address space the machine had left, about
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))

    start = time.monotonic()
    proc, peak_mb = measured("datasets", folder, preexec=six_gb, timeout=120)
    took = time.monotonic() - start
    line = error_line(proc) or ""
    ok = "the images need" in line and "is available" in line and took < 10
    return Outcome(
        "refused from its header in one line (how much it needs and has), "
        "before the memory is spent",
        f"{size / 1e6:.1f} MB of files; {line or said(proc)}; {took:.1f} s, "
        f"{peak_mb:.0f} MB resident at most",
        ok,
    )


@case("a CSV with 1,000,000 columns on one line")
def wide_csv(tmp: Path) -> Outcome:
    path = tmp / "wide.csv"
    path.write_text("0," * 999_999 + "0\n")
    start = time.monotonic()
    proc, peak_mb = measured("datasets", path, timeout=120)
    took = time.monotonic() - start
    line = error_line(proc) or ""
    return Outcome(
        "refused from its first line in under a second (the command, with "
        "Python's start, in a few)",
        f"{line or said(proc)} ({took:.2f} s and {peak_mb:.0f} MB resident at "
        "most for the whole command)",
        "columns" in line and took < 5,
    )


@case("a FIFO as the dataset path, and a FIFO named train.csv in a folder")
def fifo_data(tmp: Path) -> Outcome:
    fifo = tmp / "pipe"
    os.mkfifo(fifo)
    folder = tmp / "digits"
    folder.mkdir()
    os.mkfifo(folder / "train.csv")
    seen, ok = [], True
    for args in (
        ("datasets", fifo),
        ("datasets", folder),
        ("run", "knn", "-d", folder, "--out", tmp / "out"),
    ):
        start = time.monotonic()
        proc = mnistbench(*args, timeout=60)
        line = error_line(proc) or ""
        good = "FIFO" in line and time.monotonic() - start < 30
        ok &= good
        seen.append(
            f"{args[0]} {Path(args[-1] if args[0] == 'datasets' else folder).name}: "
            f"{line or said(proc)}"
        )
    return Outcome(
        "refused by its kind in one line, never opened (no hang)",
        "; ".join(seen),
        ok and not (tmp / "out" / "leaderboard.csv").exists(),
    )


# --- 12. estimators that promise scikit-learn's behaviour ---------------------


@case("SVC(kernel='precomputed') equals scikit-learn's, 3 and 10 classes")
def precomputed_svc(tmp: Path) -> Outcome:
    from sklearn.datasets import load_digits
    from sklearn.metrics.pairwise import rbf_kernel
    from sklearn.svm import SVC as Reference

    from mnistbench.svm import SVC

    X, y = load_digits(return_X_y=True)
    seen, ok = [], True
    for n_classes, n in ((3, 150), (10, 1000)):
        keep = np.flatnonzero(y < n_classes)[: n + 300]
        Xs, ys = X[keep] / 16, y[keep]
        K_train = rbf_kernel(Xs[:n], Xs[:n], gamma=0.05)
        K_test = rbf_kernel(Xs[n:], Xs[:n], gamma=0.05)
        start = time.monotonic()
        ours = SVC(kernel="precomputed").fit(K_train, ys[:n])
        took = time.monotonic() - start
        ref = Reference(kernel="precomputed").fit(K_train, ys[:n])
        same = (
            np.array_equal(ours.support_, ref.support_)
            and np.allclose(ours.dual_coef_, ref.dual_coef_)
            and np.array_equal(ours.predict(K_test), ref.predict(K_test))
        )
        acc = (ours.predict(K_test) == ys[n:]).mean()
        ok &= same
        seen.append(
            f"{n_classes} classes: {len(ours.support_)} support vectors "
            f"(scikit-learn {len(ref.support_)}), accuracy {acc:.3f} "
            f"(scikit-learn {(ref.predict(K_test) == ys[n:]).mean():.3f}), "
            f"fit {took:.2f} s"
        )
    return Outcome(
        "the same model as scikit-learn's SVC, model for model",
        "; ".join(seen),
        ok,
    )


@case("Augmented with test-time copies around an ovo SVC")
def augmented_ovo(tmp: Path) -> Outcome:
    from mnistbench import data
    from mnistbench.augmentation import Augmented
    from mnistbench.svm import SVC

    ds = data.load("mnist-sample")
    seen, ok = [], True
    for n_classes in (3, 10):
        train = np.flatnonzero(ds.y_train < n_classes)[:600]
        test = np.flatnonzero(ds.y_test < n_classes)
        accuracy = {}
        for shape in ("ovr", "ovo"):
            model = Augmented(
                SVC(decision_function_shape=shape),
                test=("shift",),
                image_shape=(28, 28),
            ).fit(ds.X_train[train], ds.y_train[train])
            try:
                accuracy[shape] = (
                    model.predict(ds.X_test[test]) == ds.y_test[test]
                ).mean()
            except Exception as exc:  # noqa: BLE001 - the audit reports it
                accuracy[shape] = f"{type(exc).__name__}"
        ok &= accuracy["ovo"] == accuracy["ovr"]
        seen.append(
            f"{n_classes} classes: ovo {accuracy['ovo']}, ovr {accuracy['ovr']}"
        )
    return Outcome("ovo predicts as ovr does", "; ".join(seen), ok)


@case("the sklearnex engine's float64 wrappers keep scikit-learn's signatures")
def onedal_wrappers(tmp: Path) -> Outcome:
    try:
        from mnistbench.engines._onedal import SVC, KNeighborsClassifier
    except ImportError as exc:
        return Outcome("", f"skipped: no scikit-learn-intelex ({exc})", True)
    import sklearn
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.utils.validation import has_fit_parameter

    X = np.random.default_rng(0).random((60, 4))
    y = np.arange(60) % 3
    weights = has_fit_parameter(SVC(), "sample_weight")
    try:
        AdaBoostClassifier(SVC(), n_estimators=2).fit(X, y)
        ada = "fits"
    except Exception as exc:  # noqa: BLE001
        ada = f"{type(exc).__name__}: {exc}"[:80]
    try:
        with sklearn.config_context(enable_metadata_routing=True):
            SVC().set_fit_request(sample_weight=True)
            KNeighborsClassifier().fit(X, y)
        routing = "works"
    except Exception as exc:  # noqa: BLE001
        routing = f"{type(exc).__name__}: {exc}"[:80]
    return Outcome(
        "has_fit_parameter(sample_weight) true; AdaBoost fits it; "
        "set_fit_request works",
        f"has_fit_parameter {weights}; AdaBoost {ada}; set_fit_request {routing}",
        weights and ada == "fits" and routing == "works",
    )


@case("a dense-fitted SVC given sparse test data")
def sparse_to_dense(tmp: Path) -> Outcome:
    from scipy import sparse
    from sklearn.svm import SVC as Reference

    from mnistbench.svm import SVC

    X = np.random.default_rng(0).random((60, 4))
    y = np.arange(60) % 3
    said_ = {}
    for name, cls in (("ours", SVC), ("scikit-learn", Reference)):
        try:
            cls().fit(X, y).predict(sparse.csr_matrix(X))
            said_[name] = "no error"
        except Exception as exc:  # noqa: BLE001
            said_[name] = f"{type(exc).__name__}: {exc}"
    return Outcome(
        "scikit-learn's ValueError",
        f"ours: {said_['ours']}",
        said_["ours"] == said_["scikit-learn"]
        and said_["ours"].startswith("ValueError"),
    )


# --- running the audit --------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", action="append", default=[], help="run cases naming this")
    parser.add_argument("--list", action="store_true", help="list the cases")
    args = parser.parse_args(argv)
    chosen = [c for c in CASES if not args.k or any(k in c.name for k in args.k)]
    if args.list:
        for c in chosen:
            print(f"{c.name}{' (root)' if c.root else ''}")
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="mnistbench-faults-") as top:
        top = Path(top)
        os.environ["MNISTBENCH_DATA_HOME"] = str(top / "data")
        for i, c in enumerate(chosen):
            if c.root and not IS_ROOT:
                outcome = Outcome("", "skipped: needs root (mounts)", True)
                results.append((c, outcome, "skip"))
                continue
            tmp = top / f"case{i}"
            tmp.mkdir()
            start = time.monotonic()
            try:
                outcome = c.func(tmp)
            except Exception as exc:  # the audit itself must report, not crash
                outcome = Outcome("", f"{type(exc).__name__}: {exc}", False)
            verdict = "ok" if outcome.ok else "FAIL"
            results.append((c, outcome, verdict))
            print(
                f"[{verdict:>4}] {c.name} ({time.monotonic() - start:.0f} s)",
                file=sys.stderr,
            )
            shutil.rmtree(tmp, ignore_errors=True)
    print(_table(results))
    failed = [c.name for c, _, v in results if v == "FAIL"]
    skipped = sum(v == "skip" for _, _, v in results)
    print(
        f"\n{len(results) - len(failed) - skipped} passed, {len(failed)} failed, "
        f"{skipped} skipped (need root)"
    )
    return 1 if failed else 0


def _table(results) -> str:
    lines = ["| case | expected | observed | verdict |", "|---|---|---|---|"]
    for c, outcome, verdict in results:
        cells = (c.name, outcome.expected, outcome.observed, verdict)
        lines.append("| " + " | ".join(x.replace("|", "/") for x in cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
