"""The ``sklearnex`` engine: scikit-learn-intelex's estimators (oneDAL, CPU).

They take the same parameters as scikit-learn's and fall back to stock
scikit-learn for what oneDAL does not do. Which one ran is read from
sklearnex's own log of every call, not from what was asked:

``cpu-onedal``
    every call of the step ran sklearnex's accelerated code;
``cpu-fallback``
    sklearnex fell back to stock scikit-learn for every call (a parameter
    choice oneDAL does not support);
``cpu-partial``
    some calls accelerated, some fell back;
``cpu-unknown``
    an sklearnex estimator whose calls sklearnex did not log.

oneDAL computes in the dtype it is given; where scikit-learn computes in
float64 whatever it is given (SVC, the nearest neighbours' distances), the
engine's estimator hands oneDAL float64 (:mod:`mnistbench.engines._onedal`).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import re

import joblib

from mnistbench.engines._base import Engine, EngineUnavailable, sklearn_name

__all__ = ["ENGINE", "SklearnexEngine", "onedal_threads"]

# sklearn class name -> sklearnex module holding the same-named estimator.
_SKLEARNEX = {
    "PCA": "sklearnex.decomposition",
    "LogisticRegression": "sklearnex.linear_model",
    "SVC": "sklearnex.svm",
    "RandomForestClassifier": "sklearnex.ensemble",
    "ExtraTreesClassifier": "sklearnex.ensemble",
    "KNeighborsClassifier": "sklearnex.neighbors",
}

# "sklearn.svm.SVC.fit: running accelerated version on CPU"
# "sklearn.decomposition.PCA.fit: fallback to original Scikit-learn. ..."
_SKLEARNEX_LOG = re.compile(
    r"sklearn\.[\w.]*?\.(?P<cls>\w+)\.(?P<method>\w+): "
    r"(?P<how>running accelerated version|fallback to original Scikit-learn)"
)


class _CallLog(logging.Handler):
    """Collects, per estimator class, how sklearnex ran its calls."""

    def __init__(self, calls: dict[str, set[str]]):
        super().__init__(logging.INFO)
        self.calls = calls

    def emit(self, record: logging.LogRecord) -> None:
        match = _SKLEARNEX_LOG.search(record.getMessage())
        if match:
            how = "onedal" if match["how"].startswith("running") else "fallback"
            self.calls.setdefault(match["cls"], set()).add(how)


def onedal_threads() -> int:
    """How many threads oneDAL runs on in this process (its own thread pool,
    which BLAS and OpenMP limits do not reach)."""
    import daal4py

    return max(1, int(daal4py.num_threads()))


class SklearnexEngine(Engine):
    """scikit-learn-intelex: the same estimators, run by oneDAL where it can."""

    name = "sklearnex"

    def check(self) -> None:
        if importlib.util.find_spec("sklearnex") is None:
            raise EngineUnavailable(
                "--engine sklearnex needs scikit-learn-intelex, which is not "
                'installed: pip install "mnistbench[sklearnex]"'
            )

    def convert_step(self, est):
        name = sklearn_name(est)
        module = _SKLEARNEX.get(name)
        if module is None:
            return est
        from mnistbench.engines._onedal import FLOAT64

        cls = FLOAT64.get(name) or getattr(importlib.import_module(module), name)
        params = est.get_params(deep=False)
        if params.get("n_jobs") is not None and params["n_jobs"] < 0:
            # joblib's -1 is every core; sklearnex counts it from the job's
            # share of the cores (its OpenMP limit), which would leave an
            # estimator that asks for idle cores on one thread
            params["n_jobs"] = joblib.effective_n_jobs(params["n_jobs"])
        if name == "SVC":
            # scikit-learn's cache_size is the SVC's whole kernel cache (and
            # mnistbench's SVC shares it among its threads); oneDAL gives
            # each of its threads that much (measured: 2,000 MB on 2 threads
            # peaked at 4.5 GB, 1,000 MB at 2.5 GB, the model the same).
            params["cache_size"] = params["cache_size"] / onedal_threads()
        return cls(**params)

    @contextlib.contextmanager
    def listen(self, calls):
        sx = logging.getLogger("sklearnex")
        level, propagate = sx.level, sx.propagate
        handler = _CallLog(calls)
        sx.setLevel(logging.INFO)
        sx.propagate = False  # the job's stderr gets none of it
        sx.addHandler(handler)
        try:
            yield
        finally:
            sx.removeHandler(handler)
            sx.setLevel(level)
            sx.propagate = propagate

    def where(self, est, calls):
        module = type(est).__module__
        if not module.startswith(("sklearnex", "daal4py", "mnistbench.engines")):
            return None
        seen = calls.get(type(est).__name__, set())
        if seen == {"onedal"}:
            return "cpu-onedal"
        if seen == {"fallback"}:
            return "cpu-fallback"
        if seen:
            return "cpu-partial"
        return "cpu-unknown"  # sklearnex logged no call of it


ENGINE = SklearnexEngine()
