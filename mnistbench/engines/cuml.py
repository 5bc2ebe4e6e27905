"""The cuML engine: NVIDIA cuML's native estimators on the GPU.

Written against cuML's documented API (25.10 to 26.x: the estimators'
signatures and docstrings in the cuML source and docs.rapids.ai). The
conversions are tested with cuML installed (``tox -e cuml``: cuML's PyPI wheel
builds its estimators without a GPU); **fitting has not run on a GPU in this
project**: its machines have no GPU, and the GPU machine lent to it has no
package registry to install cuML from. The tests that fit on a GPU are
marked ``gpu``.

What maps to what (parameters carry over; a value cuML cannot take is an
error naming it, never silently dropped):

* ``PCA`` -> ``cuml.decomposition.PCA`` (``n_components``, ``whiten``);
* ``LogisticRegression`` -> ``cuml.linear_model.LogisticRegression``
  (multinomial for 10 classes, quasi-Newton solver);
* ``SVC`` -> ``cuml.svm.SVC`` (native one-vs-one multiclass, not
  ``cuml.accel``);
* ``RandomForestClassifier`` -> ``cuml.ensemble.RandomForestClassifier``
  (``criterion`` -> ``split_criterion``; an unlimited ``max_depth`` keeps
  cuML's own default, 16 before cuML 26.08; cuML bins each feature into
  ``n_bins=128`` split candidates);
* ``KNeighborsClassifier`` -> ``cuml.neighbors.KNeighborsClassifier``
  (brute force; ``weights="distance"`` needs cuML >= 25.12);
* anything else (``MLPClassifier``, ``StandardScaler``, ``GrayLevels``) stays
  on the CPU, and ``ran_on`` says so.

The training and test arrays go to the GPU once per job when every step of the
pipeline is a cuML estimator (otherwise each cuML step moves its own input,
and the CPU steps, which read the labels too, get NumPy arrays); a cuML step
followed by a CPU step hands it NumPy arrays. Clocks are
read after ``cupy.cuda.Device().synchronize()``; a warm-up fit on 1,000 images
(CUDA context, kernel compilation) runs first and is reported as ``warmup_s``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import time

from mnistbench.engines._base import (
    Engine,
    EngineUnavailable,
    HostDevice,
    leaf_estimators,
    sklearn_name,
)
from mnistbench.exceptions import MnistbenchError

__all__ = ["ENGINE", "CumlEngine", "CumlParameterError", "Device"]

INSTALL = (
    'pip install "mnistbench[gpu]" (cuml-cu12; or cuml-cu13 from PyPI, to '
    "match your CUDA)"
)
WARMUP_IMAGES = 1000


class CumlParameterError(MnistbenchError, ValueError):
    """A pipeline parameter this cuML version cannot take."""


def _make(path: str, **params):
    """``path``'s class with ``params``, refusing any its signature lacks."""
    module, name = path.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), name)
    accepted = inspect.signature(cls.__init__).parameters
    missing = [k for k in params if k not in accepted]
    if missing:
        import cuml

        raise CumlParameterError(
            f"cuML {cuml.__version__}'s {name} has no parameter "
            f"{', '.join(missing)}; change it with --param or upgrade cuML"
        )
    return cls(**params)


def _knn(est):
    params = {"n_neighbors": est.n_neighbors, "algorithm": "brute"}
    if est.weights != "uniform":
        params["weights"] = est.weights
    if not (est.metric == "minkowski" and est.p == 2) and est.metric != "euclidean":
        params["metric"] = est.metric
    return _make("cuml.neighbors.KNeighborsClassifier", **params)


def _forest(est):
    params = {
        "n_estimators": est.n_estimators,
        "split_criterion": est.criterion,
        "max_features": est.max_features,
        "bootstrap": est.bootstrap,
        "random_state": est.random_state,
    }
    if est.max_depth is not None:
        params["max_depth"] = est.max_depth
    if est.bootstrap and est.max_samples is not None:
        params["max_samples"] = est.max_samples
    return _make("cuml.ensemble.RandomForestClassifier", **params)


