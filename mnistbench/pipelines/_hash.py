"""What defines a pipeline, as short hashes: :func:`fingerprint` (every step's
class and every parameter: part of a job's key) and :func:`definition` (what
the pipeline's author chose, stable across library versions)."""

from __future__ import annotations

import hashlib
import inspect
import json

from sklearn.pipeline import Pipeline

__all__ = ["definition", "fingerprint"]


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
