"""sklearnex's estimators, handed float64 where scikit-learn computes in it.

oneDAL computes in the dtype it is given, and the registered pipelines give
it float32. Two of scikit-learn's estimators compute in float64 whatever
they are given: libsvm's ``SVC``, and the nearest neighbours, whose
distances are computed on chunks cast up to float64. oneDAL's float32 SVC
was measured 0.015 below both scikit-learn and its own float64 on an Intel
Xeon (AVX-512), and equal to them on an AMD EPYC (AVX2): what holds on
every CPU is the dtype handed over, which is what the tests check. The
classes here are sklearnex's, with a float32 array cast to float64 on its
way into each method that reads one. ``PCA``, ``LogisticRegression`` and the
forests keep float32, as scikit-learn's do.

Imported only by the sklearnex engine, once sklearnex is known to be there.
"""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.utils.metaestimators import available_if
from sklearnex.neighbors import KNeighborsClassifier as _KNeighborsClassifier
from sklearnex.svm import SVC as _SVC

__all__ = ["FLOAT64", "Float64Input"]

# The methods whose first argument is the data.
_READ = (
    "fit",
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "score",
    "kneighbors",
)


class Float64Input:
    """Mixin: the sklearnex estimator after it in the bases reads float32
    arrays as float64.

    Each subclass gets its own methods that read data, with the signatures
    of the estimator's (``fit(X, y, sample_weight=None)``, ...): scikit-learn
    reads them to find what a method accepts (``has_fit_parameter``, the
    ``set_fit_request`` of metadata routing).
    """

    def __init_subclass__(cls, **kwargs):
        for name in _READ:
            if hasattr(cls, name):
                setattr(cls, name, _reading(cls, name))
        super().__init_subclass__(**kwargs)


def _reading(cls, name: str):
    """``cls``'s inherited method ``name``, with float32 data read as float64
    (and sample weights as an array, which sklearnex's SVC reshapes)."""
    signature = inspect.signature(getattr(cls, name))

    def method(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        given = bound.arguments
        if getattr(given.get("X"), "dtype", None) == np.float32:
            given["X"] = given["X"].astype(np.float64)
        weights = given.get("sample_weight")
        if weights is not None and not hasattr(weights, "__array_namespace__"):
            given["sample_weight"] = np.asarray(weights)
        return getattr(super(cls, self), name)(*bound.args[1:], **bound.kwargs)

    method.__name__ = name
    method.__qualname__ = f"{cls.__qualname__}.{name}"
    method.__doc__ = getattr(cls, name).__doc__
    method.__signature__ = signature
    # present exactly where sklearnex's estimator has it (predict_proba only
    # with probability=True, and so on)
    return available_if(lambda self: hasattr(super(cls, self), name))(method)


class SVC(Float64Input, _SVC):
    __doc__ = _SVC.__doc__


class KNeighborsClassifier(Float64Input, _KNeighborsClassifier):
    __doc__ = _KNeighborsClassifier.__doc__


#: scikit-learn class name -> the class the engine uses instead of
#: sklearnex's own.
FLOAT64 = {cls.__name__: cls for cls in (SVC, KNeighborsClassifier)}
