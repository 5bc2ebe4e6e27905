"""``mnistbench tune``: candidate 0 is the default; the test labels never
reach the search; a killed search resumes without repeating a trial; the
CPU budget holds; its choice is scikit-learn's; bad inputs are one line."""

import json
import os
import shutil
import signal
import subprocess
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import mnistbench
from sklearn.datasets import load_digits
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    ParameterSampler,
    RandomizedSearchCV,
    StratifiedKFold,
)

from mnistbench import data, pipelines, results, tuning
from mnistbench.cli import cli
from mnistbench.jobs import use_job_server


@pytest.fixture(autouse=True)
def fork_server():
    """Trials start from the fork server, as from the command line: fast."""
    use_job_server(True)
    yield
    use_job_server(False)


def digits(n_train=450, n_test=150, shuffle_test=False):
    """sklearn's 8x8 digits as a user's dataset (64 features)."""
    d = load_digits()
    images = np.round(d.images * 255 / 16).astype(np.uint8)
    y = d.target
    y_test = y[n_train : n_train + n_test].copy()
    if shuffle_test:
        np.random.default_rng(1).shuffle(y_test)
    return data.from_arrays(
        images[:n_train],
        y[:n_train],
        images[n_train : n_train + n_test],
        y_test,
        name="digits",
    )


def trials_of(summary) -> pd.DataFrame:
    columns = ["pipeline", "candidate", "params", "fold", "val_score", "status"]
    frame = summary.trials[columns]
    return frame.sort_values(["pipeline", "candidate", "fold"]).reset_index(drop=True)


def test_candidate_zero_is_the_default_and_the_test_set_stays_unseen(tmp_path):
    same = {"budget": 4, "curves": False}
    seen = tuning.tune(["knn"], datasets=[digits()], out=tmp_path / "a", **same)
    blind = tuning.tune(
        ["knn"], datasets=[digits(shuffle_test=True)], out=tmp_path / "b", **same
    )
    assert seen.ok and blind.ok
    first = seen.trials[seen.trials["candidate"] == 0]
    assert set(first["params"]) == {"{}"} and len(first) == tuning.DEFAULT_CV
    assert len(seen.trials) == 4 * tuning.DEFAULT_CV
    # shuffled test labels: the very same trials, the same choice
    pd.testing.assert_frame_equal(trials_of(seen), trials_of(blind))
    assert list(seen.best_params.values()) == list(blind.best_params.values())
    # the test set scores only the refits: the default's and the tuned one
    table = seen.table.iloc[0]
    assert table["trials"] == 12 and table["default_accuracy"] > 0.8
    assert len(seen.rows) == 2 and set(seen.rows["status"]) == {"ok"}
    tuned = seen.rows[seen.rows["search_id"].notna()].iloc[0]
    assert tuned["n_trials"] == 12 and tuned["val_score"] == table["best_val_score"]
    assert json.loads(tuned["params"]) == seen.best_params[tuned["dataset"], "knn"]


def _sklearn_pipe(name, seed):
    pipe = pipelines.get(name)
    pipe.set_params(
        **{k: seed for k, v in pipe.get_params().items() if k.endswith("random_state")}
    )
    return pipe


class _WithDefault(RandomizedSearchCV):
    """scikit-learn's random search, candidate 0 the default as in tune."""

    def _run_search(self, evaluate_candidates):
        drawn = ParameterSampler(
            self.param_distributions, self.n_iter, random_state=self.random_state
        )
        evaluate_candidates([{}, *drawn])


class _HalvingWithDefault(HalvingRandomSearchCV):
    def _generate_candidate_params(self):
        drawn = ParameterSampler(
            self.param_distributions,
            self.n_candidates - 1,
            random_state=self.random_state,
        )
        return [{}, *drawn]


