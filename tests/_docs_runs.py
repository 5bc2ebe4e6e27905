"""Running the docs' examples: a file's Python blocks in one namespace, and
its commands as processes, the files side by side (the conventions are in
``_docs_examples``' docstring)."""

from __future__ import annotations

import dataclasses
import doctest
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import traceback
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from _docs_commands import for_the_sample, missing_here, parse_error
from _docs_examples import DOCS, ROOT, Doc
from helpers import mnistbench

from mnistbench.exceptions import DownloadError

OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
TIMEOUT = 300  # seconds a command may take
PARALLEL = 3  # files whose commands run side by side
TAIL = 2000  # characters of a failed command's output shown


# --- running the Python examples ---------------------------------------------


class _Runner(doctest.DocTestRunner):
    """A doctest runner that keeps the exceptions the examples raised."""

    def __init__(self):
        super().__init__(optionflags=OPTIONFLAGS)
        self.raised: list[BaseException] = []

    def report_unexpected_exception(self, out, test, example, exc_info):
        self.raised.append(exc_info[1])
        super().report_unexpected_exception(out, test, example, exc_info)


def run_python(doc: Doc) -> str | None:
    """Run ``doc``'s Python blocks in order in one namespace in the current
    folder: None if they all pass, else what the first failing block did.
    Skips (pytest.skip) when a block needs a download that fails."""
    namespace: dict = {"__name__": "__docs__"}
    runner = _Runner()
    parser = doctest.DocTestParser()
    blocks = [b for b in doc.python_blocks if b.skip is None]
    for n, block in enumerate(blocks):
        later = len(blocks) - n - 1
        after = f"\n({later} later Python block(s) of {doc.name} not run)" * bool(later)
        where = f"{doc.name}:{block.line}: ```{block.lang} block"
        if block.lang == "pycon":
            try:
                test = parser.get_doctest(
                    block.text, namespace, doc.name, doc.name, block.line - 1
                )
            except ValueError as exc:  # ">>>x", or output indented less
                return f"{where} is not a doctest: {exc}{after}"
            out: list[str] = []
            runner.raised.clear()
            with warnings.catch_warnings():
                warnings.simplefilter("default")
                result = runner.run(test, out=out.append, clear_globs=False)
            namespace = test.globs
            _skip_offline(where, runner.raised)
            if result.failed:
                return f"{where} failed:\n{''.join(out)}{after}"
        else:
            filename = str(doc.path) if doc.path else doc.name
            try:
                code = compile("\n" * (block.line - 1) + block.text, filename, "exec")
                with warnings.catch_warnings():
                    warnings.simplefilter("default")
                    exec(code, namespace)
            except Exception as exc:
                _skip_offline(where, [exc])
                shown = traceback.format_exception(
                    type(exc), exc, exc.__traceback__.tb_next
                )
                return f"{where} raised:\n{''.join(shown)}{after}"
    return None


def _skip_offline(where: str, raised) -> None:
    for exc in raised:
        if isinstance(exc, DownloadError):
            pytest.skip(f"{where} needs a download that failed here: {exc}")


# --- running the commands ----------------------------------------------------


def _expand_home(word: str, home: Path) -> str:
    if word == "~" or word.startswith("~/"):
        return str(home) + word[1:]
    return word


def run_process(args, cwd, env, timeout: float) -> tuple[int | None, str, float]:
    """(exit code or None after a timeout, stdout and stderr, seconds); on a
    timeout the whole process group (its job processes too) is killed."""
    start = time.monotonic()
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        code = None
    return code, output, time.monotonic() - start


@dataclasses.dataclass
class Outcome:
    """What running one command gave: a reason it was skipped, or its exit
    code (None: it ran out of time) and output, as run, where."""

    skipped: str | None = None
    code: int | None = None
    output: str = ""
    argv: list[str] = dataclasses.field(default_factory=list)
    cwd: Path | None = None


def _your_default_run(where: str, names: list[str]) -> set[str]:
    if Path(where) != ROOT / "results":
        return set()
    own = {"leaderboard.csv", "robustness.csv", "predictions", "plots", "logs"}
    return set(names) & own


class DocsRuns:
    """The state the run items of one session share: a folder per file (a
    copy of results/), a data home, a home for ``~``, and each command's
    outcome.

    The files' command sequences run side by side, ``PARALLEL`` at a time,
    each file's commands in document order: a command spends much of its time
    starting Pythons and waiting for its jobs, so two cores run three files
    in about half the time of one after the other."""

    def __init__(self, factory: pytest.TempPathFactory):
        self.factory = factory
        self.data_home = factory.mktemp("docs-data-home")
        self.home = factory.mktemp("docs-home")
        self.folders: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future] = {}

    def folder(self, doc: str) -> Path:
        with self._lock:
            if doc not in self.folders:
                name = "docs-" + re.sub(r"\W+", "-", doc)
                folder = self.factory.mktemp(name)
                if (ROOT / "results").is_dir():
                    shutil.copytree(
                        ROOT / "results",
                        folder / "results",
                        # a run of yours with the default --out (git ignores it)
                        ignore=_your_default_run,
                    )
                self.folders[doc] = folder
            return self.folders[doc]

    def outcome(self, command) -> Outcome:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(PARALLEL)
            # the files with most commands first, so that none starts last
            for doc in sorted(DOCS, key=lambda d: -len(d.commands)):
                if doc.commands:
                    self._futures[doc.name] = self._pool.submit(self._run_doc, doc)
        doc = next(d for d in DOCS if d.name == command.doc)
        place = next(i for i, c in enumerate(doc.commands) if c is command)
        return self._futures[command.doc].result()[place]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def _run_doc(self, doc) -> list[Outcome]:
        return [self._run(c) for c in doc.commands]

    def _run(self, command) -> Outcome:
        if command.parse_only:
            return Outcome(skipped=f"parse-only ({command.parse_only})")
        if parse_error(command.argv):
            return Outcome()  # the item says why
        cwd = self.folder(command.doc)
        argv = [_expand_home(w, self.home) for w in for_the_sample(command.argv)]
        reason = missing_here(argv, cwd, self.data_home)
        if reason:
            return Outcome(skipped=f"{command.doc}:{command.line}: {reason}")
        env = {**os.environ, "MNISTBENCH_DATA_HOME": str(self.data_home)}
        env.update((k, _expand_home(v, self.home)) for k, v in command.env)
        code, output, _ = run_process(mnistbench(*argv), cwd, env, TIMEOUT)
        return Outcome(code=code, output=output, argv=argv, cwd=cwd)
