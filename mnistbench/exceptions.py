"""Errors raised by mnistbench.

Every error's message is one line that names what went wrong and where, so the
command-line interface can show it as is, without a traceback.
"""

__all__ = [
    "ChecksumError",
    "DataError",
    "DownloadError",
    "MnistbenchError",
    "NondeterminismWarning",
    "UnknownDatasetError",
    "one_line",
]


def one_line(exc: BaseException, limit: int = 300) -> str:
    """``Type: first line of the message`` (cut at ``limit``), or ``Type``."""
    text = str(exc).strip()
    first = text.splitlines()[0][:limit] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class MnistbenchError(Exception):
    """Base class of every error mnistbench raises on purpose."""


class DataError(MnistbenchError, ValueError):
    """A data file is malformed: wrong format, truncated, inconsistent."""


class ChecksumError(DataError):
    """A file's SHA-256 differs from the one in the dataset registry."""


class DownloadError(MnistbenchError, OSError):
    """A dataset is neither cached nor could be downloaded from any mirror."""


class UnknownDatasetError(MnistbenchError, ValueError):
    """A dataset name that is not in the registry."""


class NondeterminismWarning(UserWarning):
    """A job's repeats predicted differently: the pipeline is not
    deterministic for its seed (``mnistbench run --repeat``)."""
