"""The ``sklearn`` engine: stock scikit-learn on the CPU, the default."""

from __future__ import annotations

from mnistbench.engines._base import Engine

__all__ = ["ENGINE", "SklearnEngine"]


class SklearnEngine(Engine):
    """Runs each pipeline as it is; every step's ``ran_on`` is ``cpu``."""

    name = "sklearn"

    def convert(self, pipe):
        return pipe


ENGINE = SklearnEngine()
