"""The runner, in process: isolation, timeouts, failures, resume, bad input."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mnistbench import _jobproc, pipelines, runner
from mnistbench.results import LeaderboardError, read_leaderboard
from mnistbench.runner import RunError


@pytest.fixture
def helper_pipelines():
    import helpers

    names = [
        *("sleepy", "hang", "boom", "crash", "whose_child"),
        *("held", "filler", "pool_user", "narrow", "wide"),
    ]
    for name in names:
        pipelines.register(name, getattr(helpers, name), overwrite=True)
    yield
    for name in names:
        pipelines.unregister(name)


def run(out, names, **kw):
    kw.setdefault("datasets", ["mnist-sample"])
    kw.setdefault("train_size", 500)
    return runner.run(names, out=out, **kw)


def test_ok_rows_predictions_and_plots(tmp_path):
    summary = run(tmp_path, ["logreg", "knn"])
    assert summary.ok and len(summary.rows) == 2
    board = read_leaderboard(tmp_path)
    assert list(board["status"]) == ["ok", "ok"]
    assert (board["n_train"] == 500).all() and (board["n_test"] == 1000).all()
    assert (board["accuracy"] > 0.7).all() and (board["fit_s"] > 0).all()
    assert (board["peak_mem_mb"] > 10).all() and (board["threads"] >= 1).all()
    for rel in board["predictions"]:
        y_pred = np.load(tmp_path / rel)
        assert y_pred.shape == (1000,)
    import matplotlib.image

    pngs = sorted(p.name for p in (tmp_path / "plots" / "mnist-sample").glob("*.png"))
    assert pngs == ["accuracy-vs-time.png", "knn-confusion.png", "logreg-confusion.png"]
    image = matplotlib.image.imread(tmp_path / "plots/mnist-sample/knn-confusion.png")
    assert image.shape[0] > 300 and image.shape[1] > 600
    # a later run redraws its own pipelines' plots (and the summary), no others',
    # each confusion matrix as soon as its jobs are in, while the others run
    folder = tmp_path / "plots" / "mnist-sample"
    for png in folder.glob("*.png"):
        png.unlink()
    seen = []
    again = run(
        tmp_path,
        ["knn"],
        seeds=[0, 1, 2],
        force=True,
        n_jobs=1,
        on_result=lambda job, row: seen.append(sorted(os.listdir(folder))),
    )
    assert seen == [[], [], []]  # knn's three seeds: drawn after the third
    for png in folder.glob("*.png"):
        png.unlink()
    seen.clear()
    run(
        tmp_path,
        ["knn", "logreg"],
        seeds=[3],
        n_jobs=1,
        on_result=lambda job, row: seen.append(sorted(os.listdir(folder))),
    )
    assert seen[0] == [] and len(seen[1]) == 1  # the first job's, not the summary
    again = run(tmp_path, ["knn"], force=True)
    assert sorted(p.name for p in again.plots) == [
        "accuracy-vs-time.png",
        "knn-confusion.png",
    ]
    assert (tmp_path / "plots/mnist-sample/logreg-confusion.png").exists()


def test_peak_memory_is_the_jobs_own(tmp_path, job_start):
    """A small job started by a big runner reports its own peak, not the
    runner's (Linux carries the parent's rusage peak across fork and exec)."""
    ballast = np.ones(800 * 2**20, dtype=np.uint8)  # 800 MB resident here
    try:
        summary = run(tmp_path, ["knn"], train_size=100)
    finally:
        del ballast
    assert 20 < summary.rows.loc[0, "peak_mem_mb"] < 600


def test_same_seed_same_predictions(tmp_path):
    first = run(tmp_path, ["rf"], seeds=[3])
    second = run(tmp_path, ["rf"], seeds=[3], force=True)
    a = np.load(tmp_path / first.rows.loc[0, "predictions"])
    b = np.load(tmp_path / second.rows.loc[0, "predictions"])
    np.testing.assert_array_equal(a, b)
    assert first.rows.loc[0, "job_key"] == second.rows.loc[0, "job_key"]


def test_failures_are_recorded_and_the_rest_goes_on(
    tmp_path, helper_pipelines, job_start
):
    start = time.monotonic()
    summary = run(tmp_path, ["hang", "boom", "crash", "knn"], timeout=5, n_jobs=2)
    assert time.monotonic() - start < 60
    status = dict(zip(summary.rows["pipeline"], summary.rows["status"]))
    assert status == {
        "hang": "timeout",
        "boom": "error",
        "crash": "crashed",
        "knn": "ok",
    }
    errors = dict(zip(summary.rows["pipeline"], summary.rows["error"]))
    assert "5 s timeout" in errors["hang"]
    assert errors["boom"] == "ValueError: deliberately broken pipeline"
    assert "SIGKILL" in errors["crash"]
    assert not summary.ok
    logs = list((tmp_path / "logs").glob("*.txt"))
    assert len(logs) == 1 and "deliberately broken" in logs[0].read_text()
    assert len(read_leaderboard(tmp_path)) == 4


def test_a_job_ends_with_its_work_not_with_its_pool(
    tmp_path, helper_pipelines, job_start
):
    # a FeatureUnion given the job's threads runs on joblib's process pool,
    # which keeps idle workers for 300 s: the job must not wait for them
    # once its result is written (a forked job did, and timed out here)
    start = time.perf_counter()
    summary = run(tmp_path, ["pool_user"], timeout=60)
    assert list(summary.rows["status"]) == ["ok"], summary.rows["error"].iloc[0]
    assert time.perf_counter() - start < 60


def test_a_script_without_a_main_guard_runs_jobs(tmp_path):
    # jobs start as new Pythons unless the caller turns the fork server on,
    # which would import this script again in each job
    script = tmp_path / "bench.py"
    script.write_text(
        "from mnistbench import runner\n"
        f"s = runner.run(['knn'], datasets=['mnist-sample'], train_size=100, "
        f"out={str(tmp_path / 'out')!r})\n"
        "print('status', *s.rows['status'])\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert out.stdout.split() == ["status", "ok"], out.stderr


def test_the_command_line_forks_jobs_from_a_server(
    tmp_path, monkeypatch, helper_pipelines
):
    # the command line turns the fork server on: its job's parent is the
    # server, not the command's own process
    script = tmp_path / "cli.py"
    script.write_text(
        "import os, sys\n"
        "import helpers\n"
        "from mnistbench import pipelines\n"
        "from mnistbench.cli import main\n"
        "if __name__ == '__main__':\n"
        "    print(os.getpid(), flush=True)\n"
        "    pipelines.register('whose_child', helpers.whose_child)\n"
        "    sys.argv = ['mnistbench', 'run', 'whose_child', '--dataset',"
        f" 'mnist-sample', '--train-size', '100', '--out', {str(tmp_path)!r}]\n"
        "    main()\n"
    )
    parent_file = tmp_path / "parent.txt"
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).parent),
        "MNISTBENCH_TEST_PARENT_FILE": str(parent_file),
    }
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert list(read_leaderboard(tmp_path)["status"]) == ["ok"], out.stderr
    command_pid = int(out.stdout.split()[0])
    assert int(parent_file.read_text()) != command_pid
    # in process, the library's default: a new Python, the caller's child
    monkeypatch.setenv("MNISTBENCH_TEST_PARENT_FILE", str(parent_file))
    run(tmp_path / "lib", ["whose_child"])
    assert int(parent_file.read_text()) == os.getpid()


def test_refuses_duplicates_then_resume_and_force(tmp_path):
    run(tmp_path, ["logreg"])
    with pytest.raises(RunError, match="1 of 2 jobs already have ok rows.*--resume"):
        run(tmp_path, ["logreg", "knn"])
    resumed = run(tmp_path, ["logreg", "knn"], resume=True)
    assert list(resumed.rows["pipeline"]) == ["knn"] and len(resumed.skipped) == 1
    forced = run(tmp_path, ["logreg"], force=True)
    assert len(forced.rows) == 1
    assert len(read_leaderboard(tmp_path)) == 3


def _lambda_factory_pipeline():
    pipelines.register("inline", lambda: pipelines.get("knn"), overwrite=True)


def test_unpicklable_factory_is_an_error_row(tmp_path):
    _lambda_factory_pipeline()
    try:
        summary = run(tmp_path, ["inline"])
    finally:
        pipelines.unregister("inline")
    assert summary.rows.loc[0, "status"] == "error"
    assert "module-level function" in summary.rows.loc[0, "error"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_jobs": 0}, "--n-jobs must be a positive"),
        ({"train_size": 5}, "--train-size must be at least 10"),
        ({"train_size": 4001}, "--train-size 4001 is more than mnist-sample's 4,000"),
        ({"timeout": 0}, "--timeout must be a positive"),
        ({"resume": True, "force": True}, "contradict"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(RunError, match=message):
        run(tmp_path, ["knn"], **kwargs)
    assert not (tmp_path / "leaderboard.csv").exists()


def test_unknown_pipeline(tmp_path):
    with pytest.raises(pipelines.UnknownPipelineError, match="unknown pipeline 'cnn'"):
        run(tmp_path, ["knn", "cnn"])


def test_unwritable_out(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(RunError, match="cannot write to --out"):
        run(blocker / "out", ["knn"])


def test_corrupt_leaderboard_stops_before_running(tmp_path):
    (tmp_path / "leaderboard.csv").write_text("garbage\n")
    with pytest.raises(LeaderboardError, match="line 1"):
        run(tmp_path, ["knn"])


def test_config_fingerprint_follows_the_definition_not_the_process():
    import subprocess
    import sys

    from sklearn.preprocessing import FunctionTransformer

    from mnistbench.runner import config_fingerprint

    base = config_fingerprint(pipelines.get("svm"))
    assert base == config_fingerprint(pipelines.get("svm"))
    assert base != config_fingerprint(pipelines.get("svm", clf__C=1.0))
    assert base != config_fingerprint(pipelines.get("logreg"))
    # functions and objects whose repr holds a memory address hash stably
    code = (
        "import numpy as np\n"
        "from sklearn.preprocessing import FunctionTransformer\n"
        "from mnistbench import pipelines\n"
        "from mnistbench.runner import config_fingerprint\n"
        "p = pipelines.get('svm', scale=FunctionTransformer(np.sqrt))\n"
        "print(config_fingerprint(pipelines.get('svm')), config_fingerprint(p))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    here = config_fingerprint(pipelines.get("svm", scale=FunctionTransformer(np.sqrt)))
    assert out == [base, here]


def test_a_changed_definition_is_a_new_job_not_a_duplicate(tmp_path):
    run(tmp_path, ["knn"], train_size=200)
    # same name and parameters, but the pipeline's definition has changed
    pipelines.register(
        "knn",
        _knn_k3,
        overwrite=True,
        source="mnistbench",
    )
    try:
        summary = run(tmp_path, ["knn"], train_size=200)
    finally:
        pipelines.register("knn", pipelines_knn, overwrite=True, source="mnistbench")
    assert summary.ok and len(read_leaderboard(tmp_path)) == 2


pipelines_knn = pipelines.info("knn").factory


def _knn_k3():
    return pipelines_knn().set_params(clf__n_neighbors=3)


def test_threads_used_counts_explicit_n_jobs():
    from joblib import cpu_count
    from sklearn.ensemble import RandomForestClassifier

    from mnistbench._jobproc import threads_used

    assert threads_used(pipelines.get("logreg"), 1) == 1  # n_jobs=None follows
    assert threads_used(pipelines.get("knn"), 2) == 2
    assert threads_used(pipelines.get("rf"), 1) == cpu_count()  # n_jobs=-1
    assert threads_used(pipelines.get("rf", clf__n_jobs=3), 1) == 3
    assert threads_used(pipelines.make(clf=RandomForestClassifier(n_jobs=0)), 1) == 1


def test_jobs_that_spread_over_threads_run_alone_on_every_core(tmp_path):
    # svm fits its pairs of classes on every thread its job gets: it runs
    # alone on every core, first; then the others side by side, each on its
    # share, but for rf's forest, which asks for every core itself
    from joblib import cpu_count

    from mnistbench.jobs import Job, runs_alone

    cores = cpu_count()
    summary = run(tmp_path, ["logreg", "rf", "knn", "svm"], n_jobs=2)
    assert summary.ok and summary.n_jobs == 2
    threads = dict(zip(summary.rows["pipeline"], summary.rows["threads"]))
    share = max(1, cores // 2)
    assert threads == {"svm": cores, "rf": cores, "logreg": share, "knn": share}
    board = read_leaderboard(tmp_path)
    assert dict(zip(board["pipeline"], board["threads"])) == threads
    assert not runs_alone(Job("mnist-sample", "rf"))
    assert runs_alone(Job("mnist-sample", "svm"))
    # Deskew and HOG compute image by image on one thread: not alone
    assert not runs_alone(Job("mnist-sample", "deskew_svm"))
    assert not runs_alone(Job("mnist-sample", "hog_svm_flips"))
    assert not runs_alone(Job("mnist-sample", "no-such-pipeline"))


@pytest.mark.skipif(os.cpu_count() < 2, reason="needs 2 cores")
def test_a_job_that_runs_alone_overlaps_no_other(
    tmp_path, monkeypatch, helper_pipelines, job_start
):
    spans = tmp_path / "spans.txt"
    monkeypatch.setenv("MNISTBENCH_TEST_SPAN_FILE", str(spans))
    # two seeds each: two jobs spread over every thread, two held to a core
    summary = run(tmp_path / "out", ["narrow", "wide"], seeds=[0, 1], n_jobs=2)
    assert summary.ok and len(summary.rows) == 4
    tags, starts, ends = zip(
        *(
            (t, float(a), float(b))
            for t, a, b in map(str.split, spans.read_text().splitlines())
        )
    )
    wide = [i for i, t in enumerate(tags) if t == "wide"]
    assert sorted(tags) == ["narrow", "narrow", "wide", "wide"]
    for i in wide:  # no other fit ran while a wide one did
        for j in range(len(tags)):
            if j != i:
                assert ends[j] <= starts[i] or starts[j] >= ends[i], (i, j)
    narrow = [i for i, t in enumerate(tags) if t == "narrow"]
    a, b = narrow  # the narrow ones side by side
    assert starts[a] < ends[b] and starts[b] < ends[a]


@pytest.mark.skipif(
    not hasattr(os, "nice") or os.cpu_count() < 2, reason="needs niceness, 2 cores"
)
def test_a_job_that_takes_every_core_yields_to_the_others(
    tmp_path, monkeypatch, helper_pipelines, job_start
):
    # two jobs at once: the one whose estimator asks for every core runs (and
    # its threads) at a lower priority, so it fills the cores the other leaves
    # idle; the one held to its share keeps the runner's priority
    nice_file = tmp_path / "nice.txt"
    monkeypatch.setenv("MNISTBENCH_TEST_NICE_FILE", str(nice_file))
    base = os.nice(0)

    def seen():
        lines = nice_file.read_text().split("\n")[:-1]
        nice_file.unlink()
        return dict(
            (n_jobs, (int(a), int(b))) for n_jobs, a, b in map(str.split, lines)
        )

    assert run(tmp_path / "a", ["held", "filler"], n_jobs=2).ok
    expected = min(19, base + _jobproc.FILLER_NICENESS)
    assert seen() == {"None": (base, base), "-1": (expected, expected)}
    # 0 turns it off
    monkeypatch.setenv("MNISTBENCH_FILLER_NICENESS", "0")
    assert run(tmp_path / "b", ["held", "filler"], n_jobs=2).ok
    assert seen() == {"None": (base, base), "-1": (base, base)}
    # anything else is one error before any job starts
    for bad in ("low", "-1", "20"):
        monkeypatch.setenv("MNISTBENCH_FILLER_NICENESS", bad)
        with pytest.raises(RunError, match="must be a whole number from 0 to 19"):
            run(tmp_path / "c", ["held", "filler"], n_jobs=2)
    assert not (tmp_path / "c").exists()


def test_jobs_start_longest_first_by_earlier_runs(tmp_path):
    """A second run starts its jobs in the order of the first run's times,
    longest first, so that a long job does not start last; jobs never timed
    there start first. Jobs that take every core (rf's forest) start after
    those held to their share, to fill the cores at the end."""
    first = run(tmp_path, ["knn", "logreg", "rf", "svm"], n_jobs=1)
    took = (first.rows["fit_s"] + first.rows["predict_s"]).set_axis(
        first.rows["pipeline"]
    )
    started = []
    run(
        tmp_path,
        ["rf", "svm", "knn", "logreg", "pca_mlp"],
        force=True,
        n_jobs=1,
        plots=False,
        on_start=lambda jobs: started.extend(j.pipeline for j in jobs),
    )
    held = took[["knn", "logreg", "svm"]].sort_values(ascending=False).index
    assert started == ["pca_mlp", *held, "rf"]
    started.clear()
    # by now each has two rows, and the order follows their medians
    board = read_leaderboard(tmp_path)
    medians = (board["fit_s"] + board["predict_s"]).groupby(board["pipeline"]).median()
    run(  # held to one thread, the forest is a job like the others
        tmp_path,
        ["knn", "rf"],
        params={"clf__n_jobs": 1},
        n_jobs=1,
        plots=False,
        on_start=lambda jobs: started.extend(j.pipeline for j in jobs),
    )
    assert started == list(medians[["knn", "rf"]].sort_values(ascending=False).index)
