"""Writing files whole or not at all, and text that stays text."""

import os
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from mnistbench._io import (
    WriteError,
    atomic_write,
    atomic_write_text,
    check_writable,
    mount_point,
)
from mnistbench._text import csv_cell, csv_text, md_escape, uncsv_cell


def limited(code: str, max_bytes: int) -> subprocess.CompletedProcess:
    """Run ``code`` in a Python whose files cannot grow past ``max_bytes``
    (RLIMIT_FSIZE: the kernel writes what fits, then refuses, as a full disk
    does); SIGXFSZ ignored, so the refusal is an error, not a kill."""
    prelude = textwrap.dedent(
        f"""
        import resource, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({max_bytes}, {max_bytes}))
        """
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "report.html"
    atomic_write_text(path, "old")

    def half(f):
        f.write(b"new, half")
        raise RuntimeError("the figure failed")

    with pytest.raises(RuntimeError):
        atomic_write(path, half)
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_a_file_too_big_for_the_disk_is_one_line_and_leaves_the_old(tmp_path):
    path = tmp_path / "figure.png"
    path.write_bytes(b"old figure")
    result = limited(
        f"""
        from mnistbench._io import WriteError, atomic_write
        try:
            atomic_write({str(path)!r}, lambda f: f.write(b"x" * 100_000))
        except WriteError as exc:
            print(exc)
        """,
        max_bytes=50_000,
    )
    assert result.returncode == 0, result.stderr
    message = result.stdout.strip()
    assert message == f"file too large (a file size limit) writing {path}"
    assert path.read_bytes() == b"old figure"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure.png"]


def test_check_writable(tmp_path):
    check_writable(tmp_path / "new" / "folder")  # made
    assert (tmp_path / "new" / "folder").is_dir()
    check_writable(tmp_path / "not" / "yet", create=False)  # judged, not made
    assert not (tmp_path / "not").exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(WriteError, match=f"^{blocker} is not a folder$"):
        check_writable(blocker / "out")
    fifo = tmp_path / "leaderboard.csv"
    os.mkfifo(fifo)
    with pytest.raises(WriteError, match="is not a regular file"):
        check_writable(tmp_path, "leaderboard.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "file",
        "leaderboard.csv",
        "new",
    ]


def test_mount_point_is_a_mount(tmp_path):
    here = mount_point(tmp_path / "not" / "made")
    assert os.path.ismount(here)
    assert tmp_path.resolve().is_relative_to(here)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-0.0012", "-0.0012"),  # a number in text stays a number
        ("+1e-3", "+1e-3"),
        (-0.5, "-0.5"),
        (None, ""),
        (float("nan"), ""),
        ("knn", "knn"),
    ],
)
def test_csv_cells_are_inert(value, cell):
    assert csv_cell(value) == cell
    if isinstance(value, str):
        assert uncsv_cell(cell) == value


def test_csv_text_neutralises_every_cell():
    frame = pd.DataFrame({"=job": ["=cmd|' /C calc'!A0", "ok"], "diff": [-0.5, 1.0]})
    text = csv_text(frame)
    assert text.splitlines() == ["'=job,diff", "'=cmd|' /C calc'!A0,-0.5", "ok,1.0"]


def test_markdown_escapes_markup_html_and_links():
    text = md_escape("<script>alert(1)</script> [x](http://e) *b* `c` | d\nnext")
    assert "<" not in text and ">" not in text
    assert text == (
        "&lt;script&gt;alert(1)&lt;/script&gt; \\[x\\](http://e) \\*b\\* \\`c\\` "
        "\\| d next"
    )


def test_a_short_write_numpy_reports_without_errno_is_named(tmp_path):
    """numpy says "N requested and M written", with no errno: the cause is
    found from the file system and the process's limits."""
    path = tmp_path / "predictions.npy"
    result = limited(
        f"""
        import numpy as np
        from mnistbench._io import WriteError, atomic_write
        try:
            atomic_write({str(path)!r}, lambda f: np.save(f, np.zeros(100_000)))
        except WriteError as exc:
            print(exc)
        """,
        max_bytes=50_000,
    )
    assert result.stdout.strip() == f"file too large (a file size limit) writing {path}"
    assert list(tmp_path.iterdir()) == []
