"""Runs on a real Dask cluster on 127.0.0.1: same rows as a local run, a
worker killed mid-job, the job timeout, schedulers that cannot be used, and
a local cluster that no other machine can reach."""

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import numpy as np
import pytest
from helpers import mnistbench

from mnistbench import _jobfolders, executors, pipelines, results, runner
from mnistbench.executors.dask import ClusterError

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")  # a dependency of distributed

pytestmark = pytest.mark.distributed


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A LocalCluster of 2 worker processes, with a data home of its own."""
    home = tmp_path_factory.mktemp("workers-data-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNISTBENCH_DATA_HOME", str(home))  # the workers inherit it
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        )
    with cluster:
        yield cluster.scheduler_address


def test_a_cluster_run_gives_the_rows_of_a_local_run(tmp_path, scheduler):
    names = [*pipelines.available("core"), "hog_svm"]
    same = {"datasets": ["mnist-sample"], "train_size": 1000}
    local = runner.run(names, **same, out=tmp_path / "local")
    dask = runner.run(names, **same, scheduler=scheduler, out=tmp_path / "dask")
    assert local.ok and dask.ok and dask.where.startswith("Dask scheduler")
    board = results.read_leaderboard(tmp_path / "dask")
    assert list(board.columns) == list(results.COLUMNS)

    def by_job(frame):
        return frame.set_index("job_key").sort_index()

    mine, theirs = by_job(local.rows), by_job(board)
    # Same jobs (same keys: same dataset, pipeline, params, seed, definition).
    assert list(mine.index) == list(theirs.index)
    assert list(theirs["pipeline"].sort_values()) == sorted(names)
    # Every built-in pipeline is seeded, so deterministic: equal accuracies,
    # equal predictions.
    assert (mine["accuracy"] == theirs["accuracy"]).all()
    for key in mine.index:
        ours = np.load(tmp_path / "local" / mine.loc[key, "predictions"])
        remote = np.load(tmp_path / "dask" / theirs.loc[key, "predictions"])
        np.testing.assert_array_equal(ours, remote)
    # The rows name the worker that ran them; a local run's name none.
    workers = set(theirs["worker"])
    with distributed.Client(scheduler) as client:
        assert workers <= set(client.scheduler_info()["workers"])
    assert mine["worker"].isna().all()
    assert (theirs["host"] == os.uname().nodename).all()
    # The client alone wrote the results: plots and predictions are here.
    assert len(dask.plots) == len(local.plots) > len(names)
    assert all(p.is_file() and tmp_path / "dask" in p.parents for p in dask.plots)


def test_workers_read_a_path_and_refuse_a_copy_with_other_data(tmp_path, scheduler):
    from conftest import make_arrays, write_files

    # The workers have a data home of their own: they read the path themselves.
    same = write_files(tmp_path / "same", make_arrays(200, 50))["train_images"].parent
    summary = runner.run(["knn"], datasets=[same], scheduler=scheduler, out=tmp_path)
    assert summary.ok, summary.rows["error"]
    # Other data (a worker holding its hash in its cache would use that), whose
    # files change after the client read them: the workers' copy differs.
    arrays = make_arrays(200, 50, seed=1)
    changed = write_files(tmp_path / "changed", arrays)["train_images"].parent
    plan = runner.RunPlan(
        ["knn"], datasets=[changed], scheduler=scheduler, out=tmp_path
    )
    arrays["train_labels"][:5] = 9
    write_files(changed, arrays)
    row = runner.run_plan(plan).rows.iloc[0]
    assert row["status"] == "error"
    assert "cannot load" in row["error"] and "holds other data here" in row["error"]


def test_the_job_timeout_holds_on_a_worker(tmp_path, scheduler):
    start = time.monotonic()
    summary = runner.run(
        ["rf"],
        datasets=["mnist-sample"],
        params={"clf__n_estimators": 5000},
        timeout=2,
        scheduler=scheduler,
        out=tmp_path,
    )
    row = summary.rows.iloc[0]
    assert row["status"] == "timeout" and "2 s timeout" in row["error"]
    assert row["worker"].startswith("tcp://127.0.0.1:")
    assert time.monotonic() - start < 30


def test_a_stopped_job_is_killed(tmp_path):
    """What a worker does when the run that sent it a job is interrupted."""
    job = runner.Job("mnist-sample", "rf", {"clf__n_estimators": 5000}, n_train=4000)
    asked = time.monotonic() + 1.0
    start = time.monotonic()
    result = runner.run_isolated(job, stop=lambda: time.monotonic() > asked)
    assert result["status"] == "error" and "stopped" in result["error"]
    assert time.monotonic() - start < 10


# --- a local cluster listens on 127.0.0.1 alone --------------------------------


def listening(procs) -> set[tuple[int, str, int]]:
    """(pid, address, port) of every socket ``procs`` listen on."""
    found = set()
    for proc in procs:
        try:
            sockets = proc.net_connections(kind="inet")
        except psutil.Error:  # ended meanwhile
            continue
        found |= {
            (proc.pid, s.laddr.ip, s.laddr.port)
            for s in sockets
            if s.status == psutil.CONN_LISTEN
        }
    return found


def test_a_local_cluster_listens_on_loopback_only(caplog):
    me = psutil.Process()
    before = listening([me])
    plan = runner.RunPlan(["knn"], datasets=["mnist-sample"], cluster="local:1")
    with (
        caplog.at_level(logging.INFO, logger="mnistbench"),
        executors.for_plan(plan) as running,
    ):
        # The scheduler and nannies here, each worker in a process of its own.
        sockets = listening([me, *me.children(recursive=True)]) - before
        where = running.capacity(1).where
    assert {ip for _, ip, _ in sockets} <= {"127.0.0.1", "::1"}, sockets
    ports = {port for _, _, port in sockets}
    (worker,) = running.workers
    assert {urlsplit(running.scheduler).port, urlsplit(worker).port} <= ports
    assert f"local Dask cluster: scheduler {running.scheduler}" in caplog.text
    if running.dashboard is None:  # Dask's dashboard needs bokeh
        with pytest.raises(ImportError):
            import distributed.dashboard.scheduler  # noqa: F401
        assert where.endswith("; no dashboard (Dask's dashboard needs bokeh)")
    else:
        address = urlsplit(running.dashboard)
        assert address.hostname == "127.0.0.1" and address.port in ports
        assert where.endswith(f"; dashboard {running.dashboard}")


# --- a worker killed mid-job, through the command line ------------------------


def kill_workers_mid_job(proc: subprocess.Popen, times: int) -> list[int]:
    """SIGKILL the worker process running a job, ``times`` times: each time
    once a (new) job process has run for a moment."""
    killed: list[int] = []
    seen: set[int] = set()
    deadline = time.monotonic() + 90
    while len(killed) < times and time.monotonic() < deadline:
        try:
            jobs = [
                p
                for p in psutil.Process(proc.pid).children(recursive=True)
                if "mnistbench._jobproc" in " ".join(p.cmdline()) and p.pid not in seen
            ]
        except psutil.Error:
            jobs = []
        if jobs:
            job = jobs[0]
            seen.add(job.pid)
            time.sleep(0.3)
            try:
                worker = job.parent()
                worker.send_signal(signal.SIGKILL)
                killed.append(worker.pid)
            except psutil.Error:
                pass
        time.sleep(0.05)
    return killed


# Twice (the "died 2 times" row) is slow: the default suite kills once.
@pytest.mark.parametrize("kills", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_a_killed_worker_loses_no_job(tmp_path, plugin_env, kills):
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.Popen(
        mnistbench(
            "run", "sleepy", "-d", "mnist-sample", "--cluster", "local:2",
            "--out", str(tmp_path),
        ),
        env={**plugin_env, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    killer = threading.Thread(
        target=lambda: killed.extend(kill_workers_mid_job(proc, kills))
    )
    killed: list[int] = []
    killer.start()
    out, err = proc.communicate(timeout=180)
    killer.join()
    assert len(killed) == kills, err
    board = results.read_leaderboard(tmp_path)
    assert len(board) == 1  # one job, one row, whatever happened to it
    row = board.iloc[0]
    if kills == 1:  # retried once elsewhere, and recorded as such
        assert proc.returncode == 0, err
        assert row["status"] == "ok"
        assert row["warnings"].startswith("Retried: its worker tcp://127.0.0.1:")
        assert "died while running it" in row["warnings"]
        # The retry, the first job of its worker, removed the killed
        # worker's job folder.
        assert list(temp.glob(f"{_jobfolders.JOB_FOLDER_PREFIX}*")) == []
    else:  # died again: crashed, not tried a third time
        assert proc.returncode == 1, err
        assert row["status"] == "crashed"
        assert "the workers running it died 2 times" in row["error"]
        assert "crashed" in out


# --- schedulers that cannot be used -------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_one_error_within_seconds(tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    start = time.monotonic()
    with pytest.raises(ClusterError, match="cannot connect to the Dask scheduler"):
        runner.run(
            ["logreg"], datasets=["mnist-sample"], scheduler=address, out=tmp_path
        )
    assert time.monotonic() - start < 10
    assert not (tmp_path / results.LEADERBOARD).exists()


def test_a_server_that_is_not_a_scheduler_is_one_error(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def answer():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nnot dask\r\n")

    threading.Thread(target=answer, daemon=True).start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    start = time.monotonic()
    try:
        with pytest.raises(ClusterError, match="cannot connect to the Dask scheduler"):
            runner.run(
                ["logreg"], datasets=["mnist-sample"], scheduler=address, out=tmp_path
            )
    finally:
        server.close()
    assert time.monotonic() - start < 15


def test_a_scheduler_without_workers_is_one_error(tmp_path):
    with (
        distributed.LocalCluster(
            n_workers=0, host="127.0.0.1", dashboard_address="127.0.0.1:0"
        ) as empty,
        pytest.raises(ClusterError, match="has no workers.*dask worker tcp://"),
    ):
        runner.run(
            ["logreg"],
            datasets=["mnist-sample"],
            scheduler=empty.scheduler_address,
            out=tmp_path,
        )
    assert not (tmp_path / results.LEADERBOARD).exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--cluster", "local:0"], "needs a positive number of workers"),
        (["--cluster", "remote"], "must be local or local:N"),
        (["--scheduler", "nonsense"], "must look like tcp://HOST:PORT"),
        (["--cluster", "local", "--n-jobs", "2"], "--n-jobs is for local runs"),
        (["--cluster", "local", "--scheduler", "tcp://127.0.0.1:1"], "contradict"),
    ],
)
def test_bad_cluster_options_are_one_line(tmp_path, args, message):
    from click.testing import CliRunner
    from test_cli import one_line_error

    from mnistbench.cli import cli

    result = CliRunner().invoke(
        cli, ["run", "logreg", "-d", "mnist-sample", "--out", str(tmp_path), *args]
    )
    assert result.exit_code == 2
    assert message in one_line_error(result)
    assert not (tmp_path / results.LEADERBOARD).exists()


def test_without_dask_the_error_gives_the_install_command(tmp_path):
    code = (
        "import sys; sys.modules['distributed'] = None\n"  # as if not installed
        "from mnistbench.cli import main; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "run", "logreg", "-d", "mnist-sample",
         "--cluster", "local:2", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "Error: Dask's distributed scheduler is not installed; run: pip install "
        '"mnistbench[dask]"'
    ]
    assert not (tmp_path / results.LEADERBOARD).exists()
