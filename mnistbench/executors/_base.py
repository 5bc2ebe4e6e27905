"""The executor protocol: what the runner asks of every executor."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mnistbench.jobs import Job, JobSettings

__all__ = ["Capacity", "Executor"]


@dataclass(frozen=True)
class Capacity:
    """What an executor gives a run: ``at_once`` jobs side by side, each with
    (at least) ``threads`` BLAS/OpenMP/joblib threads, ``where`` in words."""

    at_once: int
    threads: int
    where: str


class Executor(Protocol):
    """Runs jobs somewhere; a context manager (connect, start, clean up)."""

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc) -> None: ...

    def capacity(self, n_jobs: int) -> Capacity:
        """How ``n_jobs`` jobs will run: the facts each row records."""
        ...

    def results(
        self, jobs: Sequence[Job], settings: JobSettings
    ) -> Iterator[tuple[Job, dict]]:
        """Start every job; yield (job, result) as each one finishes. Closing
        the iterator early stops the jobs still running."""
        ...
