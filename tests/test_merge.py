"""``mnistbench merge``: results folders of two machines as one, whole or not
at all, and merging twice changes nothing."""

from __future__ import annotations

import errno
import hashlib
import importlib
import logging
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mnistbench import results
from mnistbench._io import WriteError
from mnistbench.cli import cli
from mnistbench.results import _merge_io
from mnistbench.results._merge import KEEP, MergeError, merge
from mnistbench.results._schema import _format

SHA = "a" * 64
Y = np.arange(20) % 10


def add_row(out: Path, job_key="k1", run_id="r1", host="m1", y=Y, **row) -> dict:
    """Append a real leaderboard row (and its predictions, if ``y``) to ``out``."""
    pipeline = row.pop("pipeline", "svm")
    rel = row.pop("rel", f"predictions/mnist-sample/{pipeline}/{job_key}-{run_id}.npy")
    if y is not None:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        np.save(out / rel, np.asarray(y))
    full = {
        "run_id": run_id,
        "timestamp_utc": "2026-01-01T00:00:00+00:00",
        "job_key": job_key,
        "dataset": "mnist-sample",
        "data_sha256": SHA,
        "pipeline": pipeline,
        "params": "{}",
        "seed": 0,
        "engine": "sklearn",
        "n_train": 500,
        "n_test": 20,
        "accuracy": 0.9,
        "status": "ok",
        "predictions": rel if y is not None else None,
        "mnistbench_version": "0.17.0",
        "cpu": f"cpu of {host}",
        "n_cores": 2,
        "host": host,
        "gpu": "none",
        **row,
    }
    results.append_row(out, full)
    return full


