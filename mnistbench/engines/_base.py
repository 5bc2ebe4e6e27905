"""What every engine is: :class:`Engine`, its :class:`HostDevice`, and the
walk over a pipeline's nested steps that converting and tracking share.

The engines' modules import nothing heavy at import time: the command line
imports :mod:`mnistbench.engines` (for the ``--engine`` choices) before it
knows whether it will need scikit-learn.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, ClassVar

from mnistbench.exceptions import MnistbenchError

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

__all__ = [
    "sklearn_name",
    "Engine",
    "EngineUnavailable",
    "HostDevice",
    "is_estimator",
    "leaf_estimators",
    "map_steps",
    "wrapped_estimator",
]


class EngineUnavailable(MnistbenchError, RuntimeError):
    """The engine's library (or its hardware) is missing."""


class HostDevice:
    """Where a CPU engine runs: the arrays stay where they are, no warm-up."""

    warms_up = False

    def put(self, array):
        """``array`` where the pipeline reads it (here: itself)."""
        return array

    def sync(self) -> None:
        """Wait for the device's queued work, before a clock is read."""

    def to_host(self, array):
        """``array`` as a NumPy array in host memory."""
        import numpy as np

        return np.asarray(array)

    def warm_up(self, pipe, X, y) -> float | None:
        """Seconds spent warming up before the timed fit (None: none needed)."""
        return None


class Engine:
    """A library that runs the registered pipelines.

    An engine module defines a subclass and an instance of it named
    ``ENGINE``; :mod:`mnistbench.engines` finds it by the engine's name.
    The hooks, in the order a job uses them:

    * :meth:`check` raises :class:`EngineUnavailable` (with the install
      command) unless the engine can run here;
    * :meth:`convert` turns a scikit-learn pipeline into the engine's,
      step by step through :meth:`convert_step`;
    * :meth:`device` says where the arrays go (``put``, ``sync``,
      ``to_host``, ``warm_up``);
    * :meth:`listen` and :meth:`where` report where each step really ran,
      as the leaderboard's ``ran_on`` column.
    """

    name: ClassVar[str]

    def check(self) -> None:
        """Raise EngineUnavailable unless this engine can run here."""

    def convert_step(self, est):
        """``est``'s counterpart in this engine, or ``est`` itself."""
        return est

    def convert(self, pipe: Pipeline) -> Pipeline:
        """``pipe`` with each step replaced by this engine's estimator where it
        has one; parameters carry over, other steps stay as they are."""
        from sklearn.pipeline import Pipeline

        steps = [
            (name, map_steps(step, self.convert_step)) for name, step in pipe.steps
        ]
        return Pipeline(steps, memory=pipe.memory)

    def device(self, pipe: Pipeline) -> HostDevice:
        """Where ``pipe`` (as converted) runs."""
        return HostDevice()

    def listen(self, calls: dict[str, set[str]]) -> contextlib.AbstractContextManager:
        """While in the returned context, record in ``calls`` (class name ->
        how it ran) what the library reports of each call."""
        return contextlib.nullcontext()

    def where(self, est, calls: dict[str, set[str]]) -> str | None:
        """Where ``est`` ran, if it is this engine's estimator; else None."""
        return None


#: mnistbench's own subclasses of scikit-learn estimators that the other
#: engines replace as they would the scikit-learn class.
_SKLEARN_SUBCLASSES = {("mnistbench.decomposition", "PCA"), ("mnistbench.svm", "SVC")}


def sklearn_name(est) -> str | None:
    """The scikit-learn class ``est`` is (its name), or None for another
    library's estimator; mnistbench's ``PCA`` counts as scikit-learn's."""
    cls = type(est)
    if cls.__module__.startswith("sklearn.") or (
        (cls.__module__, cls.__name__) in _SKLEARN_SUBCLASSES
    ):
        return cls.__name__
    return None


def is_estimator(step) -> bool:
    """Whether ``step`` is an estimator: scikit-learn's or another library's
    (cuML's do not derive from scikit-learn's ``BaseEstimator``)."""
    return callable(getattr(step, "fit", None)) and hasattr(step, "get_params")


def wrapped_estimator(step):
    """The estimator a meta-estimator such as ``Augmented`` wraps (its
    ``estimator`` parameter), or None."""
    if not is_estimator(step):
        return None
    inner = step.get_params(deep=False).get("estimator")
    return inner if is_estimator(inner) else None


def map_steps(step, swap: Callable):
    """``step`` with ``swap`` applied to every estimator inside it, through
    nested ``Pipeline`` and ``FeatureUnion`` steps and the estimator a
    meta-estimator wraps."""
    from sklearn.pipeline import FeatureUnion, Pipeline

    if isinstance(step, Pipeline):  # e.g. PCA + StandardScaler as one step
        steps = [(n, map_steps(s, swap)) for n, s in step.steps]
        return Pipeline(**{**step.get_params(deep=False), "steps": steps})
    if isinstance(step, FeatureUnion):  # e.g. hog_svm's HOG + PCA beside PCA
        parts = [(n, map_steps(s, swap)) for n, s in step.transformer_list]
        return FeatureUnion(
            **{**step.get_params(deep=False), "transformer_list": parts}
        )
    if not is_estimator(step):  # "passthrough", None
        return step
    inner = wrapped_estimator(step)
    if inner is not None:  # e.g. Augmented(pipeline): convert what it fits
        params = step.get_params(deep=False)
        return type(step)(**{**params, "estimator": map_steps(inner, swap)})
    return swap(step)


def leaf_estimators(step) -> Iterator:
    """The estimators inside ``step``, through nested pipelines and unions
    and the estimator a meta-estimator wraps."""
    from sklearn.pipeline import FeatureUnion, Pipeline

    if isinstance(step, (Pipeline, FeatureUnion)):
        subs = step.steps if isinstance(step, Pipeline) else step.transformer_list
        for _, sub in subs:
            yield from leaf_estimators(sub)
    elif (inner := wrapped_estimator(step)) is not None:
        yield from leaf_estimators(inner)
    elif is_estimator(step):
        yield step
