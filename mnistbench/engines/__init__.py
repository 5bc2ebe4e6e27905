"""Engines: the same registered pipelines, run by another library.

One module per engine, each defining an :class:`~mnistbench.engines._base.Engine`
named ``ENGINE``:

* :mod:`~mnistbench.engines.sklearn`: stock scikit-learn on the CPU (the default).
* :mod:`~mnistbench.engines.sklearnex`: scikit-learn-intelex's estimators
  (oneDAL, CPU); which calls ran accelerated is read from sklearnex's own log.
* :mod:`~mnistbench.engines.cuml`: NVIDIA cuML's native estimators on the GPU
  (written against cuML's documented API; its conversions are tested with
  cuML installed, its fits have not run on a GPU in this project). cuML has no
  MLP: such steps stay on the CPU.

:func:`convert` turns a pipeline into the engine's; :func:`device` says where
its arrays go; :class:`Tracker` records, per step, where it actually ran, as
the leaderboard's ``ran_on`` column, e.g. ``reduce:cpu-fallback,clf:cpu-onedal``:
``cpu`` (stock scikit-learn: the ``sklearn`` engine, or a step the engine has
no counterpart for), ``cpu-onedal``, ``cpu-fallback``, ``cpu-partial``,
``cpu-unknown`` (see :mod:`~mnistbench.engines.sklearnex`) and ``gpu`` (a cuML
estimator).

To add an engine, write a module here with its ``ENGINE`` and add that to
``_BY_NAME`` below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mnistbench.engines._base import (
    Engine,
    EngineUnavailable,
    HostDevice,
    leaf_estimators,
    map_steps,
    wrapped_estimator,
)
from mnistbench.engines.cuml import ENGINE as _CUML
from mnistbench.engines.sklearn import ENGINE as _SKLEARN
from mnistbench.engines.sklearnex import ENGINE as _SKLEARNEX

if TYPE_CHECKING:  # the CLI imports ENGINES: no sklearn at start-up
    from sklearn.pipeline import Pipeline

__all__ = [
    "ENGINES",
    "Engine",
    "EngineUnavailable",
    "HostDevice",
    "Tracker",
    "available",
    "check",
    "convert",
    "device",
    "get",
    "leaf_estimators",
    "map_steps",
    "wrapped_estimator",
]

_BY_NAME = {e.name: e for e in (_SKLEARN, _SKLEARNEX, _CUML)}
#: The engines' names, each the name of its module here; ``sklearn`` first.
ENGINES = tuple(_BY_NAME)

# Kept under its former name for callers of mnistbench <= 0.6.
_leaf_estimators = leaf_estimators


def get(engine: str) -> Engine:
    """The engine named ``engine``; ValueError for an unknown name."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    return _BY_NAME[engine]


def check(engine: str) -> None:
    """Raise ValueError for an unknown engine, EngineUnavailable for a missing one."""
    get(engine).check()


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
    ``sklearn`` engine returns ``pipe`` itself. Checks first that the engine
    can run here (:meth:`Engine.convert` alone does not).
    """
    chosen = get(engine)
    chosen.check()
    return chosen.convert(pipe)


def device(engine: str, pipe: Pipeline) -> HostDevice:
    """Where ``engine`` runs ``pipe`` (as converted): ``put`` arrays there once,
    ``sync`` before reading a clock, ``to_host`` the predictions, and
    ``warm_up`` first if ``warms_up``."""
    return get(engine).device(pipe)


class Tracker:
    """Records where each step of a pipeline ran, while in its ``with`` block.

    The engine that runs the pipeline listens to its library's own report of
    every call (sklearnex logs whether the accelerated code ran); each
    estimator's place is then asked of every engine, ``cpu`` if none claims it.
    """

    def __init__(self, pipe: Pipeline, engine: str):
        self.pipe, self.engine = pipe, get(engine)
        self.calls: dict[str, set[str]] = {}
        self._listening = None

    def __enter__(self) -> Tracker:
        self._listening = self.engine.listen(self.calls)
        self._listening.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._listening.__exit__(*exc)

    def ran_on(self) -> str:
        """``step:where`` for every step that is not ``passthrough``."""
        parts = []
        for name, step in self.pipe.steps:
            places = {self._where(est) for est in leaf_estimators(step)}
            if places:
                parts.append(f"{name}:{'+'.join(sorted(places))}")
        return ",".join(parts)

    def _where(self, est) -> str:
        for engine in _BY_NAME.values():
            place = engine.where(est, self.calls)
            if place is not None:
                return place
        return "cpu"