@pytest.mark.parametrize("search", ["random", "halving"])
def test_the_choice_is_scikit_learns(tmp_path, search):
    ds, seed, budget, names = digits(), 3, 6, ["logreg", "knn"]
    found = tuning.tune(
        names,
        datasets=[ds],
        budget=budget,
        seed=seed,
        search=search,
        curves=False,
        out=tmp_path,
    )
    assert found.ok
    cv = StratifiedKFold(3, shuffle=True, random_state=seed)
    for name in names:
        space = pipelines.space(name)
        if search == "random":
            theirs = _WithDefault(
                _sklearn_pipe(name, seed),
                space,
                n_iter=budget - 1,
                cv=cv,
                random_state=seed,
            )
        else:
            theirs = _HalvingWithDefault(
                _sklearn_pipe(name, seed),
                space,
                n_candidates=budget,
                cv=cv,
                random_state=seed,
                min_resources="exhaust",
                factor=3,
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs.fit(ds.X_train, ds.y_train)
        assert found.best_params[ds.name, name] == theirs.best_params_
        mine = found.trials[found.trials["pipeline"] == name]
        if search == "random":
            means = mine.groupby("candidate")["val_score"].mean().to_numpy()
            np.testing.assert_allclose(
                means, theirs.cv_results_["mean_test_score"], rtol=0, atol=1e-12
            )
        else:
            rungs = sorted(set(mine["n_fit"] + mine["n_val"]))
            n_rungs = len(theirs.n_resources_)
            assert mine["iteration"].max() + 1 == n_rungs
            assert len(rungs) == n_rungs  # each rung a larger subsample


def test_a_killed_search_resumes_and_repeats_no_trial(tmp_path):
    out = tmp_path / "killed"
    args = [
        "tune",
        "knn",
        "-d",
        "mnist-sample",
        "--search-size",
        "600",
        "--budget",
        "8",
        "--no-curves",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(
        mnistbench(*args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if len(results.read_trials(out)) >= 6:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = results.read_trials(out)
    assert 6 <= len(before) < 24, "kill the search mid-way"
    resumed = CliRunner().invoke(cli, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    after = results.read_trials(out)
    assert after["trial_key"].is_unique  # no finished trial ran again
    assert len(after) == 24
    assert set(before["trial_key"]) <= set(after["trial_key"])
    whole = tuning.tune(
        ["knn"],
        datasets=["mnist-sample"],
        search_size=600,
        budget=8,
        curves=False,
        out=tmp_path / "whole",
    )
    board = results.read_leaderboard(out)
    tuned = board[board["search_id"].notna()].set_index("pipeline")
    for (_, name), params in whole.best_params.items():
        assert json.loads(tuned.loc[name, "params"]) == params


def test_the_cpu_budget_holds_within_one_trial(tmp_path):
    budget = 1.5
    found = tuning.tune(
        ["logreg"],
        datasets=[digits()],
        budget_cpu=budget,
        curves=False,
        out=tmp_path,
    )
    assert found.ok
    cpu = found.trials["cpu_s"]
    assert cpu.sum() >= budget  # it went on while seconds were left
    assert cpu.sum() - budget <= cpu.max()  # and stopped within one trial
    assert found.table.iloc[0]["trials"] == len(found.trials)


@pytest.mark.distributed
def test_a_dask_search_gives_the_trials_of_a_local_one(tmp_path):
    pytest.importorskip("distributed")
    same = {"datasets": ["mnist-sample"], "search_size": 500, "budget": 2}
    local = tuning.tune(["knn"], out=tmp_path / "local", curves=False, **same)
    dask = tuning.tune(["knn"], out=tmp_path / "dask", cluster=2, curves=False, **same)
    assert local.ok and dask.ok and dask.where != "here"
    pd.testing.assert_frame_equal(trials_of(local), trials_of(dask))


def test_halving_schedule_is_scikit_learns():
    X = np.zeros((600, 2))
    y = np.repeat(np.arange(10), 60)
    for n in (3, 6, 10, 30):
        theirs = HalvingRandomSearchCV(
            _Constant(),
            {"c": list(range(40))},
            n_candidates=n,
            cv=3,
            min_resources="exhaust",
            random_state=0,
        ).fit(X, y)
        assert tuning.halving_schedule(n, 600, 3, 10)[1] == theirs.n_resources_


class _Constant:
    """The smallest classifier for a schedule: predicts class 0."""

    _estimator_type = "classifier"

    def __init__(self, c=0):
        self.c = c

    def get_params(self, deep=True):
        return {"c": self.c}

    def set_params(self, **params):
        self.c = params.get("c", self.c)
        return self

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)

    def score(self, X, y):
        return float(np.mean(self.predict(X) == y))

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, TargetTags

        tags = Tags(estimator_type="classifier", target_tags=TargetTags(required=True))
        return tags


def _no_space_factory():
    return pipelines.make(clf=pipelines.get("knn").named_steps["clf"])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["knn", "--budget", "0"], "--budget must be a positive number"),
        (["knn", "--budget", "-3"], "--budget must be a positive number"),
        (["nope"], "unknown pipeline 'nope'"),
        (["no_space_here"], "no_space_here' has no search space"),
        (["knn", "--cv", "1"], "--cv must be at least 2 folds"),
        (["knn", "--search-size", "30", "--cv", "5"], "use --cv 3 or fewer"),
        (["knn", "--budget", "3", "--budget-cpu", "10"], "contradict each other"),
        (["knn", "--budget-cpu", "0"], "--budget-cpu must be a positive"),
        (["knn", "--budget-cpu", "0.0001"], "the default configuration's first fold"),
        (["knn", "--search", "halving", "--budget-cpu", "5"], "--budget N"),
        (["knn", "--val-fraction", "1.5"], "--val-fraction must be between 0 and 1"),
    ],
)
def test_bad_inputs_are_one_line_and_write_nothing(tmp_path, args, needle):
    pipelines.register("no_space_here", _no_space_factory)
    try:
        out = tmp_path / "out"
        got = CliRunner().invoke(
            cli, ["tune", *args, "-d", "mnist-sample", "--out", str(out)]
        )
    finally:
        pipelines.unregister("no_space_here")
    assert got.exit_code == 2, got.output
    lines = got.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0]
    assert not out.exists()


