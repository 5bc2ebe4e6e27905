"""mnistbench: classical machine learning on MNIST-style data, measured honestly."""

__version__ = "0.13.0"

from mnistbench.exceptions import MnistbenchError  # noqa: E402

__all__ = ["MnistbenchError", "__version__"]
