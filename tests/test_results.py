"""The leaderboard CSV: atomic appends, strict reading, spreadsheet safety."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from test_io import limited

from mnistbench import results
from mnistbench.results import COLUMNS, LeaderboardError, append_row, read_leaderboard


def row(**kw):
    base = {
        "run_id": "r1",
        "timestamp_utc": "2026-11-22T00:00:00+00:00",
        "job_key": "k1",
        "dataset": "mnist-sample",
        "pipeline": "svm",
        "params": "{}",
        "seed": 0,
        "engine": "sklearn",
        "n_train": 4000,
        "n_test": 1000,
        "threads": 2,
        "fit_s": 1.5,
        "predict_s": 0.5,
        "accuracy": 0.95,
        "f1_macro": 0.949,
        "peak_mem_mb": 200.0,
        "status": "ok",
        "n_cores": 2,
    }
    return {**base, **kw}


def test_round_trip(tmp_path):
    append_row(tmp_path, row())
    append_row(
        tmp_path,
        row(
            job_key="k2",
            status="error",
            accuracy=None,
            error="ValueError: bad\nsecond line",
        ),
    )
    frame = read_leaderboard(tmp_path)
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 2
    assert frame.loc[0, "accuracy"] == 0.95 and frame.loc[0, "seed"] == 0
    assert frame.loc[1, "error"] == "ValueError: bad second line"
    assert frame.loc[1, "accuracy"] != frame.loc[1, "accuracy"]  # NaN
    text = (tmp_path / "leaderboard.csv").read_text()
    assert text.count("\n") == 3 and text.startswith("run_id,timestamp_utc,")


@pytest.mark.parametrize("evil", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_formula_cells_are_defused(tmp_path, evil):
    append_row(tmp_path, row(error=evil, status="error"))
    raw = (tmp_path / "leaderboard.csv").read_text().splitlines()[1]
    cells = next(iter(__import__("csv").reader([raw])))
    assert cells[COLUMNS.index("error")].startswith("'")
    assert read_leaderboard(tmp_path).loc[0, "error"] == " ".join(evil.split())


def test_leading_tab_is_collapsed(tmp_path):
    """Whitespace runs collapse to one space, so a tab never starts a cell."""
    append_row(tmp_path, row(error="\t=cmd", status="error"))
    assert read_leaderboard(tmp_path).loc[0, "error"] == "=cmd"
    assert ",'=cmd," in (tmp_path / "leaderboard.csv").read_text()


def test_negative_numbers_are_not_text(tmp_path):
    append_row(tmp_path, row(fit_s=-0.0))
    assert read_leaderboard(tmp_path).loc[0, "fit_s"] == 0.0


def test_missing_file_is_empty(tmp_path):
    frame = read_leaderboard(tmp_path)
    assert frame.empty and list(frame.columns) == list(COLUMNS)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t + "only,three,fields\n", r"line 3: corrupt row \(3 fields"),
        (
            lambda t: t.replace(",0.95,", ",zero point nine,"),
            "line 2: corrupt row \\(accuracy='zero point nine'",
        ),
        (lambda t: t.replace(",ok,", ",okay,"), "line 2: corrupt row \\(status 'okay'"),
        (lambda t: "a,b,c\n" + t.split("\n", 1)[1], "line 1: the header"),
        (lambda t: t + '"unterminated,' + "x," * 30 + "\n", "line"),
    ],
)
def test_corrupt_rows_are_named(tmp_path, mutate, message):
    append_row(tmp_path, row())
    path = tmp_path / "leaderboard.csv"
    path.write_text(mutate(path.read_text()))
    with pytest.raises(LeaderboardError, match=message) as exc:
        read_leaderboard(tmp_path)
    assert str(path) in str(exc.value) and "\n" not in str(exc.value)


def test_append_refuses_foreign_header(tmp_path):
    (tmp_path / "leaderboard.csv").write_text("a,b\n1,2\n")
    with pytest.raises(LeaderboardError, match="not this version's"):
        append_row(tmp_path, row())


def test_concurrent_writers_keep_every_row(tmp_path):
    """Four processes append 150 rows each at once: 600 whole rows."""
    script = textwrap.dedent(f"""
        import sys
        from mnistbench.results import append_row
        sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
        from test_results import row
        w = sys.argv[1]
        for i in range(150):
            append_row({str(tmp_path)!r}, row(run_id=w, job_key=f"{{w}}-{{i}}",
                       error="x" * 3000))
    """)
    procs = [
        subprocess.Popen([sys.executable, "-c", script, f"w{n}"]) for n in range(4)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0] * 4
    frame = read_leaderboard(tmp_path)
    assert len(frame) == 600
    assert frame["job_key"].is_unique
    assert (frame["error"].str.len() == 3000).all()


def test_best_rows_and_exports(tmp_path):
    for key, pipe, acc in [("a", "svm", 0.95), ("b", "svm", 0.96), ("c", "knn", 0.93)]:
        append_row(tmp_path, row(job_key=key, pipeline=pipe, accuracy=acc))
    append_row(
        tmp_path, row(job_key="d", pipeline="rf", status="timeout", accuracy=None)
    )
    best = results.best_rows(read_leaderboard(tmp_path))
    assert list(best["pipeline"]) == ["svm", "knn"]
    assert list(best["accuracy"]) == [0.96, 0.93]
    md = results.to_markdown(best)
    assert md.splitlines()[0].startswith("| dataset | pipeline | accuracy")
    assert "| mnist-sample | svm | 0.9600 |" in md
    csv_text = results.to_csv_text(best)
    assert (
        csv_text.splitlines()[0] == ",".join(COLUMNS)
        and len(csv_text.splitlines()) == 3
    )


def test_an_older_leaderboard_is_read_and_upgraded_by_the_next_row(tmp_path):
    """A real 0.2.0 leaderboard (no ran_on, no warmup_s) stays readable, and
    the first row appended rewrites it with this version's columns."""
    import shutil
    from pathlib import Path

    old = Path(__file__).parent / "data" / "leaderboard-0.2.0.csv"
    shutil.copy(old, tmp_path / "leaderboard.csv")
    before = read_leaderboard(tmp_path)
    assert len(before) == 5 and list(before.columns) == list(COLUMNS)
    assert before["ran_on"].isna().all() and before["warmup_s"].isna().all()
    assert before.loc[0, "pipeline"] == "logreg" and before.loc[0, "accuracy"] == 0.843

    append_row(tmp_path, row(ran_on="clf:cpu"))
    text = (tmp_path / "leaderboard.csv").read_text()
    assert text.splitlines()[0] == ",".join(COLUMNS)
    after = read_leaderboard(tmp_path)
    assert len(after) == 6

    def cells(frame):  # None and NaN both mean an empty cell
        return frame.astype(object).where(frame.notna(), None)

    pd.testing.assert_frame_equal(cells(after.iloc[:5]), cells(before))
    assert after.loc[5, "ran_on"] == "clf:cpu"


