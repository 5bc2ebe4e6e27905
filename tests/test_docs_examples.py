"""Every example in README.md and docs/ runs.

The conventions (which blocks are collected, how a command is made small
before it runs, the ``<!-- docs-test: ... -->`` directives) are in the
docstring of the collector, ``tests/_docs_examples.py``; the commands are
parsed and made small in ``_docs_commands.py`` and run in ``_docs_runs.py``.
"""

from __future__ import annotations

import os
import shlex
import sys

import pytest
from _docs_commands import (
    _engines_here,
    _on_disk,
    for_the_sample,
    missing_here,
    parse_error,
    parse_problems,
)
from _docs_examples import DOCS, NOT_COLLECTED, Doc, load_doc, shell_line
from _docs_runs import TAIL, TIMEOUT, DocsRuns, run_process, run_python
from helpers import mnistbench

from mnistbench import data
from mnistbench.exceptions import DownloadError

# --- running the Python examples ---------------------------------------------


def _fail_on_doc_errors(doc: Doc) -> None:
    if doc.errors:
        pytest.fail("\n".join(doc.errors), pytrace=False)


DOC_PARAMS = [pytest.param(doc, id=doc.name) for doc in DOCS]


@pytest.mark.parametrize("doc", DOC_PARAMS)
def test_python_examples(doc, tmp_path, monkeypatch):
    _fail_on_doc_errors(doc)
    if not doc.python_blocks:
        pytest.skip("no Python example")
    if all(b.skip for b in doc.python_blocks):
        pytest.skip("every Python example opts out: " + doc.python_blocks[0].skip)
    monkeypatch.chdir(tmp_path)
    failure = run_python(doc)
    if failure:
        pytest.fail(failure, pytrace=False)


# --- parsing the commands ----------------------------------------------------


@pytest.mark.parametrize("doc", DOC_PARAMS)
def test_commands_parse(doc):
    _fail_on_doc_errors(doc)
    if not doc.commands:
        pytest.skip("no mnistbench command")
    problems = parse_problems(doc)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# --- running the commands ----------------------------------------------------


@pytest.fixture(scope="module")
def docs_runs(tmp_path_factory):
    runs = DocsRuns(tmp_path_factory)
    yield runs
    runs.close()


def _run_ids():
    cases, seen = [], {}
    for doc in DOCS:
        for command in doc.commands:
            key = f"{command.doc}:{command.line}"
            seen[key] = seen.get(key, 0) + 1
            suffix = f"-{seen[key]}" if seen[key] > 1 else ""
            cases.append(pytest.param(command, id=key + suffix))
    return cases


@pytest.mark.docs
@pytest.mark.parametrize("command", _run_ids())
def test_command_runs(command, docs_runs):
    where = f"{command.doc}:{command.line}: {command.written}"
    error = parse_error(command.argv)
    if error:
        pytest.fail(f"{where}\ndoes not parse: {error}", pytrace=False)
    ran = docs_runs.outcome(command)
    if ran.skipped:
        pytest.skip(ran.skipped)
    if ran.code in command.exit_codes:
        return
    ended = (
        f"exit code {ran.code}" if ran.code is not None else f"no end in {TIMEOUT} s"
    )
    expected = " or ".join(map(str, command.exit_codes))
    message = [
        where,
        f"as run: {shell_line(ran.argv, dict(command.env))}",
        f"in {ran.cwd} (a copy of the repository's results/)",
        f"{ended}, expected {expected}",
        f"--- the last {TAIL:,} characters of its output ---",
        ran.output[-TAIL:],
    ]
    pytest.fail("\n".join(message), pytrace=False)


# --- the collector's own tests -----------------------------------------------


def _doc(tmp_path, text: str, name: str = "guide.md") -> Doc:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_doc(path, tmp_path)


def test_the_docs_are_collected():
    names = [doc.name for doc in DOCS]
    if not names:
        pytest.skip("no README.md here (an installed copy of the tests)")
    assert names[0] == "README.md"
    assert not [n for n in names if n.startswith(NOT_COLLECTED)]


def test_shell_lines_are_split_as_a_shell_would(tmp_path):
    doc = _doc(
        tmp_path,
        "# Title\n"
        "```sh\n"
        "# a comment\n"
        "pip install . && mnistbench run --all -d mnist  # 2 min\n"
        "mnistbench leaderboard \\\n"
        "    --format markdown; pytest -q\n"
        "MNISTBENCH_DATA_HOME=/x mnistbench info 2>&1 > info.txt\n"
        "python -m pip list | mnistbench pipelines svm\n"
        "```\n"
        "\n"
        "```console\n"
        "$ mnistbench datasets\n"
        "mnistbench says this\n"
        "```\n"
        "```toml\n"
        "mnistbench = 1\n"
        "```\n",
    )
    assert [(c.line, c.argv) for c in doc.commands] == [
        (4, ("run", "--all", "-d", "mnist")),
        (5, ("leaderboard", "--format", "markdown")),
        (7, ("info",)),
        (8, ("pipelines", "svm")),
        (12, ("datasets",)),
    ]
    assert doc.commands[2].env == (("MNISTBENCH_DATA_HOME", "/x"),)
    assert doc.commands[2].written == "MNISTBENCH_DATA_HOME=/x mnistbench info"
    assert not doc.errors


