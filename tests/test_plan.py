"""A run as one value: the plan's normalisation, its checks, its jobs."""

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_cli import one_line_error

from mnistbench import pipelines
from mnistbench.cli import cli
from mnistbench.plan import MAX_SEED, RunError, RunPlan


def plan(**kw) -> RunPlan:
    kw.setdefault("datasets", ["mnist-sample"])
    return RunPlan(kw.pop("pipelines", ["knn"]), **kw)


def test_a_plan_is_normalised_and_frozen():
    p = plan(pipelines=("knn", "svm", "knn"), datasets="mnist-sample", seeds=[1, 0, 1])
    assert p.pipelines == ("knn", "svm") and p.datasets == ("mnist-sample",)
    assert p.seeds == (1, 0) and p.out == Path("results") and not p.on_dask
    assert p.n_jobs >= 1  # one per core, resolved where the plan is built
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.seeds = (2,)
    assert set(p.configs) == {"knn", "svm"}
    assert p.configs["svm"] == pipelines.fingerprint(pipelines.get("svm"))


def test_jobs_nest_dataset_pipeline_seed():
    p = plan(pipelines=["knn", "svm"], seeds=[0, 1], train_size=500)
    jobs = p.jobs()
    assert [(j.pipeline, j.seed) for j in jobs] == [
        ("knn", 0),
        ("knn", 1),
        ("svm", 0),
        ("svm", 1),
    ]
    assert {j.n_train for j in jobs} == {500} and len({j.key for j in jobs}) == 4
    assert all(j.config == p.configs[j.pipeline] for j in jobs)
    assert {j.n_train for j in plan().jobs()} == {4000}  # the whole training set


def test_the_cluster_and_scheduler_are_normalised():
    assert plan(cluster="local:3").cluster == 3
    assert plan(cluster=2).cluster == 2
    assert plan(cluster="local").cluster >= 1
    assert plan(scheduler="127.0.0.1:8786").scheduler == "tcp://127.0.0.1:8786"
    p = plan(cluster="local:2")
    assert p.on_dask and p.n_jobs is None


@pytest.mark.parametrize("seed", [0, 1, MAX_SEED])
def test_every_unsigned_32_bit_seed_is_accepted(seed):
    assert plan(seeds=[seed]).seeds == (seed,)


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 2**63, 1.5, "3", True])
def test_seeds_outside_32_bits_are_refused(seed):
    with pytest.raises(RunError, match="--seed must be a whole number from 0 to"):
        plan(seeds=[seed])


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("knn", {"clf__n_neighbors": -4}, "'n_neighbors' parameter of KNeighbors"),
        ("svm", {"clf__C": 0}, "'C' parameter of SVC"),
        ("svm", {"clf__kernel": "cubic"}, "'kernel' parameter of SVC"),
        ("logreg", {"clf__max_iter": -1}, "'max_iter' parameter of Logistic"),
        ("rf", {"clf__n_estimators": 0}, "'n_estimators' parameter of RandomForest"),
        ("pca_mlp", {"reduce__pca__n_components": -2}, "'n_components' parameter"),
        ("hog_svm", {"scale__pixels__n_components": 0.0}, "'n_components'"),
    ],
)
def test_parameters_are_checked_against_sklearns_constraints(name, params, message):
    with pytest.raises(RunError, match=message) as caught:
        plan(pipelines=[name], params=params)
    text = str(caught.value)
    assert text.startswith(f"pipeline {name!r} with ") and "\n" not in text


def _invalid_value_for_every_classifier():
    """For every registered pipeline, a value its classifier's own
    constraints refuse (a word where a number is expected)."""
    from sklearn.utils._param_validation import validate_parameter_constraints

    for name in pipelines.available():
        clf = pipelines.get(name).named_steps["clf"]
        constraints = getattr(type(clf), "_parameter_constraints", {})
        for param in sorted(constraints):
            try:
                validate_parameter_constraints(
                    {param: constraints[param]}, {param: "nonsense"}, "x"
                )
            except (ValueError, TypeError):
                yield name, f"clf__{param}"
                break


@pytest.mark.parametrize(("name", "key"), list(_invalid_value_for_every_classifier()))
def test_every_pipelines_classifier_is_checked(name, key):
    with pytest.raises(RunError, match=f"pipeline '{name}' with {key}='nonsense'"):
        plan(pipelines=[name], params={key: "nonsense"})


@pytest.mark.parametrize("name", pipelines.available())
def test_every_registered_pipeline_passes_with_its_defaults(name):
    assert plan(pipelines=[name]).configs[name]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pipelines": []}, "no pipeline to run"),
        ({"datasets": []}, "no dataset to run"),
        ({"seeds": []}, "no seed given"),
        ({"params": {"": 1}}, "expected STEP__PARAM=VALUE"),
        ({"train_size": 10.5}, "--train-size must be at least 10"),
        ({"cluster": "local:0"}, "needs a positive number of workers"),
        ({"scheduler": "nonsense"}, "must look like tcp://HOST:PORT"),
        ({"cluster": 2, "n_jobs": 2}, "--n-jobs is for local runs"),
        ({"cluster": 2, "scheduler": "tcp://127.0.0.1:1"}, "contradict"),
        ({"engine": "tpu"}, "--engine: unknown engine"),
    ],
)
def test_bad_plans(kwargs, message):
    with pytest.raises(RunError, match=message):
        plan(**kwargs)


def test_an_unknown_dataset_fails_before_anything_runs(tmp_path):
    from mnistbench.exceptions import UnknownDatasetError

    with pytest.raises(UnknownDatasetError, match="unknown dataset 'emnist'"):
        plan(datasets=["emnist"], out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--seed", "-1"], "--seed must be a whole number from 0 to 4294967295"),
        (["--seed", "4294967296"], "got 4294967296"),
        (["--param", "clf__n_neighbors=-4"], "'n_neighbors' parameter of"),
        (["--param", 'clf__weights="far"'], "'weights' parameter of"),
    ],
)
def test_bad_values_are_one_line_and_write_nothing(tmp_path, args, needle):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["run", "knn", "-d", "mnist-sample", "--out", str(out), *args]
    )
    assert result.exit_code == 2
    one_line_error(result, needle)
    assert not out.exists()


def test_a_bad_seed_through_the_console_script(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", "from mnistbench.cli import main; main()"]
        + ["run", "--all", "-d", "mnist-sample", "--seed", "-1", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "Error: --seed must be a whole number from 0 to 4294967295 (2**32 - 1), got -1"
    ]
    assert not out.exists()