def test_a_0_3_leaderboard_gains_the_worker_column(tmp_path):
    """A real 0.3.0 leaderboard (no worker column) is read as it is, and the
    first row appended (from a Dask worker, say) upgrades it in place."""
    import shutil
    from pathlib import Path

    old = Path(__file__).parent / "data" / "leaderboard-0.3.0.csv"
    shutil.copy(old, tmp_path / "leaderboard.csv")
    before = read_leaderboard(tmp_path)
    assert len(before) == 2 and before["worker"].isna().all()
    assert before.loc[0, "ran_on"] == "reduce:cpu-onedal,clf:cpu-onedal"

    append_row(tmp_path, row(worker="tcp://10.0.0.7:40123"))
    assert (tmp_path / "leaderboard.csv").read_text().splitlines()[0] == ",".join(
        COLUMNS
    )
    after = read_leaderboard(tmp_path)
    assert list(after["accuracy"][:2]) == list(before["accuracy"])
    assert after["worker"].tolist()[2] == "tcp://10.0.0.7:40123"


def test_a_0_6_leaderboard_gains_the_data_sha256_column(tmp_path):
    """A real 0.6.0 leaderboard (no data_sha256) is read as it is, and the
    first row appended upgrades it in place."""
    import shutil
    from pathlib import Path

    old = Path(__file__).parent / "data" / "leaderboard-0.6.0.csv"
    shutil.copy(old, tmp_path / "leaderboard.csv")
    before = read_leaderboard(tmp_path)
    assert len(before) == 2 and before["data_sha256"].isna().all()
    assert before.loc[0, "pipeline"] == "deskew_knn"

    append_row(tmp_path, row(data_sha256="ab" * 32))
    header = (tmp_path / "leaderboard.csv").read_text().splitlines()[0]
    assert header == ",".join(COLUMNS)
    after = read_leaderboard(tmp_path)
    assert list(after["accuracy"][:2]) == list(before["accuracy"])
    assert after["data_sha256"].tolist()[2] == "ab" * 32


