"""Benchmarks of mnistbench itself, measured side by side in one run.

``compare_with_peer``
    The *peer* -- the scikit-learn a user writes by hand (pixels / 255, then
    each estimator with its defaults) -- against mnistbench's registered
    pipelines, on the same data, one after the other in the same run. Both go
    through the runner's isolated job processes, so both pay the same process
    start-up and data loading; mnistbench's side is a real run of a
    :class:`~mnistbench.plan.RunPlan` (what ``mnistbench run`` does), timed
    from start to end.
``scaling``
    Fit and predict time and accuracy of each pipeline against the number of
    training images, with the log-log slope of each: how cost grows with data.
``compare_engines``
    The same pipelines run by each engine (scikit-learn, scikit-learn-intelex,
    cuML), one after the other in the same run, with ratios per pipeline.
``compare_preprocessing``
    The preprocessing axis: each classifier on raw pixels (``svm``), on
    deskewed images (``deskew_svm``) and on HOG features (``hog_svm``), in
    one run, accuracy and time side by side.

One module each (``peer``, ``scaling``, ``engines``, ``preprocessing``). All
return tables (``pandas.DataFrame``) and figures; they log, never print. Their
``**options`` are the runs' :class:`~mnistbench.plan.RunPlan` fields, each
plan built (and so checked) before the first job starts.
"""

from mnistbench.bench._common import BenchError
from mnistbench.bench.engines import PARITY, EngineComparison, compare_engines
from mnistbench.bench.peer import (
    PEER_KINDS,
    PEERS,
    PeerComparison,
    compare_with_peer,
    peer_knn,
    peer_logreg,
    peer_pca_mlp,
    peer_rf,
    peer_svm,
)
from mnistbench.bench.preprocessing import (
    PREPROCESSING,
    PreprocessingComparison,
    compare_preprocessing,
    preprocessing_variants,
)
from mnistbench.bench.scaling import (
    SCALING_SIZES,
    Scaling,
    loglog_slope,
    scaling,
    scaling_figure,
)

__all__ = [
    "PARITY",
    "PEER_KINDS",
    "PEERS",
    "PREPROCESSING",
    "SCALING_SIZES",
    "BenchError",
    "EngineComparison",
    "PeerComparison",
    "PreprocessingComparison",
    "Scaling",
    "compare_engines",
    "compare_preprocessing",
    "compare_with_peer",
    "loglog_slope",
    "peer_knn",
    "peer_logreg",
    "peer_pca_mlp",
    "peer_rf",
    "peer_svm",
    "preprocessing_variants",
    "scaling",
    "scaling_figure",
]