def snapshot(folder: Path) -> dict[str, str]:
    """Every file (its sha256) and folder under ``folder``."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        )
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def two(tmp_path):
    """Folders A and B: the same two jobs, run on machines m1 and m2."""
    a, b = tmp_path / "A", tmp_path / "B"
    for folder, host in ((a, "m1"), (b, "m2")):
        add_row(folder, "k1", f"run-{host}", host)
        add_row(folder, "k2", f"run-{host}", host, pipeline="rf", y=Y[::-1])
    return a, b


def test_two_machines_keep_both_rows_and_their_columns(two, tmp_path):
    a, b = two
    before = snapshot(a), snapshot(b)
    done = merge([a, b], tmp_path / "C")
    board = results.read_leaderboard(tmp_path / "C")
    assert len(board) == 4 and done.rows_added == 4
    assert done.added == {str(a): 2, str(b): 2}
    assert sorted(done.cross_machine) == [
        ("mnist-sample", "rf", 0),
        ("mnist-sample", "svm", 0),
    ]
    assert len(done.machines) == 2 and (done.linked, done.copied) == (4, 0)
    ours = results.read_leaderboard(a).iloc[0]
    row = board[board["run_id"] == "run-m1"].iloc[0]
    assert row.equals(ours)  # every column as it was, the machine's too
    for rel in board["predictions"]:
        assert os.path.samefile(tmp_path / "C" / rel, [a, b][rel.count("m2")] / rel)
    assert (snapshot(a), snapshot(b)) == before  # the inputs are only read


def test_merging_again_changes_nothing(two, tmp_path):
    a, b = two
    out = tmp_path / "C"
    merge([a], out)
    merge([b], out)
    before = snapshot(out)
    again = merge([a, b], out)
    assert again.rows_added == 0 and again.already_present == 4
    assert snapshot(out) == before


def test_copy_instead_of_links(two, tmp_path):
    done = merge(two, tmp_path / "C", link=False)
    assert (done.linked, done.copied) == (0, 4)
    rel = results.read_leaderboard(tmp_path / "C")["predictions"][0]
    assert not os.path.samefile(tmp_path / "C" / rel, two[0] / rel)


def test_same_machine_same_predictions_is_two_measurements(tmp_path):
    a, b = tmp_path / "A", tmp_path / "B"
    add_row(a, run_id="r1")
    add_row(b, run_id="r2")
    done = merge([a, b], tmp_path / "C")
    assert done.rows_added == 2 and done.conflicts_resolved == 0
    assert done.cross_machine == []


@pytest.fixture
def conflict(tmp_path):
    """One job on machine m1 in A and B, the predictions other; A's has a
    robustness row and a command."""
    a, b = tmp_path / "A", tmp_path / "B"
    add_row(a, run_id="r1", timestamp_utc="2026-01-01T00:00:00+00:00")
    add_row(a, "k2", run_id="r1", status="error", y=None)
    add_row(b, run_id="r2", y=Y[::-1], timestamp_utc="2026-02-01T00:00:00+00:00")
    results.append_robustness(
        a, {"run_id": "r1", "job_key": "k1", "corruption": "noise", "severity": 1}
    )
    results.append_command(a, {"run_id": "r1", "command": "mnistbench run svm"})
    return a, b


def test_a_conflict_is_refused_in_one_line(conflict, tmp_path):
    with pytest.raises(MergeError, match="1 job") as info:
        merge(conflict, tmp_path / "C")
    text = str(info.value)
    assert "\n" not in text
    assert "mnist-sample/svm seed 0 (job k1)" in text and "--keep" in text
    assert not (tmp_path / "C").exists()


@pytest.mark.parametrize(
    ("keep", "runs"),
    [("both", {"r1", "r2"}), ("first", {"r1"}), ("newest", {"r2"})],
)
def test_keep_resolves_conflicts(conflict, tmp_path, keep, runs):
    out = tmp_path / "C"
    done = merge(conflict, out, keep=keep)
    board = results.read_leaderboard(out)
    ok = board[board["status"] == "ok"]
    assert set(ok["run_id"]) == runs and done.conflicts_resolved == 1
    assert (board["status"] == "error").sum() == 1  # failed rows just kept
    robust = results.read_robustness(out, newest=False)
    assert len(robust) == ("r1" in runs)  # they go with their row
    assert len(results.read_commands(out)) == 1  # r1 keeps its error row
    before = snapshot(out)
    merge(conflict, out, keep=keep)
    assert snapshot(out) == before


def test_newest_replaces_an_older_row_of_the_output(conflict, tmp_path):
    a, b = conflict
    out = tmp_path / "C"
    merge([a], out)
    done = merge([b], out, keep="newest")
    board = results.read_leaderboard(out)
    assert set(board.loc[board["status"] == "ok", "run_id"]) == {"r2"}
    assert done.dropped == 1 and results.read_robustness(out).empty


def test_other_data_under_one_name_is_refused(two, tmp_path):
    a, _ = two
    c = tmp_path / "other"
    add_row(c, "k9", data_sha256="b" * 64)
    with pytest.raises(MergeError, match="other data") as info:
        merge([a, c], tmp_path / "C")
    assert str(a) in str(info.value) and str(c) in str(info.value)
    assert "aaaaaaaaaaaa" in str(info.value) and "bbbbbbbbbbbb" in str(info.value)
    assert not (tmp_path / "C").exists()


def test_rows_without_data_hash_are_merged_with_a_warning(tmp_path, caplog):
    """An older version's leaderboard (no data_sha256, gpu...) is upgraded."""
    old = tmp_path / "old"
    old.mkdir()
    header = results.OLDER_HEADERS[-1]
    row = dict.fromkeys(header, "")
    row.update(run_id="r0", job_key="k0", dataset="mnist-sample", status="ok")
    row.update(host="h0", cpu="c0", n_cores="2", accuracy="0.5", pipeline="knn")
    (old / "leaderboard.csv").write_bytes(
        _format(header) + _format(row[c] for c in header)
    )
    out = tmp_path / "C"
    add_row(out)
    with caplog.at_level(logging.WARNING, logger="mnistbench"):
        done = merge([old], out)
    assert done.rows_added == 1 and "cannot be checked" in caplog.text
    lines = (out / "leaderboard.csv").read_text().splitlines()
    assert lines[0] == ",".join(results.COLUMNS)
    board = results.read_leaderboard(out)
    assert board.iloc[-1]["host"] == "h0" and board.iloc[-1]["accuracy"] == 0.5


def test_a_newer_versions_leaderboard_is_refused(two, tmp_path):
    future = tmp_path / "future"
    future.mkdir()
    header = (*results.COLUMNS, "energy_j")
    row = dict.fromkeys(header, "")
    row.update(run_id="r", job_key="k", status="ok", mnistbench_version="9.1.0")
    (future / "leaderboard.csv").write_bytes(
        _format(header) + _format(row[c] for c in header)
    )
    with pytest.raises(MergeError, match=r"written by mnistbench 9\.1\.0, newer"):
        merge([two[0], future], tmp_path / "C")
    assert not (tmp_path / "C").exists()


def test_a_file_at_the_same_path_gets_a_new_name(tmp_path):
    a, b = tmp_path / "A", tmp_path / "B"
    add_row(a, run_id="r1", rel="predictions/p.npy")
    add_row(b, run_id="r2", host="m2", rel="predictions/p.npy", y=Y[::-1])
    out = tmp_path / "C"
    merge([a, b], out)
    board = results.read_leaderboard(out)
    rel_a, rel_b = board["predictions"]
    assert rel_a == "predictions/p.npy" and rel_b.startswith("predictions/p-")
    assert (out / rel_b).read_bytes() == (b / "predictions/p.npy").read_bytes()


