"""The corruption registry: name -> function of a batch of images, and its
plugins."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mnistbench._plugins import load_plugins
from mnistbench.corruptions._base import CorruptionError

__all__ = [
    "ENTRY_POINT_GROUP",
    "CorruptionInfo",
    "available",
    "get",
    "info",
    "register",
    "unknown",
    "unregister",
]

ENTRY_POINT_GROUP = "mnistbench.corruptions"

Corruption = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class CorruptionInfo:
    """A registered corruption, as :func:`info` returns it.

    Attributes
    ----------
    name : str
        The registered name.
    func : callable
        ``func(images, severity, rng) -> images`` (see :func:`register`).
    summary : str
        One line for listings.
    source : str
        ``"built-in"``, ``"user"`` (or what :func:`register` was given), or
        ``"plugin MODULE:ATTR"`` for a plugin's.
    reference : str
        What it follows, e.g. ``"MNIST-C corruptions.py shear"``; empty if
        nothing.
    """

    name: str
    func: Corruption
    summary: str
    source: str = "user"
    reference: str = ""


_REGISTRY: dict[str, CorruptionInfo] = {}
_plugins_loaded = False


def register(
    name: str,
    func: Corruption,
    *,
    summary: str | None = None,
    overwrite: bool = False,
    source: str = "user",
    reference: str = "",
) -> CorruptionInfo:
    """Register the corruption ``func`` under ``name``.

    Parameters
    ----------
    name : str
        The corruption's name, as :func:`corrupt` and ``mnistbench run
        --corruptions`` take it: letters, digits and underscores, not
        ``"all"``.
    func : callable
        ``func(images, severity, rng)``: ``images`` a read-only batch
        ``(n, h, w)``, uint8 in 0..255 or floating in [0, 1]; ``severity``
        an int from 1 to 5; ``rng`` a ``numpy.random.Generator``, its only
        source of randomness. Returns a new array of the same shape, dtype
        and range. To be cached and run in job processes it must be a
        module-level function of an importable module.
    summary : str, optional
        One line for listings; default the first line of ``func``'s
        docstring, else ``name``.
    overwrite : bool, default False
        Replace a corruption registered under ``name``; without it, that is
        an error.
    source : str, default "user"
        Where the corruption comes from, as listings show it.
    reference : str, default ""
        What it follows (a paper, a file), as listings show it.

    Returns
    -------
    CorruptionInfo
        The new registry entry.

    Raises
    ------
    CorruptionError
        ``name`` is not a valid name, or is taken and ``overwrite`` is false.
    TypeError
        ``func`` is not callable.

    See Also
    --------
    unregister, corrupt

    Examples
    --------
    >>> import numpy as np
    >>> from mnistbench import corruptions
    >>> def darken(images, severity, rng):
    ...     "Scale the intensities down by 15% per severity level."
    ...     out = images * (1 - 0.15 * severity)
    ...     return np.rint(out).astype(images.dtype)
    >>> corruptions.register("darken", darken).summary
    'Scale the intensities down by 15% per severity level.'
    >>> corruptions.corrupt(np.full((1, 2, 2), 200, np.uint8), "darken", 2)[0, 0]
    array([140, 140], dtype=uint8)
    >>> corruptions.unregister("darken")
    """
    if not isinstance(name, str) or not name.isidentifier() or name == "all":
        raise CorruptionError(
            f"corruption name must be letters, digits and underscores, not 'all'; "
            f"got {name!r}"
        )
    if not callable(func):
        raise TypeError(f"corruption {name!r} is not callable")
    if name in _REGISTRY and not overwrite:
        raise CorruptionError(
            f"corruption {name!r} is already registered; pass overwrite=True "
            "to replace it"
        )
    doc = inspect.cleandoc(getattr(func, "__doc__", None) or "")
    summary = summary or (doc.splitlines()[0] if doc else name)
    entry = CorruptionInfo(name, func, summary, source, reference)
    _REGISTRY[name] = entry
    return entry


def unregister(name: str) -> None:
    """Remove ``name`` from the registry (a no-op if absent).

    Parameters
    ----------
    name : str
        A corruption's name; a built-in one can be removed too (and
        registered again from :func:`get`'s function).
    """
    _REGISTRY.pop(name, None)


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    load_plugins(
        ENTRY_POINT_GROUP,
        "corruption",
        _REGISTRY,
        lambda name, obj, source: register(name, obj, source=source),
    )


def available() -> list[str]:
    """Registered corruption names: the built-in ones, then users' and plugins'.

    The first call loads the plugins (the entry points of the group
    ``mnistbench.corruptions``, each a function as :func:`register` takes
    it, named by the entry point); one that fails to load, or whose name is
    taken, is left out with a ``RuntimeWarning``.

    Returns
    -------
    list of str
        In registration order: MNIST-C's 15 in its order, then
        Fashion-MNIST-C's ``contrast`` and ``inverse``, then the others.

    Examples
    --------
    >>> from mnistbench import corruptions
    >>> corruptions.available()[:5]
    ['shot_noise', 'impulse_noise', 'glass_blur', 'motion_blur', 'shear']
    """
    _load_plugins()
    return list(_REGISTRY)


def unknown(name) -> CorruptionError:
    """The error for a corruption name that is not registered."""
    return CorruptionError(
        f"unknown corruption {str(name)!r}; valid names: {', '.join(_REGISTRY)}, or all"
    )


def info(name: str) -> CorruptionInfo:
    """The registry entry of ``name``.

    Parameters
    ----------
    name : str
        A registered corruption (see :func:`available`).

    Returns
    -------
    CorruptionInfo
        Its name, function, summary, source and reference.

    Raises
    ------
    CorruptionError
        ``name`` is not registered.

    Examples
    --------
    >>> from mnistbench import corruptions
    >>> entry = corruptions.info("shear")
    >>> entry.source, entry.reference
    ('built-in', 'MNIST-C corruptions.py shear')
    """
    _load_plugins()
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise unknown(name) from None


def get(name: str) -> Corruption:
    """The function registered as ``name``: ``func(images, severity, rng)``.

    Parameters
    ----------
    name : str
        A registered corruption (see :func:`available`).

    Returns
    -------
    callable
        ``func(images, severity, rng) -> images``, as :func:`register`
        describes it; :func:`corrupt` calls it with its own ``rng``.

    Raises
    ------
    CorruptionError
        ``name`` is not registered.

    Examples
    --------
    >>> import numpy as np
    >>> from mnistbench import corruptions
    >>> shear = corruptions.get("shear")
    >>> shear(np.zeros((2, 28, 28), np.uint8), 3, np.random.default_rng(0)).shape
    (2, 28, 28)
    """
    return info(name).func
