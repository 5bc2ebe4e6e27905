"""Rows of several machines in one folder: their names, ``compare --by
machine``, and the report's section across machines (times never pooled,
the predictions of each job compared between machines)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mnistbench import compare, data, report, results
from mnistbench.cli import cli
from mnistbench.results._schema import _format

SAMPLE = Path(__file__).resolve().parents[1] / "results" / "mnist-sample"
PIPELINES = ("logreg", "knn", "svm")


def _write_board(folder: Path, frame: pd.DataFrame) -> None:
    rows = [
        results.row_line({k: (None if pd.isna(v) else v) for k, v in rec.items()})
        for rec in frame.to_dict("records")
    ]
    (folder / results.LEADERBOARD).write_bytes(
        _format(results.COLUMNS) + b"".join(rows)
    )


@pytest.fixture(scope="module")
def two_machines(tmp_path_factory) -> Path:
    """Real mnist-sample rows of three pipelines (AMD EPYC), and the same jobs
    again from a second host whose svm predicted three test images otherwise
    (a BLAS kernel's rounding, say) and whose times are twice as long."""
    folder = tmp_path_factory.mktemp("machines")
    board = results.read_leaderboard(SAMPLE)
    first = board[board["pipeline"].isin(PIPELINES)]
    first = first.sort_values("timestamp_utc").drop_duplicates("pipeline", keep="last")
    second = first.copy()
    second["run_id"] = "20261205T000000Z-abcdef"
    second["timestamp_utc"] = "2026-12-05T00:00:00+00:00"
    second["host"], second["cpu"] = "box", "Intel(R) Xeon(R) Processor"
    second["fit_s"] = second["fit_s"] * 2
    second["predictions"] = second["predictions"].str.replace(
        ".npy", "-box.npy", regex=False
    )
    y_test = data.load("mnist-sample").y_test
    for a, b, pipeline in zip(
        first["predictions"], second["predictions"], first["pipeline"]
    ):
        (folder / b).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLE / a, folder / a)
        pred = np.load(SAMPLE / a)
        if pipeline == "svm":
            pred[:3] = (pred[:3] + 1) % 10
        np.save(folder / b, pred)
        second.loc[second["pipeline"] == pipeline, "accuracy"] = np.mean(pred == y_test)
    _write_board(folder, pd.concat([first, second]))
    return folder


def test_each_row_is_named_by_its_machine(two_machines):
    board = results.read_leaderboard(two_machines)
    named = results.machines(board)
    assert list(named["machine"]) == ["M1", "M2"]
    assert list(named["label"]) == [
        "vm · AMD EPYC · 2 cores",
        "box · Intel(R) Xeon(R) Processor · 2 cores",
    ]
    assert list(named["rows"]) == [3, 3]
    gpu = board.assign(gpu="NVIDIA H200 (141 GiB)").head(1)
    assert results.machine_labels(gpu).iloc[0].endswith("· NVIDIA H200 (141 GiB)")


def test_compare_by_machine(two_machines):
    frame = compare.between(two_machines, by="machine", values=["M1", "M2"])
    frame = frame.set_index("pipeline")
    assert frame.loc["knn", "changed"] == 0 and frame.loc["logreg", "changed"] == 0
    assert frame.loc["svm", "changed"] == pytest.approx(3 / 1000)
    assert frame.attrs["a"] == "machine=vm · AMD EPYC · 2 cores"
    got = CliRunner().invoke(
        cli, ["compare", str(two_machines), "--by", "cpu", "--format", "markdown"]
    )
    assert got.exit_code == 0, got.output
    assert "cpu=AMD EPYC" in got.output and "svm" in got.output
    bad = CliRunner().invoke(
        cli, ["compare", str(two_machines), "--by", "machine=M1,M7"]
    )
    assert bad.exit_code == 2 and "no row of" in bad.output


def test_the_report_compares_machines_and_never_pools_times(two_machines):
    built = report.build(two_machines)
    md = built.markdown.read_text()
    assert "### Across machines" in md
    assert "| M2 | box · Intel(R) Xeon(R) Processor · 2 cores |" in md
    assert "3 jobs ran on two machines" in md
    assert (
        "2 predicted every one of the 1,000 test images alike; 1 differ on 3 to 3" in md
    )
    svm = next(
        line for line in md.splitlines() if line.startswith("| svm | 0 | M1 vs M2")
    )
    assert "| 3 |" in svm and "differ, not significantly" in svm
    # per machine: M2's fit times are twice M1's, side by side, never averaged
    board = results.read_leaderboard(two_machines)
    knn = board[board["pipeline"] == "knn"].sort_values("timestamp_utc")["fit_s"]
    fast, slow = (f"{v:.2f}" for v in knn)
    lines = [line for line in md.splitlines() if line.startswith("| knn | ")]
    by_machine = {line.split(" | ")[1]: line for line in lines if "±" in line}
    assert f"| {fast} |" in by_machine["M1"] and f"| {slow} |" in by_machine["M2"]
    times = next(line for line in lines if "±" not in line and fast in line)
    assert slow in times and "| 2.00 |" in times  # fit M2/M1
    assert not any(f"{knn.mean():.2f}" in line for line in lines)
    html = built.html.read_text()
    assert "Across machines" in html


def test_merge_draws_the_plots_again_one_time_figure_per_machine(
    two_machines, tmp_path
):
    out = tmp_path / "merged"
    got = CliRunner().invoke(cli, ["merge", str(two_machines), "--out", str(out)])
    assert got.exit_code == 0, got.output
    assert "3 cross-machine" not in got.output and "plots: 5 figure(s)" in got.output
    names = sorted(p.name for p in (out / "plots" / "mnist-sample").iterdir())
    assert names == [
        "accuracy-vs-time-M1.png",
        "accuracy-vs-time-M2.png",
        "knn-confusion.png",
        "logreg-confusion.png",
        "svm-confusion.png",
    ]
    again = CliRunner().invoke(cli, ["merge", str(two_machines), "--out", str(out)])
    assert again.exit_code == 0 and "plots:" not in again.output