def test_a_missing_predictions_file_leaves_its_row_without_one(tmp_path, caplog):
    a = tmp_path / "A"
    row = add_row(a)
    (a / row["predictions"]).unlink()
    with caplog.at_level(logging.WARNING, logger="mnistbench"):
        done = merge(a, tmp_path / "C")  # one folder, not in a list
    assert done.rows_added == 1 and "no such file" in caplog.text
    assert results.read_leaderboard(tmp_path / "C")["predictions"].isna().all()


def test_a_path_outside_the_folder_is_refused(tmp_path):
    a = tmp_path / "A"
    add_row(a, y=None, predictions="../../etc/passwd")
    with pytest.raises(MergeError, match="outside its folder"):
        merge([a], tmp_path / "C")


def test_tables_beside_the_leaderboard_are_merged(two, tmp_path):
    a, b = two
    for folder in two:
        results.append_trial(folder, {"search_id": "s", "run_id": "t", "fold": 0})
    rel = "predictions/mnist-sample/svm/noise.npy"
    np.save(b / rel, Y)
    results.append_robustness(
        b, {"run_id": "run-m2", "job_key": "k1", "corruption": "noise", "severity": 2}
    )
    results.append_robustness(
        b,
        {"run_id": "run-m2", "job_key": "k1", "corruption": "blur", "predictions": rel},
    )
    out = tmp_path / "C"
    merge([a, b], out)
    assert len(results.read_trials(out)) == 1  # the same row twice: once
    robust = results.read_robustness(out, newest=False)
    assert len(robust) == 2 and (out / rel).is_file()


@pytest.mark.parametrize(
    ("inputs", "needle"),
    [
        ([], "no folder to merge"),
        (["A", "A"], "same folder"),
        (["A", "C"], "C is the output; it is merged into already"),
        (["A", "nowhere"], "no such folder"),
        (["A", "A/leaderboard.csv"], "not a folder"),
        (["A", "empty"], "not a results folder"),
        (["A", "C/inner"], "one inside the other"),
    ],
)
def test_bad_inputs_are_refused_and_nothing_written(two, tmp_path, inputs, needle):
    (tmp_path / "empty").mkdir()
    add_row(tmp_path / "C" / "inner", run_id="x")
    before = snapshot(tmp_path)
    with pytest.raises(MergeError, match=needle):
        merge([tmp_path / p for p in inputs], tmp_path / "C")
    assert snapshot(tmp_path) == before


def test_a_failure_half_way_leaves_the_output_as_it_was(two, tmp_path):
    """rf's predictions cannot go where a file stands, after svm's are in."""
    out = tmp_path / "C"
    add_row(out, "k0", run_id="r0", host="m0")
    (out / "predictions/mnist-sample/rf").write_bytes(b"in the way")
    before = snapshot(out)
    with pytest.raises(WriteError, match="rf is not a folder.*nothing was merged"):
        merge(two, out)
    assert snapshot(out) == before


@pytest.mark.parametrize("exists", [True, False])
def test_a_failed_write_of_the_leaderboard_undoes_everything(
    two, tmp_path, monkeypatch, exists
):
    out = tmp_path / "C"
    if exists:
        add_row(out, "k0", run_id="r0", host="m0")
        results.append_command(out, {"run_id": "r0", "command": "mnistbench run"})
    results.append_command(two[0], {"run_id": "run-m1", "command": "mnistbench run"})
    before = snapshot(out)
    replace = os.replace

    def full_disk(src, dst):
        if Path(dst).name == "leaderboard.csv":
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        replace(src, dst)

    monkeypatch.setattr(_merge_io.os, "replace", full_disk)
    with pytest.raises(WriteError, match="no space left on .*leaderboard.csv"):
        merge(two, out)
    assert snapshot(out) == before
    assert out.exists() == exists


def test_cli_merges_and_says_what_next(two, tmp_path):
    out = tmp_path / "C"
    result = CliRunner().invoke(cli, ["merge", *map(str, two), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "merged 4 row(s)" in result.output
    assert "cross-machine pairs: 2 job(s)" in result.output
    assert f"next: mnistbench report --out {out}" in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["A", "--out", "A"], "A is the output"), (["--out", "C"], "no folder")],
)
def test_cli_bad_input_is_one_line(two, tmp_path, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["merge", *args])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0]


def test_cli_keep_choices_are_the_librarys():
    # the module: mnistbench.cli's attribute of that name is the command
    merge_cli = importlib.import_module("mnistbench.cli.merge")
    assert merge_cli.KEEP == KEEP
