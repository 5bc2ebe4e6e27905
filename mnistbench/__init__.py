"""mnistbench: classical machine learning on MNIST-style data, measured honestly."""

__version__ = "0.14.0"

from mnistbench.exceptions import MnistbenchError  # noqa: E402

__all__ = ["MnistbenchError", "__version__", "tune"]


def tune(pipeline_names, **options):
    """Tune pipelines with the same search budget each, on the training set
    alone, and score each choice once on the test set.

    See :func:`mnistbench.tuning.tune` (this one imports it when called, so
    that ``import mnistbench`` stays light). Returns a
    :class:`~mnistbench.tuning.TuneSummary`.
    """
    from mnistbench.tuning import tune as _tune

    return _tune(pipeline_names, **options)
