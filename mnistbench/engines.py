"""Engines: the same registered pipelines, run by another library.

* ``sklearn``: stock scikit-learn on the CPU (the default).
* ``sklearnex``: scikit-learn-intelex's estimators (oneDAL, CPU). They take the
  same parameters as scikit-learn's and fall back to stock scikit-learn for
  what oneDAL does not do; which one ran is read from sklearnex's own log.
* ``cuml``: NVIDIA cuML's native estimators on the GPU (see
  :mod:`mnistbench._cuml`, written against cuML's documented API and not run
  on a GPU by this project). cuML has no MLP: such steps stay on the CPU.

:func:`convert` turns a pipeline into the engine's; :class:`Tracker` records,
per step, where it actually ran, as the leaderboard's ``ran_on`` column, e.g.
``reduce:cpu-fallback,clf:cpu-onedal``:

``cpu``
    stock scikit-learn (the ``sklearn`` engine, or a step the engine has no
    counterpart for);
``cpu-onedal``
    every call of the step ran sklearnex's accelerated code;
``cpu-fallback``
    sklearnex fell back to stock scikit-learn for every call (a parameter
    choice oneDAL does not support);
``cpu-partial``
    some calls accelerated, some fell back;
``cpu-unknown``
    an sklearnex estimator whose calls sklearnex did not log;
``gpu``
    a cuML estimator.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import re
from typing import TYPE_CHECKING

from mnistbench.exceptions import MnistbenchError

if TYPE_CHECKING:  # the CLI imports ENGINES: no sklearn at start-up
    from sklearn.pipeline import Pipeline

__all__ = [
    "ENGINES",
    "EngineUnavailable",
    "Tracker",
    "available",
    "check",
    "convert",
    "device",
]

logger = logging.getLogger(__name__)

ENGINES = ("sklearn", "sklearnex", "cuml")

# sklearn class name -> sklearnex module holding the same-named estimator.
_SKLEARNEX = {
    "PCA": "sklearnex.decomposition",
    "LogisticRegression": "sklearnex.linear_model",
    "SVC": "sklearnex.svm",
    "RandomForestClassifier": "sklearnex.ensemble",
    "ExtraTreesClassifier": "sklearnex.ensemble",
    "KNeighborsClassifier": "sklearnex.neighbors",
}


class EngineUnavailable(MnistbenchError, RuntimeError):
    """The engine's library (or its hardware) is missing."""


