"""Where jobs run: the executor protocol is all the runner needs."""

import os
import time

import numpy as np
import pytest

from mnistbench import executors, pipelines, results, runner
from mnistbench.executors import Capacity, LocalExecutor
from mnistbench.jobs import JobSettings, run_isolated
from mnistbench.plan import RunPlan


class SerialExecutor:
    """An executor of the test's own: one job at a time, in the order given,
    each in its process (a real executor, not a stand-in for one)."""

    def __init__(self):
        self.entered = self.exited = False

    def __enter__(self):
        self.entered = True
        return self

    def __exit__(self, *exc):
        self.exited = True

    def capacity(self, n_jobs):
        return Capacity(at_once=1, threads=1, where="one by one")

    def results(self, jobs, settings):
        for job in jobs:
            yield (
                job,
                run_isolated(
                    job, timeout=settings.timeout, data_home=settings.data_home
                ),
            )


def test_for_plan_decides_where_the_jobs_run():
    local = RunPlan(["knn"], datasets=["mnist-sample"], n_jobs=1)
    assert isinstance(executors.for_plan(local), LocalExecutor)
    pytest.importorskip("distributed")
    from mnistbench.executors.dask import DaskExecutor

    on_dask = RunPlan(["knn"], datasets=["mnist-sample"], cluster="local:2")
    chosen = executors.for_plan(on_dask)
    assert isinstance(chosen, DaskExecutor) and chosen.cluster == 2


def test_the_local_executor_shares_the_cores_out():
    executor = LocalExecutor(n_jobs=2)
    assert executor.capacity(1) == Capacity(1, executor.cores, "here")
    two = executor.capacity(5)
    assert two.at_once == 2 and two.threads == max(1, executor.cores // 2)


def test_the_runner_drives_any_executor_the_same_way(tmp_path):
    names = ["logreg", "knn"]
    kw = dict(datasets=["mnist-sample"], train_size=300)
    mine = SerialExecutor()
    serial = runner.run_plan(
        RunPlan(names, out=tmp_path / "serial", **kw), executor=mine
    )
    local = runner.run_plan(RunPlan(names, out=tmp_path / "local", **kw))
    assert mine.entered and mine.exited
    assert serial.ok and serial.where == "one by one" and serial.n_jobs == 1
    # the executor's order is the rows' order
    assert list(serial.rows["pipeline"]) == ["logreg", "knn"]
    ours = serial.rows.set_index("job_key").sort_index()
    theirs = local.rows.set_index("job_key").sort_index()
    assert list(ours.index) == list(theirs.index)
    assert (ours["accuracy"] == theirs["accuracy"]).all()
    for key in ours.index:
        a = np.load(tmp_path / "serial" / ours.loc[key, "predictions"])
        b = np.load(tmp_path / "local" / theirs.loc[key, "predictions"])
        np.testing.assert_array_equal(a, b)
    assert len(results.read_leaderboard(tmp_path / "serial")) == 2


@pytest.fixture
def hang_pipeline():
    import helpers

    pipelines.register("hang", helpers.hang, overwrite=True)
    yield
    pipelines.unregister("hang")


def test_closing_the_results_early_stops_the_running_jobs(hang_pipeline, job_start):
    psutil = pytest.importorskip("psutil")
    plan = RunPlan(["knn", "hang"], datasets=["mnist-sample"], train_size=200)
    settings = JobSettings("test", timeout=120, download=False)
    stream = LocalExecutor(n_jobs=2).results(plan.jobs(), settings)
    job, result = next(stream)  # knn ends first; hang runs on
    assert job.pipeline == "knn" and result["status"] == "ok"
    start = time.monotonic()
    stream.close()
    assert time.monotonic() - start < 10

    def job_processes():
        running = []
        for child in psutil.Process().children(recursive=True):
            try:  # a killed job not yet reaped is a zombie: it no longer runs
                command = " ".join(child.cmdline())
                # the fork server (our child) stays; the jobs forked from it
                # are its children, with its command line
                server = "forkserver" in command and child.ppid() == os.getpid()
                if "mnistbench._jobproc" in command and not server:
                    running.append(child)
            except psutil.Error:
                continue
        return running

    deadline = time.monotonic() + 10
    while job_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job_processes() == []
