"""mnistbench's PCA: scikit-learn's, which also fits data smaller than
``n_components`` (as the pipelines meet it in halving searches, learning
curves and 8x8 images)."""

import warnings

import numpy as np
import pytest

from mnistbench import data
from mnistbench.decomposition import PCA, ComponentsWarning


def test_pca_fits_what_the_data_has():
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV

    from mnistbench import pipelines

    ds = data.load("mnist-sample")
    X, y = ds.X_train[:1500], ds.y_train[:1500]
    with pytest.warns(ComponentsWarning, match="fitted 50 components"):
        pipe = pipelines.get("logreg").fit(X[:50], y[:50])
    assert pipe["reduce"].n_components_ == 50 and pipe["reduce"].n_components == 200
    full = pipelines.get("svm").fit(X, y)
    assert full["reduce"].n_components_ == 60
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComponentsWarning)
        search = HalvingRandomSearchCV(
            pipelines.get("svm"),
            {"clf__C": [1.0, 10.0]},
            n_candidates=2,
            random_state=0,
        ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # On data larger than n_components it is scikit-learn's PCA, unchanged.
    from sklearn.decomposition import PCA as SkPCA

    np.testing.assert_array_equal(
        PCA(20, random_state=0).fit_transform(X),
        SkPCA(20, random_state=0).fit_transform(X),
    )
