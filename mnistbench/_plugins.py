"""Entry-point plugins, loaded the same way for every registry (pipelines,
corruptions): a plugin that fails to load, or whose name is taken, is left
out with a ``RuntimeWarning`` and never breaks mnistbench."""

from __future__ import annotations

import importlib.metadata
import warnings
from collections.abc import Callable, Container

__all__ = ["load_plugins"]


def load_plugins(
    group: str,
    kind: str,
    taken: Container[str],
    register: Callable[[str, object, str], object],
    stacklevel: int = 4,
) -> None:
    """Register each entry point of ``group`` with ``register(name, object,
    source)`` unless its name is in ``taken``; ``kind`` names what a plugin
    is in the warnings ("pipeline", "corruption"), whose ``stacklevel``
    points at the caller of the registry's public function."""
    for ep in importlib.metadata.entry_points(group=group):
        if ep.name in taken:
            warnings.warn(
                f"mnistbench: plugin {kind} {ep.name!r} ({ep.value}) ignored: "
                "the name is taken",
                RuntimeWarning,
                stacklevel=stacklevel,
            )
            continue
        try:
            register(ep.name, ep.load(), f"plugin {ep.value}")
        except Exception as exc:  # a broken plugin must never break mnistbench
            warnings.warn(
                f"mnistbench: plugin {kind} {ep.name!r} ({ep.value}) failed to "
                f"load: {type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=stacklevel,
            )