def test_a_0_7_leaderboard_gains_definition_and_timing_samples(tmp_path):
    """A real 0.7.0 leaderboard (no definition, no timing samples) is read as
    it is, and the first row appended upgrades it in place."""
    import shutil
    from pathlib import Path

    old = Path(__file__).parent / "data" / "leaderboard-0.7.0.csv"
    shutil.copy(old, tmp_path / "leaderboard.csv")
    before = read_leaderboard(tmp_path)
    assert len(before) == 2 and before["fit_s_samples"].isna().all()
    assert before["definition"].isna().all() and before["data_sha256"].notna().all()

    append_row(tmp_path, row(definition="0123456789ab", fit_s_samples="[1.5, 2.0]"))
    header = (tmp_path / "leaderboard.csv").read_text().splitlines()[0]
    assert header == ",".join(COLUMNS)
    after = read_leaderboard(tmp_path)
    assert list(after["accuracy"][:2]) == list(before["accuracy"])
    assert after["fit_s_samples"].tolist()[2] == "[1.5, 2.0]"
    assert after["definition"].tolist()[2] == "0123456789ab"


def test_a_0_10_leaderboard_gains_the_cpu_seconds(tmp_path):
    """A real 0.10.0 leaderboard (no cpu_s) is read as it is, and the first
    row appended upgrades it in place."""
    import shutil
    from pathlib import Path

    old = Path(__file__).parent / "data" / "leaderboard-0.10.0.csv"
    shutil.copy(old, tmp_path / "leaderboard.csv")
    before = read_leaderboard(tmp_path)
    assert len(before) == 2 and before["cpu_s"].isna().all()
    assert before["definition"].notna().all()

    append_row(tmp_path, row(cpu_s=12.5))
    header = (tmp_path / "leaderboard.csv").read_text().splitlines()[0]
    assert header == ",".join(COLUMNS)
    after = read_leaderboard(tmp_path)
    assert list(after["accuracy"][:2]) == list(before["accuracy"])
    assert after["cpu_s"].tolist()[2] == 12.5


def test_a_short_append_is_cut_back_and_named(tmp_path):
    """The disk takes part of a row, then refuses: nothing of it stays, one
    line says what was not recorded; once there is room, it appends."""
    append_row(tmp_path, row())
    path = tmp_path / "leaderboard.csv"
    before = path.read_bytes()
    result = limited(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_results import row
        from mnistbench._io import WriteError
        from mnistbench.results import append_row
        try:
            append_row({str(tmp_path)!r}, row(job_key="k2"), what="knn seed 0")
        except WriteError as exc:
            print(exc)
        """,
        max_bytes=len(before) + 100,  # room for 100 bytes of the next row
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"file too large (a file size limit) writing {path}; the row of knn seed "
        "0 was not recorded; free space (or make it writable) and run again with "
        "--resume"
    )
    assert path.read_bytes() == before
    append_row(tmp_path, row(job_key="k2"))
    assert list(read_leaderboard(tmp_path)["job_key"]) == ["k1", "k2"]


def test_a_last_line_without_its_newline_gets_one(tmp_path):
    append_row(tmp_path, row())
    path = tmp_path / "leaderboard.csv"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # a hand edit
    assert len(read_leaderboard(tmp_path)) == 1
    append_row(tmp_path, row(job_key="k2"))
    assert list(read_leaderboard(tmp_path)["job_key"]) == ["k1", "k2"]


def test_a_byte_order_mark_is_read_and_kept_working(tmp_path):
    append_row(tmp_path, row())
    path = tmp_path / "leaderboard.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # "CSV UTF-8"
    assert list(read_leaderboard(tmp_path)["job_key"]) == ["k1"]
    append_row(tmp_path, row(job_key="k2"))
    assert list(read_leaderboard(tmp_path)["job_key"]) == ["k1", "k2"]


def test_a_job_another_run_recorded_meanwhile_is_not_recorded_again(tmp_path):
    append_row(tmp_path, row(run_id="first"))
    # this run knew of no row of k1 when it started
    assert append_row(tmp_path, row(run_id="second"), known_runs={}) == "first"
    # with --force it knew of "first"'s row: its own is added
    assert (
        append_row(tmp_path, row(run_id="third"), known_runs={"k1": {"first"}}) is None
    )
    # a failed row, or another job, is always recorded
    assert append_row(tmp_path, row(run_id="x", status="error"), known_runs={}) is None
    assert append_row(tmp_path, row(run_id="x", job_key="k2"), known_runs={}) is None
    frame = read_leaderboard(tmp_path)
    assert list(zip(frame["run_id"], frame["job_key"])) == [
        ("first", "k1"),
        ("third", "k1"),
        ("x", "k1"),
        ("x", "k2"),
    ]


def test_a_leaderboard_that_is_not_a_file_is_refused_unopened(tmp_path):
    os.mkfifo(tmp_path / "leaderboard.csv")
    with pytest.raises(LeaderboardError, match="not a regular file"):
        read_leaderboard(tmp_path)
    with pytest.raises(LeaderboardError, match="not a regular file"):
        append_row(tmp_path, row())
