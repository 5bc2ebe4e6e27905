"""Search spaces: the checks every space passes, and how a space is described.

A search space maps a pipeline's parameter names (``clf__C``) to a non-empty
list of candidate values or to a frozen ``scipy.stats`` distribution, the form
``sklearn.model_selection.ParameterSampler`` draws from. Lists and
distributions cannot mix within one parameter: a parameter is one or the other.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from copy import deepcopy

import numpy as np
from scipy.stats import rv_continuous, rv_discrete
from sklearn.base import BaseEstimator

from mnistbench.exceptions import MnistbenchError, one_line

__all__ = [
    "NoSpaceError",
    "SpaceError",
    "check_space",
    "constraint_error",
    "copy_space",
    "describe_space",
]

#: How many values of each distribution are drawn and checked.
N_DRAWS = 20


class SpaceError(MnistbenchError, ValueError):
    """A search space that does not fit its pipeline."""


class NoSpaceError(MnistbenchError, ValueError):
    """A pipeline registered without a search space."""


# --- checks -----------------------------------------------------------------


def check_space(pipeline: str, factory, space) -> dict:
    """Check ``space`` against a new pipeline from ``factory``; return it as
    a dict.

    Every name must be a parameter of the pipeline, every value a non-empty
    list or tuple of candidates or a distribution (an object with ``rvs``).
    Each candidate, and :data:`N_DRAWS` draws of each distribution, is set
    on the pipeline and checked against scikit-learn's parameter
    constraints (``_parameter_constraints``), as ``fit`` would check it.
    Estimators without such constraints check their parameters in ``fit``
    only. Raises :class:`SpaceError`, one line naming ``pipeline``, the
    parameter and the problem.
    """
    where = f"pipeline {pipeline!r}: search space"
    if not isinstance(space, Mapping):
        raise SpaceError(
            f"{where} must be a mapping of parameter names to candidate values, "
            f"got {type(space).__name__}"
        )
    if not space:
        raise SpaceError(f"{where} is empty")
    for key, values in space.items():
        if not isinstance(key, str):
            raise SpaceError(f"{where}: {key!r} is not a parameter name (a str)")
        pipe = _new(where, factory)  # one per parameter: nothing left over
        names = pipe.get_params(deep=True)
        if key not in names:
            raise SpaceError(f"{where}: {_unknown(key, names)}")
        where_key = f"{where}: {key}"
        path, _, leaf = key.rpartition("__")
        owner = names[path] if path else pipe
        if hasattr(values, "rvs"):
            shown = _show_distribution(values)
            rng = np.random.RandomState(0)
            for i in range(N_DRAWS):
                try:  # as ParameterSampler draws
                    value = values.rvs(random_state=rng)
                except Exception as exc:
                    raise SpaceError(
                        f"{where_key}: cannot draw from {shown} ({one_line(exc)})"
                        + _not_frozen(values)
                    ) from None
                problem = _check_value(owner, leaf, value)
                if problem:
                    raise SpaceError(
                        f"{where_key}: {shown} drew {_quoted(value)} (draw {i + 1} "
                        f"of {N_DRAWS}), which is not allowed ({problem})"
                    )
        elif isinstance(values, (list, tuple)) and values:
            for value in values:
                problem = _check_value(owner, leaf, value)
                if problem:
                    raise SpaceError(
                        f"{where_key}: {_quoted(value)} is not allowed ({problem})"
                    )
        else:
            raise SpaceError(
                f"{where_key}: {_short(values)} is neither a non-empty list of "
                "candidate values nor a scipy.stats distribution"
            )
    return dict(space)


def _new(where: str, factory):
    try:
        pipe = factory()
    except Exception as exc:
        raise SpaceError(
            f"{where} cannot be checked: the factory failed ({one_line(exc)})"
        ) from None
    if not isinstance(pipe, BaseEstimator):
        raise SpaceError(
            f"{where} cannot be checked: the factory returned "
            f"{type(pipe).__name__}, not a scikit-learn Pipeline"
        )
    return pipe


def copy_space(space: Mapping) -> dict:
    """A copy of ``space`` whose lists and their values (estimators too) are
    new; distributions are shared: frozen, they do not change."""
    return {
        key: values if hasattr(values, "rvs") else deepcopy(values)
        for key, values in space.items()
    }


def _not_frozen(values) -> str:
    """A hint for ``scipy.stats.loguniform`` given without its parameters."""
    if isinstance(values, (rv_continuous, rv_discrete)) and values.shapes:
        return f"; give its parameters: {values.name}({values.shapes})"
    return ""


def _check_value(owner, name: str, value) -> str | None:
    """Why ``value`` is not allowed as the parameter ``name`` of ``owner``
    (scikit-learn's message), or None.

    Set on ``owner`` alone, as ``pipe.set_params(step__name=value)`` would
    (and much faster), then checked there and, when ``value`` is an
    estimator, in every estimator in it: the rest of the pipeline is as its
    factory made it.
    """
    try:
        owner.set_params(**{name: value})
    except (ValueError, TypeError) as exc:
        return _message(exc)
    owners = [owner]
    if isinstance(value, BaseEstimator):
        owners += [value, *value.get_params(deep=True).values()]
    return constraint_error(owners)


def constraint_error(estimators) -> str | None:
    """scikit-learn's message for the first of ``estimators`` whose
    parameters its own constraints refuse (``_parameter_constraints``, as its
    ``fit`` would check them); None if every one is allowed. Estimators of
    other libraries, and values that are not estimators, are skipped."""
    for est in estimators:
        if not isinstance(est, BaseEstimator):
            continue
        if not hasattr(type(est), "_parameter_constraints"):
            continue  # an estimator of another library checks its own in fit
        try:
            est._validate_params()
        except (ValueError, TypeError) as exc:
            return _message(exc)
    return None


def _message(exc: BaseException) -> str:
    return one_line(exc).partition(": ")[2] or type(exc).__name__


def _unknown(key: str, names) -> str:
    """``key`` is no parameter: the names it may have meant, briefly."""
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.8)
    if close:
        return f"{key} is not a parameter of the pipeline; did you mean {_or(close)}?"
    path = key.rpartition("__")[0]
    if path and path in names:
        siblings = [n.partition(f"{path}__")[2] for n in names]
        siblings = sorted(s for s in siblings if s and "__" not in s)
        shown = ", ".join(siblings[:8]) + (", ..." if len(siblings) > 8 else "")
        return f"{key} is not a parameter of the pipeline; {path}__ has {shown}"
    steps = sorted({n.partition("__")[0] for n in names if "__" in n})
    return (
        f"{key} is not a parameter of the pipeline; its names start with "
        f"{_or([s + '__' for s in steps])}"
    )


def _or(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


# --- description ------------------------------------------------------------


def describe_space(space: Mapping) -> list[tuple[str, str]]:
    """(parameter, values) pairs of ``space``, as text for people.

    Lists show their values (``0.1, 1, 10``; estimators by their repr,
    tuples as ``(3, 3)``); scipy.stats distributions their name and bounds:
    ``loguniform(0.01, 100)``, ``randint(1, 16)`` (16 excluded),
    ``uniform(0.5, 1)`` (from 0.5 to 1, scipy's ``uniform(0.5, 0.5)``).
    """
    return [
        (
            str(key),
            _show_distribution(values)
            if hasattr(values, "rvs")
            else ", ".join(_show(v) for v in values),
        )
        for key, values in space.items()
    ]


def _show(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        inner = ", ".join(_show(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return " ".join(repr(value).split())  # estimators: sklearn's short repr


def _quoted(value) -> str:
    """``value`` for an error message: a string in quotes."""
    return repr(value) if isinstance(value, str) else _show(value)


def _show_distribution(dist) -> str:
    """``name(bounds)`` of a frozen scipy.stats distribution."""
    if isinstance(dist, (rv_continuous, rv_discrete)):  # not frozen
        return f"scipy.stats.{dist.name}"
    gen = getattr(dist, "dist", None)
    name = getattr(gen, "name", None)
    if name is None:
        return _short(dist)
    shapes = [s.strip() for s in (gen.shapes or "").split(",") if s.strip()]
    params = [*shapes, "loc"] + ([] if isinstance(gen, rv_discrete) else ["scale"])
    bound = {"loc": 0, "scale": 1, **dict(zip(params, dist.args)), **dist.kwds}
    if name == "uniform":  # shown by its bounds, not scipy's loc and scale
        low, scale = bound["loc"], bound["scale"]
        return f"uniform({_show(low)}, {_show(low + scale)})"
    text = [_show(bound[s]) for s in shapes if s in bound]
    text += [
        f"{k}={_show(bound[k])}"
        for k, default in (("loc", 0), ("scale", 1))
        if k in params and bound[k] != default
    ]
    return f"{name}({', '.join(text)})"


def _short(value, limit: int = 60) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
