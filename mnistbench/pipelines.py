"""The pipeline registry: name -> factory of an unfitted scikit-learn ``Pipeline``.

Every registered pipeline has the same three steps, ``scale``, ``reduce`` and
``clf`` (a step a pipeline does not need is ``"passthrough"``), so ``clf__C`` or
``reduce=PCA(50)`` mean the same thing whichever pipeline they are given to.

>>> from mnistbench import pipelines
>>> pipe = pipelines.get("svm", clf__C=5)   # a plain, unfitted sklearn Pipeline
>>> pipe.fit(X_train, y_train).score(X_test, y_test)  # doctest: +SKIP

Third-party packages add pipelines through the entry-point group
``mnistbench.pipelines``: each entry point's name is the pipeline name and its
object a factory (a callable with no required argument returning a Pipeline).
"""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from mnistbench.exceptions import MnistbenchError

__all__ = [
    "ENTRY_POINT_GROUP",
    "STEPS",
    "PipelineInfo",
    "UnknownPipelineError",
    "available",
    "describe",
    "get",
    "info",
    "make",
    "register",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "mnistbench.pipelines"
STEPS = ("scale", "reduce", "clf")

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

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.factory.__doc__ or self.summary)


_REGISTRY: dict[str, PipelineInfo] = {}
_plugins_loaded = False


def make(scale="passthrough", reduce="passthrough", clf=None) -> Pipeline:
    """A ``Pipeline`` with mnistbench's fixed step names."""
    if clf is None:
        raise ValueError("a pipeline needs a classifier (clf)")
    return Pipeline([("scale", scale), ("reduce", reduce), ("clf", clf)])


def register(
    name: str,
    factory: Factory,
    *,
    summary: str | None = None,
    overwrite: bool = False,
    source: str = "user",
) -> PipelineInfo:
    """Register ``factory`` under ``name``.

    To run isolated (each job in its own process), ``factory`` must be
    picklable: a module-level function, not a lambda or closure.
    """
    if not name or not isinstance(name, str):
        raise ValueError(f"pipeline name must be a non-empty string, got {name!r}")
    if not callable(factory):
        raise TypeError(f"pipeline factory for {name!r} is not callable")
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"pipeline {name!r} is already registered")
    doc = inspect.cleandoc(factory.__doc__ or "")
    summary = summary or (doc.splitlines()[0] if doc else name)
    entry = PipelineInfo(name, factory, summary, source)
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


def available() -> list[str]:
    """Registered pipeline names: the built-in ones first, then plugins."""
    _load_plugins()
    return list(_REGISTRY)


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


# --- the built-in pipelines -------------------------------------------------
# Inputs are pixels / 255 in [0, 1]. Defaults follow the best configurations of
# the Fashion-MNIST paper's scikit-learn benchmark (Xiao et al. 2017, whose
# table lists each classifier's best parameters) unless a docstring says why not.


def logreg() -> Pipeline:
    """Multinomial logistic regression on the raw pixels.

    A linear baseline: one weight per pixel and class, L2-regularised with
    C=1.0, fitted by L-BFGS on pixels in [0, 1] (no standardisation: rarely-lit
    border pixels would otherwise get huge scaled values). Comparable results:
    LeCun's table lists a linear classifier (1-layer NN) at 12.0% MNIST error
    (8.4% with deskewing). The Fashion-MNIST paper's best LogisticRegression
    (C=1) is at about 0.84 accuracy.
    """
    return make(clf=LogisticRegression(C=1.0, max_iter=500, tol=1e-3))


def svm() -> Pipeline:
    """Support vector machine with an RBF kernel on the raw pixels.

    C=10 and gamma="scale" (1 / (n_features * X.var())) are the Fashion-MNIST
    paper's best SVC configuration, 0.897 accuracy there; on MNIST an RBF SVM
    is at 1.4% error in LeCun's table. One-vs-one multiclass as in libsvm; a
    1 GB kernel cache, since the default 200 MB thrashes on 60,000 samples.
    """
    return make(clf=SVC(C=10.0, kernel="rbf", gamma="scale", cache_size=1000))


def rf() -> Pipeline:
    """Random forest of 100 fully grown trees on the raw pixels.

    Trees need no scaling. 100 trees with the entropy criterion follows the
    Fashion-MNIST paper's best RandomForestClassifier (n_estimators=100,
    criterion="entropy", max_depth=100; about 0.87 accuracy); unlimited depth is
    the same thing here since trees stop at pure leaves well before depth 100.
    LeCun's table has no forest.
    """
    return make(clf=RandomForestClassifier(n_estimators=100, criterion="entropy"))


def knn() -> Pipeline:
    """k-nearest neighbours (k=5, distance-weighted votes, Euclidean).

    The Fashion-MNIST paper's best KNeighborsClassifier (k=5, distance weights)
    is at about 0.86; LeCun's table lists K-NN with Euclidean (L2) distance
    at 5.0% MNIST error (LeCun et al.) and 3.09% (K. Wilder). Brute-force
    search: with 784 dimensions trees do not prune, and the search becomes
    matrix products that BLAS does fast.
    """
    return make(
        clf=KNeighborsClassifier(n_neighbors=5, weights="distance", algorithm="brute")
    )


def pca_mlp() -> Pipeline:
    """PCA to 50 components, standardised, then a one-hidden-layer MLP.

    50 principal components keep 83% of the pixel variance of MNIST digits and
    86% of Fashion-MNIST's (measured on their training sets) and make the
    network small; standardising them gives the MLP equally scaled inputs.
    One hidden layer of 256 ReLU units, Adam, early stopping on 10% of the
    training set. Comparable results: LeCun's table lists 2-layer networks with
    300 hidden units at 4.7% error (raw pixels) and a 40-component PCA with a
    quadratic classifier at 3.3%; the Fashion-MNIST paper's MLPClassifier
    (100 ReLU units) is at about 0.87.
    """
    return Pipeline(
        [
            ("scale", "passthrough"),
            (
                "reduce",
                Pipeline([("pca", PCA(n_components=50)), ("std", StandardScaler())]),
            ),
            (
                "clf",
                MLPClassifier(
                    hidden_layer_sizes=(256,),
                    early_stopping=True,
                    max_iter=200,
                ),
            ),
        ]
    )


for _factory in (logreg, svm, rf, knn, pca_mlp):
    register(_factory.__name__, _factory, source="mnistbench")
del _factory