def _carry(path: str, *names: str):
    """A converter to ``path``'s class that carries ``names`` over as they are."""
    return lambda est: _make(path, **{name: getattr(est, name) for name in names})


_CONVERTERS = {
    "PCA": _carry("cuml.decomposition.PCA", "n_components", "whiten"),
    "LogisticRegression": _carry(
        "cuml.linear_model.LogisticRegression", "C", "max_iter", "tol", "fit_intercept"
    ),
    "SVC": _carry(
        "cuml.svm.SVC",
        *("C", "kernel", "gamma", "degree", "coef0", "tol", "cache_size", "max_iter"),
    ),
    "RandomForestClassifier": _forest,
    "KNeighborsClassifier": _knn,
}


def on_gpu(est) -> bool:
    return type(est).__module__.startswith("cuml")


class CumlEngine(Engine):
    """cuML's native estimators on the GPU (the MLP and our transformers
    stay on the CPU)."""

    name = "cuml"

    def check(self) -> None:
        """Raise EngineUnavailable unless cuML imports and sees a GPU."""
        if importlib.util.find_spec("cuml") is None:
            raise EngineUnavailable(
                f"--engine cuml needs NVIDIA cuML, which is not installed: {INSTALL}"
            )
        try:
            import cupy

            gpus = cupy.cuda.is_available()
        except Exception as exc:  # a broken CUDA install, no driver
            raise EngineUnavailable(
                f"--engine cuml: CUDA is not usable here ({type(exc).__name__}: {exc})"
            ) from None
        if not gpus:
            raise EngineUnavailable(
                "--engine cuml needs an NVIDIA GPU; none is visible"
            )
        try:
            import cuml  # noqa: F401
        except Exception as exc:
            raise EngineUnavailable(
                f"--engine cuml: cuML does not import ({type(exc).__name__}: {exc})"
            ) from None

    def convert_step(self, est):
        convert = _CONVERTERS.get(sklearn_name(est))
        if convert is None:
            return est
        return convert(est)

    def convert(self, pipe):
        new = super().convert(pipe)
        leaves = list(leaf_estimators(new))
        for est, following in zip(leaves, leaves[1:]):
            if on_gpu(est) and not on_gpu(following):
                est.set_params(output_type="numpy")  # the CPU step reads NumPy
        return new

    def device(self, pipe):
        return Device(pipe)

    def where(self, est, calls):
        return "gpu" if on_gpu(est) else None


class Device(HostDevice):
    """Arrays on the GPU once, clocks read after a device-wide sync."""

    warms_up = True

    def __init__(self, pipe):
        import cupy

        self.cupy = cupy
        leaves = list(leaf_estimators(pipe))
        # Every step reads the arrays (the classifier reads y too): only where
        # all of them are cuML's may the arrays live on the GPU.
        self.gpu_input = bool(leaves) and all(on_gpu(est) for est in leaves)

    def put(self, array):
        import numpy as np

        if not self.gpu_input:
            return array  # each cuML step moves its own input
        array = np.asarray(array)
        kind = np.float32 if array.dtype.kind == "f" else np.int32
        return self.cupy.asarray(array.astype(kind, copy=False))

    def sync(self) -> None:
        self.cupy.cuda.Device().synchronize()

    def to_host(self, array):
        self.sync()
        if isinstance(array, self.cupy.ndarray):
            return self.cupy.asnumpy(array)
        return super().to_host(array)

    def warm_up(self, pipe, X, y) -> float:
        """Seconds to fit and predict a copy of ``pipe`` on a few images."""
        from sklearn.base import clone

        start = time.perf_counter()
        clone(pipe).fit(X[:WARMUP_IMAGES], y[:WARMUP_IMAGES]).predict(X[:100])
        self.sync()
        return time.perf_counter() - start


ENGINE = CumlEngine()
