"""Job folders: a job leaves none behind, whatever its end, and the folders
of processes that were killed go at the next start, never a live one's."""

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import helpers
import pytest

from mnistbench import _jobfolders, jobs
from mnistbench.jobs import Job, remove_stale_job_folders, run_isolated, use_job_server

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="start times come from /proc"
)


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data-home")


@pytest.fixture
def temp(tmp_path, monkeypatch, shared_home) -> Path:
    """A temporary folder of the test's own, for this process and its
    children, which share a data home (its array cache: each job starts in
    a fraction of a second)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setenv("MNISTBENCH_DATA_HOME", str(shared_home))
    return folder


def job_folders(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{_jobfolders.JOB_FOLDER_PREFIX}*"))


def make_folder(folder: Path, owner: dict | None, age_s: float = 0.0) -> Path:
    """A job folder as a job leaves it, with ``owner`` as its record, last
    changed ``age_s`` seconds ago."""
    path = Path(tempfile.mkdtemp(prefix=_jobfolders.JOB_FOLDER_PREFIX, dir=folder))
    if owner is not None:
        (path / _jobfolders.OWNER_FILE).write_text(json.dumps(owner))
    for name in ("payload.pkl", "stderr.txt"):
        (path / name).write_bytes(b"")
    if age_s:
        then = time.time() - age_s
        for p in [*path.iterdir(), path]:
            os.utime(p, (then, then))
    return path


def recycled() -> dict:
    """The record of a process that had this process's pid before it."""
    mine = _jobfolders._owner()
    return {**mine, "start": mine["start"] - 1}


# --- a job's own folder --------------------------------------------------------

NO_SLEEP = {"clf__sleep": 0.0}


ENDS = {
    "ok": (helpers.sleepy, NO_SLEEP, {}),
    "error": (helpers.boom, {}, {}),
    "crashed": (helpers.crash, {}, {}),
    "timeout": (helpers.hang, {}, {"timeout": 0.5}),
    "stopped": (helpers.hang, {}, {"stop": lambda: True}),
}


@pytest.mark.parametrize("end", ENDS)
def test_a_forked_job_leaves_no_folder_whatever_its_end(temp, monkeypatch, end):
    use_job_server(True)
    monkeypatch.setattr(jobs, "STOP_POLL_S", 0.2)
    factory, params, kwargs = ENDS[end]
    job = Job("mnist-sample", factory.__name__, params, n_train=100)
    result = run_isolated(job, factory=factory, **kwargs)
    status = "error" if end == "stopped" else end
    assert result["status"] == status, result.get("error")
    if end == "stopped":
        assert "stopped" in result["error"]
    assert job_folders(temp) == []


@linux_only
def test_the_first_job_of_a_process_removes_the_folders_left_behind(
    temp, monkeypatch, caplog
):
    use_job_server(True)
    monkeypatch.setattr(_jobfolders, "_swept", False)
    left = make_folder(temp, recycled())
    job = Job("mnist-sample", "sleepy", NO_SLEEP, n_train=100)
    with caplog.at_level(logging.INFO, logger="mnistbench._jobfolders"):
        assert run_isolated(job, factory=helpers.sleepy)["status"] == "ok"
    assert not left.exists()
    assert f"removed 1 job folder(s) left in {temp}" in caplog.text
    # Once a process: its later jobs do not look again.
    later = make_folder(temp, recycled())
    assert run_isolated(job, factory=helpers.sleepy)["status"] == "ok"
    assert job_folders(temp) == [later]


# --- folders of processes killed -----------------------------------------------

RUN_A_JOB = """
import helpers
from mnistbench.jobs import Job, run_isolated
run_isolated(Job("mnist-sample", "hang", n_train=100), factory=helpers.hang)
"""


def owners(folder: Path) -> dict[int, Path]:
    """The job folders in ``folder`` by the pid their record names."""
    found = {}
    for path in job_folders(folder):
        try:
            found[json.loads((path / _jobfolders.OWNER_FILE).read_text())["pid"]] = path
        except (OSError, ValueError):
            continue  # being made
    return found


@linux_only
def test_a_killed_runs_folder_goes_and_a_live_ones_stays(temp):
    tests = str(Path(__file__).parent)
    path = os.pathsep.join(filter(None, [tests, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    # Each in a session of its own: its job process dies with it.
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", RUN_A_JOB],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    killed, alive = runs
    try:
        deadline = time.monotonic() + 60
        while len(owners(temp)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        folders = owners(temp)
        assert set(folders) == {killed.pid, alive.pid}
        os.killpg(killed.pid, signal.SIGKILL)
        # Dead, not reaped: a zombie, which still has its pid.
        os.waitid(os.P_PID, killed.pid, os.WEXITED | os.WNOWAIT)
        # The live run's pid, which a process that ended had before it.
        live = json.loads((folders[alive.pid] / _jobfolders.OWNER_FILE).read_text())
        earlier = make_folder(temp, {**live, "start": live["start"] - 1})
        assert remove_stale_job_folders(temp) == 2
        assert job_folders(temp) == [folders[alive.pid]]
        killed.wait(timeout=10)
        assert remove_stale_job_folders(temp) == 0
        assert job_folders(temp) == [folders[alive.pid]]
        assert not earlier.exists()
    finally:
        for run in runs:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=10)


# --- which folders are looked at ------------------------------------------------


@linux_only
def test_only_folders_whose_owner_surely_ended_go(temp):
    mine = _jobfolders._owner()
    day = _jobfolders.UNRECORDED_AGE_S
    gone = [
        make_folder(temp, recycled()),
        make_folder(temp, {**mine, "boot": "another-boot"}),  # restarted since
        make_folder(temp, None, age_s=day + 60),  # an older mnistbench's
    ]
    kept = [
        make_folder(temp, mine),
        make_folder(temp, {**recycled(), "host": "elsewhere"}),
        make_folder(temp, {**recycled(), "pid_ns": "pid:[1]"}),  # a container
        make_folder(temp, None, age_s=day - 60),
        make_folder(temp, {"pid": 0}, age_s=60),  # no record: a process group
    ]
    assert remove_stale_job_folders(temp) == len(gone)
    assert job_folders(temp) == sorted(kept)


@linux_only
def test_links_other_names_and_other_users_folders_stay(temp, tmp_path, monkeypatch):
    outside = make_folder(tmp_path, recycled())
    (temp / f"{_jobfolders.JOB_FOLDER_PREFIX}link").symlink_to(outside)
    # A record linked to another file is no record.
    linked = make_folder(temp, None)
    (linked / _jobfolders.OWNER_FILE).symlink_to(outside / _jobfolders.OWNER_FILE)
    other = temp / "another-program-job"
    other.mkdir()
    (other / _jobfolders.OWNER_FILE).write_text(json.dumps(recycled()))
    (temp / f"{_jobfolders.JOB_FOLDER_PREFIX}file").write_text(json.dumps(recycled()))
    before = sorted(temp.iterdir())
    assert remove_stale_job_folders(temp) == 0
    assert sorted(temp.iterdir()) == before
    assert sorted(outside.iterdir()) == sorted(
        outside / n for n in (_jobfolders.OWNER_FILE, "payload.pkl", "stderr.txt")
    )
    # Another user's folder, however stale, is theirs.
    monkeypatch.setattr(os, "getuid", lambda: os.stat(temp).st_uid + 1)
    make_folder(temp, recycled())
    assert remove_stale_job_folders(temp) == 0