def check(engine: str) -> None:
    """Raise ValueError for an unknown engine, EngineUnavailable for a missing one."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    if engine == "sklearnex" and importlib.util.find_spec("sklearnex") is None:
        raise EngineUnavailable(
            "--engine sklearnex needs scikit-learn-intelex, which is not installed: "
            'pip install "mnistbench[sklearnex]"'
        )
    if engine == "cuml":
        from mnistbench import _cuml

        _cuml.check()


def available() -> list[str]:
    """The engines that can run here, ``sklearn`` first."""
    usable = []
    for engine in ENGINES:
        try:
            check(engine)
        except EngineUnavailable:
            continue
        usable.append(engine)
    return usable


def convert(pipe: Pipeline, engine: str) -> Pipeline:
    """``pipe`` with each step replaced by ``engine``'s estimator where it has one.

    Parameters carry over; a step without a counterpart stays as it is. The
    ``sklearn`` engine returns ``pipe`` itself.
    """
    from sklearn.pipeline import Pipeline

    check(engine)
    if engine == "sklearn":
        return pipe
    if engine == "cuml":
        from mnistbench import _cuml

        return _cuml.convert(pipe)
    steps = [(name, _convert(step, _sklearnex_step)) for name, step in pipe.steps]
    return Pipeline(steps, memory=pipe.memory)


class _Host:
    """CPU engines: the arrays stay where they are, nothing to warm up."""

    warms_up = False

    def put(self, array):
        return array

    def sync(self) -> None:
        pass

    def to_host(self, array):
        import numpy as np

        return np.asarray(array)


def device(engine: str, pipe: Pipeline):
    """Where ``engine`` runs ``pipe`` (as converted): ``put`` arrays there once,
    ``sync`` before reading a clock, ``to_host`` the predictions, and
    ``warm_up`` first if ``warms_up``."""
    if engine == "cuml":
        from mnistbench import _cuml

        return _cuml.Device(pipe)
    return _Host()


def _convert(step, swap):
    from sklearn.base import BaseEstimator
    from sklearn.pipeline import FeatureUnion, Pipeline

    if isinstance(step, Pipeline):  # e.g. PCA + StandardScaler as one step
        steps = [(n, _convert(s, swap)) for n, s in step.steps]
        return Pipeline(**{**step.get_params(deep=False), "steps": steps})
    if isinstance(step, FeatureUnion):  # e.g. hog_svm's HOG + PCA beside PCA
        parts = [(n, _convert(s, swap)) for n, s in step.transformer_list]
        return FeatureUnion(
            **{**step.get_params(deep=False), "transformer_list": parts}
        )
    if not isinstance(step, BaseEstimator):  # "passthrough", None
        return step
    return swap(step)


def _sklearnex_step(est):
    name = type(est).__name__
    module = _SKLEARNEX.get(name)
    if module is None or not type(est).__module__.startswith("sklearn."):
        return est
    cls = getattr(importlib.import_module(module), name)
    return cls(**est.get_params(deep=False))


def _leaf_estimators(step):
    from sklearn.base import BaseEstimator
    from sklearn.pipeline import FeatureUnion, Pipeline

    if isinstance(step, (Pipeline, FeatureUnion)):
        subs = step.steps if isinstance(step, Pipeline) else step.transformer_list
        for _, sub in subs:
            yield from _leaf_estimators(sub)
    elif isinstance(step, BaseEstimator):
        yield step


# "sklearn.svm.SVC.fit: running accelerated version on CPU"
# "sklearn.decomposition.PCA.fit: fallback to original Scikit-learn. ..."
_SKLEARNEX_LOG = re.compile(
    r"sklearn\.[\w.]*?\.(?P<cls>\w+)\.(?P<method>\w+): "
    r"(?P<how>running accelerated version|fallback to original Scikit-learn)"
)


class Tracker(logging.Handler):
    """Records where each step of a pipeline ran, while in its ``with`` block.

    For sklearnex it listens to the ``sklearnex`` logger, which reports for
    every call whether the accelerated code ran or stock scikit-learn did.
    """

    def __init__(self, pipe: Pipeline, engine: str):
        super().__init__(logging.INFO)
        self.pipe, self.engine = pipe, engine
        self.calls: dict[str, set[str]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        match = _SKLEARNEX_LOG.search(record.getMessage())
        if match:
            how = "onedal" if match["how"].startswith("running") else "fallback"
            self.calls.setdefault(match["cls"], set()).add(how)

    def __enter__(self):
        if self.engine == "sklearnex":
            sx = logging.getLogger("sklearnex")
            self._level, self._propagate = sx.level, sx.propagate
            sx.setLevel(logging.INFO)
            sx.propagate = False  # the job's stderr gets none of it
            sx.addHandler(self)
        return self

    def __exit__(self, *exc):
        if self.engine == "sklearnex":
            sx = logging.getLogger("sklearnex")
            sx.removeHandler(self)
            sx.setLevel(self._level)
            sx.propagate = self._propagate

    def ran_on(self) -> str:
        """``step:where`` for every step that is not ``passthrough``."""
        parts = []
        for name, step in self.pipe.steps:
            places = {self._where(est) for est in _leaf_estimators(step)}
            if places:
                parts.append(f"{name}:{'+'.join(sorted(places))}")
        return ",".join(parts)

    def _where(self, est) -> str:
        module = type(est).__module__
        if module.startswith("cuml"):
            return "gpu"
        if module.startswith("sklearnex") or module.startswith("daal4py"):
            calls = self.calls.get(type(est).__name__, set())
            if calls == {"onedal"}:
                return "cpu-onedal"
            if calls == {"fallback"}:
                return "cpu-fallback"
            if calls:
                return "cpu-partial"
            return "cpu-unknown"  # sklearnex logged no call of it
        return "cpu"
