"""Every example in the docstrings of the public API runs, and says what it shows.

The modules are those of the API reference, ``docs/api.rst`` (read from it,
so that a module added there is tested here), and ``mnistbench`` itself. For
each, the doctests of its own docstring and of every public name of its
``__all__`` (functions, classes with their methods and properties) run as one
item, ``test_docstring_examples[MODULE]``. A name that several modules export
(``mnistbench.runner.RunPlan`` is ``mnistbench.plan.RunPlan``) is tested once,
with the first of them in ``docs/api.rst``'s order.

Each docstring's examples start from an empty namespace, as a reader who
copies them does, so they import what they use. ELLIPSIS and
NORMALIZE_WHITESPACE are on. Warnings are errors, as in the rest of the
suite. The examples run in an empty temporary folder with a data home that
the items share (``mnist-sample`` is built once, in seconds; nothing is
downloaded), and their job processes start from a fork server (0.2 s each,
not 3 s as new Pythons): what the examples show does not depend on how jobs
start.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import re
from pathlib import Path

import pytest
from _docs_runs import OPTIONFLAGS  # the same doctest settings as the docs' examples

from mnistbench.jobs import start_job_server, use_job_server

ROOT = Path(__file__).resolve().parents[1]


def api_modules() -> list[str]:
    """The modules of ``docs/api.rst``'s autosummary, in its order, then
    ``mnistbench``."""
    text = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    found = re.findall(r"^\s+(mnistbench(?:\.\w+)*)\s*$", text, flags=re.MULTILINE)
    return list(dict.fromkeys([*found, "mnistbench"]))


MODULES = api_modules()


def _documented(obj) -> bool:
    """Whether ``obj`` carries docstrings of its own: a function, a class or
    a module, not a constant (whose ``__doc__`` is its type's)."""
    return inspect.isroutine(obj) or inspect.isclass(obj) or inspect.ismodule(obj)


def _owners() -> dict[int, str]:
    """id of each public object -> the first module of MODULES exporting it."""
    owners: dict[int, str] = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            obj = getattr(module, attr)
            if _documented(obj):
                owners.setdefault(id(obj), name)
    return owners


def module_doctests(name: str, owners: dict[int, str]) -> list[doctest.DocTest]:
    """The doctests of module ``name``'s docstring and of its public names
    (those it is the first to export), each with an empty namespace."""
    module = importlib.import_module(name)
    globs = {"__name__": "__main__"}
    tests = doctest.DocTestFinder(recurse=False).find(module, name, globs=globs)
    finder = doctest.DocTestFinder()
    for attr in getattr(module, "__all__", ()):
        obj = getattr(module, attr)
        if not _documented(obj) or owners.get(id(obj)) != name:
            continue
        # module=False: a class's own methods are searched wherever the
        # class was defined (private modules, mostly)
        tests += finder.find(obj, f"{name}.{attr}", module=False, globs=globs)
    return [t for t in tests if t.examples]


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory) -> Path:
    """One data home for every item: building mnist-sample's cache takes
    seconds, reading it back none."""
    return tmp_path_factory.mktemp("data_home")


@pytest.fixture(autouse=True)
def data_home(shared_home, monkeypatch) -> Path:
    """Overrides conftest's fresh data home per test with the shared one."""
    monkeypatch.setenv("MNISTBENCH_DATA_HOME", str(shared_home))
    monkeypatch.delenv("MNISTBENCH_MIRROR", raising=False)
    return shared_home


@pytest.fixture(scope="module")
def owners() -> dict[int, str]:
    return _owners()


@pytest.fixture(scope="module")
def job_server():
    """The fork server, started before the first item: its imports overlap
    the first examples, which run no job."""
    use_job_server(True)
    start_job_server()
    use_job_server(False)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, owners, job_server, tmp_path, monkeypatch):
    tests = module_doctests(name, owners)
    if not tests:
        pytest.skip(f"{name}: no example in its docstrings")
    monkeypatch.chdir(tmp_path)
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    out: list[str] = []
    failed = attempted = 0
    for test in tests:
        use_job_server(True)  # an example may turn it off; conftest does after
        result = runner.run(test, out=out.append)
        failed, attempted = failed + result.failed, attempted + result.attempted
    if failed:
        pytest.fail(
            f"{failed} of {attempted} examples of {name} failed:\n{''.join(out)}",
            pytrace=False,
        )


#: The API a user meets first: each of these docstrings shows itself at work.
FIRST_MET = [
    "mnistbench.augmentation.Augmented",
    "mnistbench.compare.between",
    "mnistbench.compare.bootstrap_interval",
    "mnistbench.compare.holm",
    "mnistbench.compare.mcnemar",
    "mnistbench.compare.pairwise_mcnemar",
    "mnistbench.compare.seed_summary",
    "mnistbench.data.Dataset",
    "mnistbench.data.Dataset.images",
    "mnistbench.data.Dataset.one_hot",
    "mnistbench.data.available",
    "mnistbench.data.fetch",
    "mnistbench.data.from_arrays",
    "mnistbench.data.load",
    "mnistbench.decomposition.PCA",
    "mnistbench.jobs.use_job_server",
    "mnistbench.pipelines.available",
    "mnistbench.pipelines.describe",
    "mnistbench.pipelines.get",
    "mnistbench.pipelines.groups",
    "mnistbench.pipelines.info",
    "mnistbench.pipelines.register",
    "mnistbench.pipelines.space",
    "mnistbench.plan.RunPlan",
    "mnistbench.preprocessing.Deskew",
    "mnistbench.preprocessing.GrayLevels",
    "mnistbench.preprocessing.HOG",
    "mnistbench.report.build",
    "mnistbench.results.read_leaderboard",
    "mnistbench.runner.RunSummary",
    "mnistbench.runner.run",
    "mnistbench.runner.run_plan",
    "mnistbench.svm.SVC",
    "mnistbench.tuning.tune",
]


def test_the_api_met_first_has_examples(owners):
    found = {t.name for name in MODULES for t in module_doctests(name, owners)}
    assert [name for name in FIRST_MET if name not in found] == []
