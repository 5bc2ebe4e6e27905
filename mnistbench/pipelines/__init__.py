"""The pipeline registry: name -> factory of an unfitted scikit-learn ``Pipeline``.

Every registered pipeline has the same three steps, ``scale``, ``reduce`` and
``clf`` (a step a pipeline does not need is ``"passthrough"``), so ``clf__C`` or
``reduce=PCA(50)`` mean the same thing whichever pipeline they are given to.

>>> from mnistbench import pipelines
>>> pipe = pipelines.get("svm", clf__C=5)   # a plain, unfitted sklearn Pipeline
>>> pipe.fit(X_train, y_train).score(X_test, y_test)  # doctest: +SKIP

Each pipeline belongs to a group. ``mnistbench run --all`` runs the ``core``
group (the five classic baselines, and plugins); ``--group sota`` runs the
pipelines that add deskewing or HOG features, which fit slower:

>>> pipelines.available(group="sota")
['deskew_knn', 'hog_knn', 'deskew_svm', 'hog_svm']

Third-party packages add pipelines through the entry-point group
``mnistbench.pipelines``: each entry point's name is the pipeline name and its
object a factory (a callable with no required argument returning a Pipeline).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import json
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from sklearn.pipeline import Pipeline

from mnistbench.exceptions import MnistbenchError
from mnistbench.pipelines._builtin import (
    STEPS,
    deskew_knn,
    deskew_svm,
    hog_and_pixels,
    hog_knn,
    hog_svm,
    hog_svm_flips,
    hog_svm_flips_tta18,
    hog_svm_shifts,
    knn,
    logreg,
    make,
    pca_mlp,
    rf,
    svm,
)

__all__ = [
    "DEFAULT_GROUP",
    "ENTRY_POINT_GROUP",
    "STEPS",
    "PipelineInfo",
    "UnknownPipelineError",
    "available",
    "definition",
    "describe",
    "fingerprint",
    "get",
    "groups",
    "hog_and_pixels",
    "info",
    "make",
    "register",
    "unregister",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "mnistbench.pipelines"
# The group `mnistbench run --all` runs; plugins join it.
DEFAULT_GROUP = "core"

Factory = Callable[[], Pipeline]


class UnknownPipelineError(MnistbenchError, ValueError):
    """A pipeline name that is not registered."""


@dataclass(frozen=True)
class PipelineInfo:
    """A registered pipeline: its name, factory and documentation."""

    name: str
    factory: Factory
    summary: str
    source: str = "mnistbench"
    group: str = DEFAULT_GROUP

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.factory.__doc__ or self.summary)


_REGISTRY: dict[str, PipelineInfo] = {}
_plugins_loaded = False


def register(
    name: str,
    factory: Factory,
    *,
    summary: str | None = None,
    overwrite: bool = False,
    source: str = "user",
    group: str = DEFAULT_GROUP,
) -> PipelineInfo:
    """Register ``factory`` under ``name``, in ``group``.

    To run isolated (each job in its own process), ``factory`` must be
    picklable: a module-level function, not a lambda or closure. The
    ``core`` group is what ``mnistbench run --all`` runs; any other group
    name runs with ``--group NAME``.
    """
    if not name or not isinstance(name, str):
        raise ValueError(f"pipeline name must be a non-empty string, got {name!r}")
    if not callable(factory):
        raise TypeError(f"pipeline factory for {name!r} is not callable")
    if not group or not isinstance(group, str):
        raise ValueError(f"group must be a non-empty string, got {group!r}")
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"pipeline {name!r} is already registered")
    doc = inspect.cleandoc(factory.__doc__ or "")
    summary = summary or (doc.splitlines()[0] if doc else name)
    entry = PipelineInfo(name, factory, summary, source, group)
    _REGISTRY[name] = entry
    return entry


def unregister(name: str) -> None:
    """Remove ``name`` from the registry (a no-op if absent)."""
    _REGISTRY.pop(name, None)


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _REGISTRY:
            warnings.warn(
                f"mnistbench: plugin pipeline {ep.name!r} ({ep.value}) ignored: "
                "the name is taken",
                RuntimeWarning,
                stacklevel=3,
            )
            continue
        try:
            factory = ep.load()
            register(ep.name, factory, source=f"plugin {ep.value}")
        except Exception as exc:  # a broken plugin must never break mnistbench
            warnings.warn(
                f"mnistbench: plugin pipeline {ep.name!r} ({ep.value}) failed to "
                f"load: {type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=3,
            )


def available(group: str | None = None) -> list[str]:
    """Registered pipeline names, the built-in ones first, then plugins.

    With ``group``, only that group's names; raises UnknownPipelineError for
    a group that has none.
    """
    _load_plugins()
    if group is None:
        return list(_REGISTRY)
    names = [name for name, entry in _REGISTRY.items() if entry.group == group]
    if not names:
        raise UnknownPipelineError(
            f"unknown pipeline group {group!r}; valid groups: {', '.join(groups())}"
        )
    return names


def groups() -> list[str]:
    """The groups of the registered pipelines, in order of first appearance."""
    _load_plugins()
    return list(dict.fromkeys(entry.group for entry in _REGISTRY.values()))


def info(name: str) -> PipelineInfo:
    """The registry entry of ``name``; raises UnknownPipelineError."""
    _load_plugins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownPipelineError(
            f"unknown pipeline {name!r}; valid names: {', '.join(_REGISTRY)}"
        ) from None


def describe(name: str) -> str:
    """The pipeline's documentation paragraph."""
    return info(name).doc