def test_the_command_shows_the_table(tmp_path):
    args = ["tune", "knn", "-d", "mnist-sample", "--search-size", "400"]
    args += ["--budget", "3", "--out", str(tmp_path), "--no-curves"]
    got = CliRunner().invoke(cli, args, env={"COLUMNS": "200"})
    assert got.exit_code == 0, got.output
    assert "equal-budget tuning on mnist-sample" in got.output
    assert "McNemar p (Holm)" in got.output and "knn" in got.output
    recorded = results.read_commands(tmp_path)
    assert list(recorded["command"]) == ["mnistbench " + " ".join(args)]
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 2 and "pass --resume" in again.output
    # compare takes tuned rows like any others, each named as such
    shutil.copytree(tmp_path, tmp_path.with_name("copy"))
    compared = CliRunner().invoke(
        cli,
        ["compare", str(tmp_path), str(tmp_path.with_name("copy"))],
        env={"COLUMNS": "200"},
    )
    assert compared.exit_code == 0, compared.output
    assert "knn (tuned)" in compared.output and "same" in compared.output


def test_a_candidate_drawn_twice_is_scored_twice(tmp_path):
    from scipy.stats import randint

    knn = pipelines.info("knn").factory
    pipelines.register("knn_two_ks", knn, space={"clf__n_neighbors": randint(1, 3)})
    try:
        found = tuning.tune(
            ["knn_two_ks"], datasets=[digits()], budget=6, out=tmp_path, seed=1
        )
    finally:
        pipelines.unregister("knn_two_ks")
    assert found.ok
    drawn = found.trials.groupby("candidate")["params"].first()
    assert drawn.duplicated().any(), "the space has two points: draws repeat"
    assert (found.trials.groupby("candidate").size() == 3).all()
    assert found.table.iloc[0]["trials"] == 18
    curves = tuning.tuning_curves(
        results.read_leaderboard(tmp_path),
        results.read_trials(tmp_path),
        results.read_refits(tmp_path),
    )
    assert curves["accuracy"].notna().all()  # each drawn params refitted once
