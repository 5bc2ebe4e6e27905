"""`mnistbench run` and `mnistbench leaderboard`, in process and as real processes."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import mnistbench
from test_cli import one_line_error

from mnistbench.cli import cli
from mnistbench.results import COLUMNS, read_commands, read_leaderboard

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


def test_run_all_on_mnist_sample(runner, tmp_path):
    out = tmp_path / "out"
    args = ["run", "--all", "-d", "mnist-sample", "--train-size", "1000", "--out", out]
    result = runner.invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    board = read_leaderboard(out)
    assert sorted(board["pipeline"]) == ["knn", "logreg", "pca_mlp", "rf", "svm"]
    assert (board["status"] == "ok").all() and (board["accuracy"] > 0.8).all()
    plots = out / "plots" / "mnist-sample"
    for name in ["knn", "logreg", "pca_mlp", "rf", "svm"]:
        assert (plots / f"{name}-confusion.png").read_bytes()[:8] == PNG_MAGIC
    assert (plots / "accuracy-vs-time.png").read_bytes()[:8] == PNG_MAGIC
    assert "accuracy" in result.stdout and "leaderboard:" in result.stdout
    # the command line, as typed, beside the rows it made
    commands = read_commands(out)
    assert list(commands["run_id"]) == list(board["run_id"].unique())
    assert commands.loc[0, "command"] == "mnistbench " + " ".join(map(str, args))

    md = runner.invoke(cli, ["leaderboard", "--out", str(out), "--format", "markdown"])
    assert md.exit_code == 0 and md.stdout.count("| mnist-sample |") == 5
    csv_out = runner.invoke(cli, ["leaderboard", "--out", str(out), "--format", "csv"])
    assert (
        csv_out.stdout.startswith("run_id,") and len(csv_out.stdout.splitlines()) == 6
    )
    table = runner.invoke(cli, ["leaderboard", "--out", str(out), "-d", "mnist-sample"])
    assert table.exit_code == 0 and "svm" in table.stdout

    again = runner.invoke(cli, [str(a) for a in args])
    one_line_error(again, "5 of 5 jobs already have ok rows", "--resume", "--force")


def test_run_a_group(runner, tmp_path):
    out = tmp_path / "out"
    args = ["run", "--group", "sota", "knn", "-d", "mnist-sample"]
    args += ["--train-size", "1000", "--out", str(out)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    board = read_leaderboard(out)
    assert list(board["pipeline"].sort_values()) == sorted(
        ["knn", "deskew_knn", "hog_knn", "deskew_svm", "hog_svm"]
    )
    assert (board["status"] == "ok").all() and (board["accuracy"] > 0.85).all()


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["run", "cnn"], ["unknown pipeline 'cnn'", "logreg"]),
        (
            ["run"],
            [
                "no pipeline given",
                "--all",
                "--group (core, sota, sota-plus, sota-long)",
            ],
        ),
        (
            ["run", "--group", "cnns"],
            ["unknown pipeline group 'cnns'", "core, sota, sota-plus, sota-long"],
        ),
        (["run", "knn", "--all"], ["not both"]),
        (["run", "knn", "--n-jobs", "0"], ["--n-jobs must be a positive"]),
        (["run", "knn", "--train-size", "9"], ["at least 10"]),
        (["run", "knn", "--train-size", "5000"], ["more than mnist-sample's 4,000"]),
        (["run", "knn", "--param", "oops"], ["expected STEP__PARAM=VALUE"]),
        (["run", "knn", "--param", "clf__bogus=1"], ["bad parameter"]),
        (["run", "knn", "--dataset", "emnist"], ["unknown dataset 'emnist'"]),
    ],
)
def test_bad_input_one_line(runner, tmp_path, args, needles):
    if "--dataset" not in args:
        args = [*args, "--dataset", "mnist-sample"]
    result = runner.invoke(cli, [*args, "--out", str(tmp_path / "out")])
    one_line_error(result, *needles)
    assert not (tmp_path / "out" / "leaderboard.csv").exists()


def test_unwritable_out_one_line(runner, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    one_line_error(
        runner.invoke(
            cli, ["run", "knn", "-d", "mnist-sample", "--out", str(blocker / "out")]
        ),
        "cannot write to --out",
    )


def test_bad_filler_niceness_one_line(runner, tmp_path):
    result = runner.invoke(
        cli,
        ["run", "knn", "-d", "mnist-sample", "--out", str(tmp_path / "out")],
        env={"MNISTBENCH_FILLER_NICENESS": "high"},
    )
    one_line_error(result, "MNISTBENCH_FILLER_NICENESS must be a whole number")
    assert not (tmp_path / "out").exists()


def test_corrupt_leaderboard_one_line(runner, tmp_path):
    (tmp_path / "leaderboard.csv").write_text(",".join(COLUMNS) + "\n1,2,3\n")
    for args in (["run", "knn", "-d", "mnist-sample"], ["leaderboard"]):
        one_line_error(
            runner.invoke(cli, [*args, "--out", str(tmp_path)]),
            "line 2: corrupt row (3 fields",
        )


def test_leaderboard_without_file(runner, tmp_path):
    one_line_error(
        runner.invoke(cli, ["leaderboard", "--out", str(tmp_path)]), "no leaderboard"
    )


def test_param_is_applied_and_recorded(runner, tmp_path):
    result = runner.invoke(
        cli,
        [
            "run",
            "knn",
            "-d",
            "mnist-sample",
            "--train-size",
            "200",
            "--param",
            "clf__n_neighbors=1",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert read_leaderboard(tmp_path).loc[0, "params"] == '{"clf__n_neighbors": 1}'


# --- real processes, with the misbehaving pipelines as an entry-point plugin ---


def test_timeout_kills_a_hanging_job(tmp_path, plugin_env):
    start = time.monotonic()
    proc = subprocess.run(
        mnistbench(
            "run",
            "hang",
            "knn",
            "-d",
            "mnist-sample",
            "--train-size",
            "300",
            "--timeout",
            "15",  # knn's job takes ~2 s alone; a loaded machine slows it 3x
            "--out",
            str(tmp_path),
        ),
        env=plugin_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert time.monotonic() - start < 60
    assert proc.returncode == 1, proc.stderr
    assert "1 of 2 job(s) did not succeed" in proc.stdout
    board = read_leaderboard(tmp_path)
    assert dict(zip(board["pipeline"], board["status"])) == {
        "hang": "timeout",
        "knn": "ok",
    }


def _children(pid):
    """PIDs of the live processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _data_rows(path):
    return max(0, len(path.read_text().splitlines()) - 1) if path.exists() else 0


