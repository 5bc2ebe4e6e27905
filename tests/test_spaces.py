"""Search spaces: the built-in ones, the checks at register, their words, the CLI."""

import subprocess
import warnings

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import mnistbench, write_plugin
from scipy.stats import loguniform, norm, randint, uniform
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import ParameterSampler

from mnistbench import pipelines
from mnistbench.cli import cli
from mnistbench.decomposition import PCA, ComponentsWarning
from mnistbench.exceptions import MnistbenchError
from mnistbench.pipelines import (
    NoSpaceError,
    SpaceError,
    UnknownPipelineError,
    describe_space,
)
from mnistbench.pipelines._spaces import check_space

ON_DIGITS = pipelines.available("core")[:5] + pipelines.available("sota")


def _svm():
    """An SVM for the tests, without a space of its own."""
    return pipelines.get("svm")


def _knn():
    return pipelines.get("knn")


def _with_space():
    return pipelines.get("knn")


_with_space.space = {"clf__n_neighbors": [3, 5, 7]}


def _with_bad_space():
    return pipelines.get("knn")


_with_bad_space.space = {"clf__n_neighbors": [0]}


@pytest.fixture
def registered():
    """Names registered by a test, unregistered after it."""
    names = []
    yield names
    for name in names:
        pipelines.unregister(name)


def _register(registered, name, factory, **kwargs):
    registered.append(name)
    return pipelines.register(name, factory, **kwargs)


def _space_error(registered, space, factory=_svm) -> str:
    with pytest.raises(SpaceError) as caught:
        _register(registered, "bad", factory, space=space)
    assert "bad" not in pipelines.available()  # nothing registered
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("pipeline 'bad': search space")
    return message


# --- the built-in spaces ------------------------------------------------------


@pytest.mark.parametrize("name", pipelines.available())
def test_every_pipeline_has_a_space_that_passes_its_checks(name):
    space = pipelines.space(name)
    assert space
    check_space(name, pipelines.info(name).factory, space)
    for params in ParameterSampler(space, 5, random_state=0):
        pipelines.get(name, **params)


def _digits(n=400):
    digits = load_digits()
    X = (digits.data / 16).astype(np.float32)
    return X[:n], digits.target[:n], X[n : 2 * n], digits.target[n : 2 * n]