def test_a_wrong_option_choice_type_or_command_is_caught(tmp_path):
    doc = _doc(
        tmp_path,
        "```sh\n"
        "mnistbench run --all -d mnist-sample\n"
        "mnistbench run --al\n"
        "mnistbench run --engine sklearn-intelex\n"
        "mnistbench run --seed one\n"
        "mnistbench bench peers\n"
        "mnistbench bench\n"
        "mnistbench --help\n"
        "```\n",
    )
    problems = parse_problems(doc)
    assert len(problems) == 4, problems
    assert problems[0].startswith("guide.md:3: mnistbench run --al\n")
    assert "No such option" in problems[0] and "--al" in problems[0]
    assert "'sklearn-intelex' is not one of" in problems[1]
    assert (
        "guide.md:5:" in problems[2] and "'one' is not a valid integer" in problems[2]
    )
    assert "No such command 'peers'" in problems[3]


def test_directives_need_a_reason_and_a_block(tmp_path):
    doc = _doc(
        tmp_path,
        "<!-- docs-test: parse-only -->\n"
        "```sh\n"
        "mnistbench run --scheduler tcp://HOST:8786\n"
        "```\n"
        "<!-- docs-test: skip () -->\n"
        "```python\n"
        "1 / 0\n"
        "```\n"
        "<!-- docs-test: parse-only (needs a cluster) -->\n"
        "\n"
        "```sh\n"
        "mnistbench info\n"
        "```\n"
        "<!-- docs-test: sometimes -->\n"
        "```sh\n"
        "mnistbench info\n"
        "```\n"
        "<!--docs-test parse-only (x)-->\n"
        "<!-- docs-test: skip (a synopsis) -->\n"
        "```toml\n"
        "x = 1\n"
        "```\n",
    )
    errors = "\n".join(doc.errors)
    assert "guide.md:1: parse-only needs a reason" in errors
    assert "guide.md:5: skip needs a reason" in errors
    assert "guide.md:9: directive 'parse-only (needs a cluster)' is not directly" in (
        errors
    )
    assert "guide.md:14: unknown directive 'sometimes'" in errors
    assert "guide.md:18: malformed directive" in errors
    assert "guide.md:19: directive 'skip (a synopsis)' is above a ```toml" in errors
    assert len(doc.errors) == 6
    with pytest.raises(pytest.fail.Exception, match="needs a reason"):
        _fail_on_doc_errors(doc)


def test_directives_apply_to_their_block(tmp_path):
    doc = _doc(
        tmp_path,
        "<!-- docs-test: parse-only (it needs a Dask scheduler) -->\n"
        "```sh\n"
        "mnistbench run --scheduler tcp://HOST:8786\n"
        "```\n"
        "<!-- docs-test: exit 0,1 -->\n"
        "```sh\n"
        "mnistbench run -d mnist-sample --out a\n"
        "mnistbench compare a a --fail-on same\n"
        "```\n"
        "<!-- docs-test: skip (a synopsis) -->\n"
        "```sh\n"
        "mnistbench run [PIPELINE ...] [--engine sklearn|cuml]\n"
        "```\n"
        "* Mark it with `<!-- docs-test: skip (REASON) -->` in prose:\n"
        "  comment before it: `<!-- docs-test: parse-only (REASON) -->`; done\n",
    )
    assert not doc.errors
    first, run, compare = doc.commands
    assert first.parse_only == "it needs a Dask scheduler"
    assert (run.exit_codes, compare.exit_codes) == ((0,), (0, 1))
    assert doc.blocks[2].skip == "a synopsis"
    assert parse_problems(doc) == []