def test_kill_9_then_resume(tmp_path, plugin_env):
    args = (
        "run",
        "logreg",
        "sleepy",
        "knn",
        "-d",
        "mnist-sample",
        "--seed",
        "0",
        "--seed",
        "1",
        "--train-size",
        "300",
        "--out",
        str(tmp_path),
    )
    proc = subprocess.Popen(
        mnistbench(*args),
        env=plugin_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    csv_path = tmp_path / "leaderboard.csv"
    deadline = time.monotonic() + 90
    while _data_rows(csv_path) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    while not (jobs := _children(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert jobs, "no job was running when the runner was to be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = read_leaderboard(tmp_path)  # parses: no torn row
    assert 2 <= len(partial) < 6
    # the orphaned job process notices its runner is gone and exits
    deadline = time.monotonic() + 10
    while any(map(_alive, jobs)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(_alive, jobs))

    done = subprocess.run(
        mnistbench(*args, "--resume"),
        env=plugin_env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    board = read_leaderboard(tmp_path)
    ok = board[board["status"] == "ok"]
    assert len(ok) == 6 and ok["job_key"].is_unique
    assert len(board) == len(ok)  # nothing half-written, nothing duplicated


def test_two_concurrent_runs_keep_every_row(tmp_path, plugin_env):
    common = ("-d", "mnist-sample", "--train-size", "300", "--out", str(tmp_path))
    a = subprocess.Popen(
        mnistbench("run", "logreg", "knn", "sleepy", *common),
        env=plugin_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    b = subprocess.Popen(
        mnistbench("run", "rf", "pca_mlp", "sleepy", "--seed", "1", *common),
        env=plugin_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    for proc in (a, b):
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    board = read_leaderboard(tmp_path)
    assert len(board) == 6 and (board["status"] == "ok").all()
    assert board["run_id"].nunique() == 2


def _file_size_limit(max_bytes: int):
    """For a child process: files cannot grow past ``max_bytes``, the write
    that crosses it comes up short, then fails (as on a full disk)."""

    def limit():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return limit


def test_a_row_the_disk_cuts_short_is_not_recorded_and_resume_completes(tmp_path):
    """The row of a job that fitted finds no room: one line, exit 2, the
    leaderboard as it was, no predictions file without a row; once there is
    room, --resume records the job."""
    out = tmp_path / "out"
    first = CliRunner().invoke(cli, ["run", "knn", "-d", "mnist-sample", "--out", out])
    assert first.exit_code == 0, first.output
    board = out / "leaderboard.csv"
    before = board.read_bytes()
    run = mnistbench("run", "logreg", "-d", "mnist-sample", "--out", str(out))
    cut = subprocess.run(
        run,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_file_size_limit(len(before) + 120),  # part of the next row
    )
    assert cut.returncode == 2, cut.stderr
    assert cut.stderr.strip().splitlines()[-1] == (
        f"Error: file too large (a file size limit) writing {board}; the row of "
        "mnist-sample/logreg seed 0 was not recorded; free space (or make it "
        "writable) and run again with --resume"
    )
    assert "Traceback" not in cut.stderr
    assert board.read_bytes() == before
    assert not (out / "predictions" / "mnist-sample" / "logreg").exists() or not any(
        (out / "predictions" / "mnist-sample" / "logreg").iterdir()
    )
    again = subprocess.run(
        [*run, "--resume"], capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    rows = read_leaderboard(out)
    assert sorted(rows["pipeline"]) == ["knn", "logreg"]
    assert (rows["status"] == "ok").all()


@pytest.mark.parametrize("command", ["run", "report", "leaderboard", "datasets"])
def test_a_name_too_long_is_one_line(runner, tmp_path, command):
    long = tmp_path / ("x" * 300)
    args = {
        "run": ["run", "knn", "-d", "mnist-sample", "--out", long],
        "report": ["report", "--out", long],
        "leaderboard": ["leaderboard", "--out", long],
        "datasets": ["datasets", long],
    }[command]
    result = runner.invoke(cli, [str(a) for a in args])
    assert "too long" in one_line_error(result).lower()