@pytest.mark.parametrize("name", ON_DIGITS)
def test_candidates_fit_8x8_images(name):
    """Sizes that depend on the image size (PCA as a fraction of the
    variance, HOG cells, k) make sense on 64 features too: two candidates
    of each space fit 400 of scikit-learn's 8x8 digits, well above chance."""
    X, y, X_test, y_test = _digits()
    for params in ParameterSampler(pipelines.space(name), 2, random_state=0):
        pipe = pipelines.get(name, **params)
        pipe.set_params(
            **{
                key: (8, 8) if key.endswith("image_shape") else 0
                for key in pipe.get_params()
                if key.endswith(("image_shape", "random_state"))
            }
        )
        with warnings.catch_warnings():
            # HOG's PCA asks for 100 components of 36 HOG features; the
            # MLP's 200 epochs may not converge on 400 images
            warnings.simplefilter("ignore", ComponentsWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            score = pipe.fit(X, y).score(X_test, y_test)
        assert score > 0.7, (params, score)  # chance is 0.1


def test_space_returns_a_copy():
    first = pipelines.space("svm")
    first["clf__gamma"].append(99.0)
    first["clf__C"] = [1.0]
    del first["reduce__n_components"]
    again = pipelines.space("svm")
    assert 99.0 not in again["clf__gamma"]
    assert hasattr(again["clf__C"], "rvs")
    assert "reduce__n_components" in again
    with pytest.raises(TypeError):
        pipelines.info("svm").space["clf__C"] = [1.0]  # read-only


def test_registered_space_is_not_the_callers(registered):
    space = {"clf__C": [1.0, 10.0]}
    _register(registered, "mine", _svm, space=space)
    space["clf__C"].append(-1.0)
    space["clf__gamma"] = ["auto"]
    assert pipelines.space("mine") == {"clf__C": [1.0, 10.0]}


def test_builtin_spaces_are_checked_on_first_use(monkeypatch):
    monkeypatch.setitem(
        pipelines._REGISTRY,
        "lazy",
        pipelines.PipelineInfo("lazy", _svm, "", space={"clf__C": [-1]}),
    )
    monkeypatch.setattr(pipelines, "_UNCHECKED", {"lazy"})
    with pytest.raises(SpaceError, match="'lazy': search space: clf__C: -1 is not"):
        pipelines.space("lazy")


def test_a_builtin_registered_again_keeps_its_space(monkeypatch):
    """A built-in factory carries its space, as a plugin's does."""
    monkeypatch.setitem(pipelines._REGISTRY, "knn", pipelines.info("knn"))
    factory = pipelines.info("knn").factory
    assert set(factory.space) == {
        "reduce__n_components",
        "clf__n_neighbors",
        "clf__weights",
    }
    pipelines.register("knn", factory, overwrite=True, source="mnistbench")
    assert set(pipelines.space("knn")) == set(factory.space)


# --- checks at register -------------------------------------------------------


def test_space_at_register(registered):
    entry = _register(
        registered,
        "mine",
        _svm,
        space={"clf__C": loguniform(1, 10), "reduce": [PCA(10), "passthrough"]},
    )
    assert set(entry.space) == {"clf__C", "reduce"}
    assert set(pipelines.space("mine")) == {"clf__C", "reduce"}


def test_unknown_parameter_names_the_close_ones(registered):
    message = _space_error(registered, {"clf__CC": [1.0]})
    assert "clf__CC is not a parameter of the pipeline; did you mean clf__C?" in (
        message
    )
    message = _space_error(registered, {"clf__nonsense": [1.0]})
    assert "clf__ has C, break_ties, cache_size" in message
    message = _space_error(registered, {"classifier__C": [1.0]})
    assert "its names start with clf__ or reduce__" in message  # scale: passthrough


def test_rejected_values_say_why(registered):
    message = _space_error(registered, {"clf__C": [1, -1]})
    assert message.startswith(
        "pipeline 'bad': search space: clf__C: -1 is not allowed (The 'C' "
        "parameter of SVC must be a float in the range (0.0, inf"
    )
    assert message.endswith(" Got -1 instead.)")
    message = _space_error(registered, {"reduce": [PCA(n_components=-3)]})
    assert "reduce: PCA(n_components=-3) is not allowed (The 'n_components'" in (
        message
    )


def test_distribution_drawing_rejected_values(registered):
    message = _space_error(registered, {"clf__C": uniform(-1, 2)})
    assert "clf__C: uniform(-1, 1) drew -" in message
    assert "of 20), which is not allowed (The 'C' parameter of SVC" in message
    message = _space_error(registered, {"clf__n_neighbors": uniform(1, 10)}, _knn)
    assert "clf__n_neighbors: uniform(1, 11) drew " in message
    assert "must be an int in the range [1, inf)" in message
    message = _space_error(registered, {"clf__C": loguniform})  # not frozen
    assert "clf__C: cannot draw from scipy.stats.loguniform (TypeError: " in message
    assert message.endswith("; give its parameters: loguniform(a, b)")


@pytest.mark.parametrize(
    ("space", "needle"),
    [
        ([("clf__C", [1.0])], "must be a mapping of parameter names"),
        ({}, "search space is empty"),
        ({"clf__C": []}, "clf__C: [] is neither a non-empty list"),
        ({"clf__gamma": "scale"}, "clf__gamma: 'scale' is neither a non-empty"),
        ({"clf__C": 1.0}, "clf__C: 1.0 is neither"),
        ({3: [1.0]}, "3 is not a parameter name"),
    ],
)
def test_malformed_spaces(registered, space, needle):
    assert needle in _space_error(registered, space)


def _fails():
    raise RuntimeError("no such model")


def test_factory_that_cannot_be_checked(registered):
    message = _space_error(registered, {"clf__C": [1.0]}, _fails)
    assert "cannot be checked: the factory failed (RuntimeError: no such" in message
    message = _space_error(registered, {"clf__C": [1.0]}, dict)
    assert "the factory returned dict, not a scikit-learn Pipeline" in message


def test_space_error_is_a_value_error():
    assert issubclass(SpaceError, MnistbenchError)
    assert issubclass(SpaceError, ValueError)
    assert issubclass(NoSpaceError, MnistbenchError)
    assert issubclass(NoSpaceError, ValueError)


def test_factory_space_attribute(registered):
    entry = _register(registered, "plugin_like", _with_space)
    assert dict(entry.space) == {"clf__n_neighbors": [3, 5, 7]}
    other = _register(  # an explicit space wins over the attribute
        registered, "explicit", _with_space, space={"clf__weights": ["uniform"]}
    )
    assert set(other.space) == {"clf__weights"}
    with pytest.raises(SpaceError, match="clf__n_neighbors: 0 is not allowed"):
        _register(registered, "bad_attr", _with_bad_space)


def test_entry_point_plugin_space(tmp_path, monkeypatch, fresh_plugins):
    site = write_plugin(
        tmp_path / "site",
        "[mnistbench.pipelines]\n"
        "spaced = spaceplugin:spaced\nbadly_spaced = spaceplugin:badly_spaced\n",
        name="mnistbench_spaceplugin",
    )
    (site / "spaceplugin.py").write_text(
        "from mnistbench import pipelines\n"
        "def spaced():\n"
        "    return pipelines.get('knn')\n"
        "spaced.space = {'clf__n_neighbors': [1, 3]}\n"
        "def badly_spaced():\n"
        "    return pipelines.get('knn')\n"
        "badly_spaced.space = {'clf__k': [1, 3]}\n"
    )
    monkeypatch.syspath_prepend(str(site))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = pipelines.available()
    assert "spaced" in names and "badly_spaced" not in names
    assert pipelines.space("spaced") == {"clf__n_neighbors": [1, 3]}
    messages = [str(w.message) for w in caught if w.category is RuntimeWarning]
    assert any(
        "'badly_spaced'" in m and "failed to load: SpaceError" in m for m in messages
    )


def test_no_space_error(registered):
    _register(registered, "spaceless", _svm)
    assert pipelines.info("spaceless").space is None
    with pytest.raises(NoSpaceError) as caught:
        pipelines.space("spaceless")
    assert str(caught.value) == (
        "pipeline 'spaceless' has no search space; register it with one: "
        "pipelines.register('spaceless', factory, space={'clf__C': [0.1, 1, 10]}, "
        "overwrite=True), or set factory.space for a plugin"
    )
    with pytest.raises(UnknownPipelineError):
        pipelines.space("nope")


# --- in words -----------------------------------------------------------------


def test_describe_space():
    space = {
        "a": [0.1, 1, 10],
        "b": loguniform(0.01, 100),
        "c": randint(1, 16),
        "d": uniform(0.5, 0.5),
        "e": uniform(loc=0.5, scale=0.5),
        "f": [(3, 3), (256,)],
        "g": ["scale", None, True, np.float64(0.5), np.int64(2)],
        "h": [PCA(n_components=10), "passthrough"],
        "i": norm(0, 2),
        "j": (1e-5, 2.5e-3),
    }
    assert describe_space(space) == [
        ("a", "0.1, 1, 10"),
        ("b", "loguniform(0.01, 100)"),
        ("c", "randint(1, 16)"),
        ("d", "uniform(0.5, 1)"),
        ("e", "uniform(0.5, 1)"),
        ("f", "(3, 3), (256,)"),
        ("g", "scale, None, True, 0.5, 2"),
        ("h", "PCA(n_components=10), passthrough"),
        ("i", "norm(scale=2)"),
        ("j", "1e-05, 0.0025"),
    ]


def test_describe_builtin_space():
    assert dict(describe_space(pipelines.space("svm"))) == {
        "reduce__n_components": "0.8, 0.85, 0.9, 0.95",
        "clf__C": "loguniform(1, 100)",
        "clf__gamma": "scale, 0.005, 0.01, 0.02, 0.04, 0.08",
    }


# --- the command line ---------------------------------------------------------


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps tables to the terminal
    return CliRunner()


def test_cli_shows_a_pipeline_and_its_space(runner):
    result = runner.invoke(cli, ["pipelines", "svm"])
    assert result.exit_code == 0, result.output
    out = result.output
    for needle in (
        "core",
        "mnistbench",
        "PCA → SVC",
        "RBF-kernel support vector machine",  # the documentation
        "search space of svm",
        "clf__C",
        "loguniform(1, 100)",
        "scale, 0.005, 0.01, 0.02, 0.04, 0.08",
    ):
        assert needle in out


def test_cli_list_says_which_have_a_space(runner, registered):
    _register(registered, "spaceless", _svm)
    result = runner.invoke(cli, ["pipelines"])
    assert result.exit_code == 0, result.output
    assert "space" in result.output
    line = next(ln for ln in result.output.splitlines() if "spaceless" in ln)
    assert "none" in line
    result = runner.invoke(cli, ["pipelines", "spaceless"])
    assert result.exit_code == 0, result.output
    assert "No search space" in result.output


def test_cli_unknown_pipeline_is_one_line(runner):
    result = runner.invoke(cli, ["pipelines", "nope"])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert lines == [
        "Error: unknown pipeline 'nope'; valid names: "
        + ", ".join(pipelines.available())
    ]


def test_cli_unknown_pipeline_in_a_real_process():
    done = subprocess.run(
        mnistbench("pipelines", "nope"), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("Error: unknown pipeline 'nope'")
    assert done.stderr.count("\n") == 1
