"""mnistbench: classical machine learning on MNIST-style data, measured honestly."""

__version__ = "0.19.0"

from mnistbench.exceptions import MnistbenchError  # noqa: E402

__all__ = ["MnistbenchError", "__version__", "tune"]


def tune(pipeline_names, **options):
    """Tune pipelines with the same search budget each, on the training set alone.

    Each choice is scored once on the test set. This is
    :func:`mnistbench.tuning.tune`, imported when called, so that
    ``import mnistbench`` stays light.

    Parameters
    ----------
    pipeline_names : sequence of str
        Registered pipeline names, each with a search space.
    **options
        :func:`mnistbench.tuning.tune`'s.

    Returns
    -------
    mnistbench.tuning.TuneSummary

    See Also
    --------
    mnistbench.tuning.tune : The parameters, what it raises, an example.
    """
    from mnistbench.tuning import tune as _tune

    return _tune(pipeline_names, **options)
