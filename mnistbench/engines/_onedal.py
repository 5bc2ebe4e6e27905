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
    arrays as float64."""


def _reading(name: str):
    def method(self, X=None, *args, **kwargs):
        if getattr(X, "dtype", None) == np.float32:
            X = X.astype(np.float64)
        return getattr(super(Float64Input, self), name)(X, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    # present exactly where sklearnex's estimator has it (predict_proba only
    # with probability=True, and so on)
    return available_if(lambda self: hasattr(super(Float64Input, self), name))(method)


for _name in _READ:
    setattr(Float64Input, _name, _reading(_name))
del _name


class SVC(Float64Input, _SVC):
    __doc__ = _SVC.__doc__


class KNeighborsClassifier(Float64Input, _KNeighborsClassifier):
    __doc__ = _KNeighborsClassifier.__doc__


#: scikit-learn class name -> the class the engine uses instead of
#: sklearnex's own.
FLOAT64 = {cls.__name__: cls for cls in (SVC, KNeighborsClassifier)}
