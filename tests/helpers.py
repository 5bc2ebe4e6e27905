"""Misbehaving pipelines for the runner's tests.

Module-level factories, so they can be pickled into job processes; the tests
also expose them to fresh ``mnistbench`` processes as an entry-point plugin.
"""

import os
import signal
import sys
import threading
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from mnistbench.pipelines import make


class Majority(ClassifierMixin, BaseEstimator):
    """Predicts the most frequent class, after ``sleep`` seconds of 'fitting'."""

    def __init__(self, sleep=0.0, fail=None):
        self.sleep = sleep
        self.fail = fail

    def fit(self, X, y):
        if self.fail == "raise":
            raise ValueError("deliberately broken pipeline")
        if self.fail == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(self.sleep)
        self.classes_ = np.unique(y)
        self.majority_ = np.bincount(y).argmax()
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


class Unseeded(ClassifierMixin, BaseEstimator):
    """Predicts classes at random from numpy's global generator, which no
    seed reaches: every fit predicts differently."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.random.choice(self.classes_, size=len(X))  # noqa: NPY002


class Parent(Majority):
    """The majority vote, after writing its process's parent's pid to the
    file named by $MNISTBENCH_TEST_PARENT_FILE."""

    def fit(self, X, y):
        with open(os.environ["MNISTBENCH_TEST_PARENT_FILE"], "w") as f:
            f.write(str(os.getppid()))
        return super().fit(X, y)


class Niceness(Majority):
    """The majority vote, after appending its job's niceness, and that of a
    thread it starts, to the file named by $MNISTBENCH_TEST_NICE_FILE."""

    def __init__(self, n_jobs=None):
        super().__init__()
        self.n_jobs = n_jobs

    def fit(self, X, y):
        seen = []
        thread = threading.Thread(target=lambda: seen.append(os.nice(0)))
        thread.start()
        thread.join()
        with open(os.environ["MNISTBENCH_TEST_NICE_FILE"], "a") as f:
            f.write(f"{self.n_jobs} {os.nice(0)} {seen[0]}\n")
        return super().fit(X, y)


class Span(Majority):
    """The majority vote after ``sleep`` seconds, appending the wall-clock
    times its fit began and ended, and its tag, to the file named by
    $MNISTBENCH_TEST_SPAN_FILE."""

    def __init__(self, sleep=2.0, tag="narrow"):
        super().__init__(sleep=sleep)
        self.tag = tag

    def fit(self, X, y):
        start = time.time()
        super().fit(X, y)
        with open(os.environ["MNISTBENCH_TEST_SPAN_FILE"], "a") as f:
            f.write(f"{self.tag} {start} {time.time()}\n")
        return self


class WideSpan(Span):
    """A Span that says it spreads over every thread its job has."""

    spreads_over_threads = True


def narrow():
    """Sleeps 2 s; held to its share of the cores."""
    return make(clf=Span())


def wide():
    """Sleeps 2 s; fits on every thread its job has (as mnistbench's SVC)."""
    return make(clf=WideSpan(tag="wide"))


def pool_user():
    """A FeatureUnion, which runs its parts on joblib's process pool (loky)
    when the job gives it threads; the pool's workers outlive the fit."""
    from sklearn.pipeline import FeatureUnion
    from sklearn.preprocessing import FunctionTransformer

    both = FeatureUnion([("a", FunctionTransformer()), ("b", FunctionTransformer())])
    return make(reduce=both, clf=Majority())


def held():
    """Leaves n_jobs to the runner: held to its share of the cores."""
    return make(clf=Niceness())


def filler():
    """Asks for every core (n_jobs=-1), as rf's forest does."""
    return make(clf=Niceness(n_jobs=-1))


def whose_child():
    """Says who started its job process."""
    return make(clf=Parent())


def unseeded():
    """Not deterministic for its seed."""
    return make(clf=Unseeded())


def sleepy():
    """Majority vote after sleeping 2 s."""
    return make(clf=Majority(sleep=2.0))


def hang():
    """Never finishes fitting."""
    return make(clf=Majority(sleep=3600.0))


def boom():
    """Raises in fit."""
    return make(clf=Majority(fail="raise"))


def crash():
    """Kills its own process, like the out-of-memory killer would."""
    return make(clf=Majority(fail="sigkill"))


ENTRY_POINTS = """\
[mnistbench.pipelines]
sleepy = helpers:sleepy
hang = helpers:hang
boom = helpers:boom
crash = helpers:crash
"""


def write_plugin(site, entry_points=ENTRY_POINTS, name="mnistbench_testplugins"):
    """Install a fake distribution with ``entry_points`` into folder ``site``."""
    info = site / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(entry_points)
    return site


def mnistbench(*args):
    """The command line of this environment's ``mnistbench`` console script."""
    return [os.path.join(os.path.dirname(sys.executable), "mnistbench"), *args]