def test_commands_are_made_small_for_the_sample():
    def small(line):
        return " ".join(for_the_sample(line.split()))

    assert small("run --all -d fashion-mnist -d mnist --out r") == (
        "run --all -d mnist-sample --out r --train-size 500 --resume"
    )
    assert small("run svm --dataset=kmnist -d ~/qmnist --train-size 200 --force") == (
        "run svm --dataset=mnist-sample -d ~/qmnist --train-size 200 --force"
    )
    assert small("run --all --train-size 20000 --resume") == (
        "run --all --resume --dataset mnist-sample --train-size 500"
    )
    assert small("tune --all -d mnist-sample --budget 10") == (
        "tune --all -d mnist-sample --search-size 500 --budget 4"
    )
    assert small("tune svm --budget 3 --search-size 300") == (
        "tune svm --budget 3 --search-size 300 --dataset mnist-sample --resume"
    )
    assert small("run knn --seed 0 --seed 1 --seed 2 -d mnist --n-jobs 1") == (
        "run knn -d mnist-sample --n-jobs 1 --train-size 500 --seed 0 --resume"
    )
    assert small("bench peer --out results/bench") == (
        "bench peer --out results/bench --dataset mnist-sample --train-size 500"
    )
    assert small("bench scaling svm -dfashion-mnist") == (
        "bench scaling svm -dmnist-sample --sizes 500,1000"
    )
    assert small("leaderboard --out r -d fashion-mnist") == (
        "leaderboard --out r -d mnist-sample"
    )
    assert small("compare a b --fail-on slower") == "compare a b --fail-on slower"
    for line in ("run --all", "tune svm", "bench scaling", "bench engines knn"):
        assert parse_error(for_the_sample(shlex.split(line))) is None


def test_what_a_command_needs_here(tmp_path):
    board = tmp_path / "r" / "leaderboard.csv"
    board.parent.mkdir()
    board.write_text("dataset,pipeline\nkmnist,svm\nmy-data@1234,svm\n")
    home = tmp_path / "data_home"
    if _on_disk("kmnist", str(home)):
        pytest.skip("KMNIST is on disk here")
    assert missing_here(["run", "-d", "mnist-sample"], tmp_path, home) is None
    assert missing_here(["leaderboard", "--out", "r"], tmp_path, home) is None
    for argv in (["compare", "r", "--by", "engine"], ["report", "--out", "r"]):
        assert missing_here(argv, tmp_path, home) == (
            "dataset kmnist is not on disk here (offline)"
        )
    assert missing_here(["report", "--out", "r", "-d", "x"], tmp_path, home) is None
    assert "kmnist" in missing_here(["fetch", "kmnist"], tmp_path, home)
    if "cuml" not in _engines_here():
        reason = missing_here(["run", "--engine", "cuml"], tmp_path, home)
        assert reason == "engine cuml is not installed here"


def test_python_examples_share_a_namespace_and_report_their_line(tmp_path):
    ok = _doc(
        tmp_path,
        "```python\n"
        "from mnistbench import data\n"
        "ds = data.load('mnist-sample')\n"
        "```\n"
        "<!-- docs-test: skip (it needs your own folder) -->\n"
        "```python\n"
        "data.load('~/data/qmnist')\n"
        "```\n"
        "```pycon\n"
        ">>> ds.name, ds.X_train.shape\n"
        "('mnist-sample', (4000, 784))\n"
        ">>> print('a   long' , 'line...')  # doctest spacing\n"
        "a long ...\n"
        "```\n",
    )
    assert run_python(ok) is None
    bad = _doc(
        tmp_path,
        "Text.\n"
        "```pycon\n"
        ">>> x = 2\n"
        ">>> x + 1\n"
        "4\n"
        "```\n"
        "```python\n"
        "print('never run')\n"
        "```\n",
        name="bad.md",
    )
    failure = run_python(bad)
    assert failure.startswith("bad.md:3: ```pycon block failed:")
    assert 'File "bad.md", line 4' in failure
    assert "Expected:\n    4\nGot:\n    3" in failure
    assert "(1 later Python block(s) of bad.md not run)" in failure
    raising = _doc(tmp_path, "```python\nx = 1\ny = x / 0\n```\n", name="r.md")
    failure = run_python(raising)
    assert failure.startswith("r.md:2: ```python block raised:")
    assert f'File "{tmp_path / "r.md"}", line 3' in failure
    assert "y = x / 0" in failure and "ZeroDivisionError" in failure
    broken = _doc(tmp_path, "```pycon\n>>>x = 1\n```\n```python\nx = (\n```\n")
    assert "guide.md:2: ```pycon block is not a doctest" in run_python(broken)
    broken = _doc(tmp_path, "```python\nx = (\n```\n")
    failure = run_python(broken)
    assert failure.startswith("guide.md:2: ```python block raised")
    assert "SyntaxError" in failure and "line 2" in failure


def test_a_failed_download_skips(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise DownloadError("mnist: cannot resolve host (no network?)")

    monkeypatch.setattr(data, "load", offline)
    doc = _doc(tmp_path, "```python\nfrom mnistbench import data\ndata.load()\n```\n")
    with pytest.raises(pytest.skip.Exception, match="guide.md:2: .*no network"):
        run_python(doc)


def test_a_command_that_hangs_is_killed_with_its_children(tmp_path):
    code, output, seconds = run_process(
        [sys.executable, "-c", "print('up', flush=True); import time; time.sleep(60)"],
        tmp_path,
        os.environ,
        timeout=1,
    )
    assert code is None and output == "up\n" and seconds < 30
    code, output, _ = run_process(mnistbench("--version"), tmp_path, os.environ, 60)
    assert code == 0 and "mnistbench" in output