def get(name: str, **params) -> Pipeline:
    """A new, unfitted ``Pipeline`` for ``name``, with ``params`` set on it.

    Parameters use scikit-learn's ``step__param`` names, e.g.
    ``get("svm", clf__C=10)`` or ``get("logreg", reduce=PCA(50))``.
    """
    entry = info(name)
    pipe = entry.factory()
    if not isinstance(pipe, Pipeline):
        raise TypeError(
            f"pipeline factory for {name!r} returned {type(pipe).__name__}, "
            "not a sklearn Pipeline"
        )
    if params:
        try:
            pipe.set_params(**params)
        except ValueError as exc:
            raise UnknownPipelineError(
                f"pipeline {name!r}: bad parameter ({exc})"
            ) from None
    return pipe


def fingerprint(pipe: Pipeline) -> str:
    """A short hash of what defines an unfitted pipeline: every step's class
    and every parameter. Part of a job's key, so that changing a pipeline's
    definition (a new default, say) makes a new experiment, not a duplicate."""

    def plain(value) -> str:
        if isinstance(value, type) or (
            callable(value) and not hasattr(value, "get_params")
        ):
            kind = value  # a class or a function: its import path
        elif hasattr(value, "get_params"):
            kind = type(value)  # an estimator: its class (its params are listed)
        else:
            text = repr(value)
            return type(value).__qualname__ if " at 0x" in text else text
        same_as = getattr(kind, "__dict__", {}).get("__mnistbench_fingerprint__")
        if same_as:
            return same_as
        name = getattr(kind, "__qualname__", type(kind).__qualname__)
        return f"{getattr(kind, '__module__', '')}.{name}"

    items = sorted((k, plain(v)) for k, v in pipe.get_params(deep=True).items())
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:12]


def definition(pipe) -> str:
    """A short hash of what the pipeline's author chose: each step's class,
    by its package and name, and the parameters set away from their class's
    defaults. ``mnistbench run`` records it for each pipeline as registered
    (before ``--param``, whose values have a column of their own).

    Unlike :func:`fingerprint`, it stays the same across library versions
    that add a parameter, change a default nobody set, or move a class
    between private modules (scikit-learn 1.9 changed ``SVC``'s
    ``probability`` default to ``"deprecated"``), so that ``mnistbench
    compare`` can tell an upgrade's effect from a changed pipeline.
    """
    return hashlib.sha256(json.dumps(_chosen(pipe)).encode()).hexdigest()[:12]


def _chosen(value):
    """``value`` as plain JSON data, estimators as their class and the
    parameters that differ from the class's defaults."""
    if hasattr(value, "get_params") and not isinstance(value, type):
        defaults = {
            name: p.default
            for name, p in inspect.signature(type(value)).parameters.items()
            if p.default is not p.empty
        }
        params = {
            name: _chosen(current)
            for name, current in value.get_params(deep=False).items()
            if name not in defaults or not _same(current, defaults[name])
        }
        return {"class": _public_name(type(value)), "params": params}
    if isinstance(value, (list, tuple)):
        return [_chosen(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _chosen(v) for k, v in sorted(value.items(), key=str)}
    if isinstance(value, type) or callable(value):
        return _public_name(value)
    text = repr(value)
    return type(value).__qualname__ if " at 0x" in text else text


def _same(value, default) -> bool:
    return value is default or (
        type(value) is type(default) and repr(value) == repr(default)
    )


def _public_name(kind) -> str:
    """``package.Name`` of a class or function, whatever private module
    defines it (``sklearn.SVC``); mnistbench's drop-in replacements keep
    the name of what they replace."""
    path = (
        kind.__dict__.get("__mnistbench_fingerprint__")
        if isinstance(kind, type)
        else None
    )
    if path:
        package, _, name = path.partition(".")
        return f"{package}.{name.rpartition('.')[2]}"
    package = (getattr(kind, "__module__", None) or "").partition(".")[0]
    return f"{package}.{getattr(kind, '__qualname__', type(kind).__qualname__)}"


for _factory in (logreg, svm, rf, knn, pca_mlp):
    register(_factory.__name__, _factory, source="mnistbench")
for _factory in (deskew_knn, hog_knn, deskew_svm, hog_svm):
    register(_factory.__name__, _factory, source="mnistbench", group="sota")
for _factory in (hog_svm_flips, hog_svm_flips_tta18, hog_svm_shifts):
    register(_factory.__name__, _factory, source="mnistbench", group="sota-plus")
del _factory
