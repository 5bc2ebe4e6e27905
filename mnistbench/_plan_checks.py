"""The checks of a run's single arguments, each normalising one value of a
:class:`~mnistbench.plan.RunPlan` or refusing it with a one-line
:class:`~mnistbench.plan.RunError`: names, seeds, ``--param`` keys,
``--n-jobs``, ``--cluster``, ``--scheduler``, and a pipeline's parameters
against scikit-learn's own constraints.

:class:`RunError` is defined here, so that these checks can raise it without
importing :mod:`mnistbench.plan`, and is documented (and re-exported) as
``mnistbench.plan.RunError``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from mnistbench.exceptions import MnistbenchError
from mnistbench.pipelines import constraint_error

__all__ = ["MAX_SEED", "RunError"]

#: numpy's and scikit-learn's seeds are unsigned 32-bit integers.
MAX_SEED = 2**32 - 1


class RunError(MnistbenchError, ValueError):
    """A run cannot start: bad arguments, unwritable output, finished jobs."""


# Its documented name, shown in tracebacks and doctests: mnistbench.plan.RunError.
RunError.__module__ = "mnistbench.plan"


def _is_int(value) -> bool:
    """Whether ``value`` is an integer (numpy's too), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _names(values, kind: str, hint: str) -> tuple[str, ...]:
    names = (values,) if isinstance(values, str) else tuple(values or ())
    if not names:
        raise RunError(f"no {kind} to run: give {kind} names or {hint}")
    return tuple(dict.fromkeys(names))


def _seeds(seeds) -> tuple[int, ...]:
    seeds = (seeds,) if _is_int(seeds) else tuple(seeds or ())
    if not seeds:
        raise RunError("no seed given: pass --seed N")
    for seed in seeds:
        if not _is_int(seed) or not 0 <= seed <= MAX_SEED:
            raise RunError(
                f"--seed must be a whole number from 0 to {MAX_SEED} (2**32 - 1), "
                f"got {seed!r}"
            )
    return tuple(dict.fromkeys(int(s) for s in seeds))


def _params(params) -> dict[str, Any]:
    params = dict(params or {})
    bad = [key for key in params if not isinstance(key, str) or not key]
    if bad:
        raise RunError(
            f"--param {bad[0]!r}: expected STEP__PARAM=VALUE, e.g. clf__C=10"
        )
    return params


def _n_jobs(n_jobs, on_dask: bool) -> int | None:
    if on_dask:
        return None
    if n_jobs is None or n_jobs == -1:
        import joblib

        return joblib.cpu_count()
    if not _is_int(n_jobs) or n_jobs < 1:
        raise RunError(
            f"--n-jobs must be a positive number of jobs or -1, got {n_jobs}"
        )
    return int(n_jobs)


def _cluster_workers(spec: str | int | None) -> int | None:
    """Worker processes asked for by ``local`` (one per core), ``local:N`` or N."""
    if spec is None:
        return None
    if _is_int(spec):
        count = str(spec)
    else:
        name, _, count = str(spec).partition(":")
        if name != "local":
            raise RunError(
                f"--cluster must be local or local:N (N worker processes), got "
                f"{spec!r}; for a cluster that is already running, pass "
                "--scheduler tcp://HOST:PORT"
            )
        if not count:
            import joblib

            return joblib.cpu_count()
    if not count.isdigit() or int(count) < 1:
        raise RunError(
            f"--cluster local:N needs a positive number of workers, got {spec!r}"
        )
    return int(count)


def _scheduler_address(address: str | None) -> str | None:
    """``address`` as ``scheme://host:port`` (``tcp://`` if no scheme is given)."""
    if address is None:
        return None
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise RunError(f"--scheduler must look like tcp://HOST:PORT, got {address!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _check_constraints(pipe, name: str, params: Mapping) -> None:
    """Check every step's parameters against scikit-learn's own constraints
    (each estimator's ``_parameter_constraints``, as its ``fit`` would)."""
    problem = constraint_error([pipe, *pipe.get_params(deep=True).values()])
    if problem is not None:
        given = ", ".join(f"{k}={v!r}" for k, v in params.items())
        where = f"pipeline {name!r}" + (f" with {given}" if given else "")
        raise RunError(f"{where}: {problem}")
