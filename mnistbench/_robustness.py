"""Scoring jobs on corrupted test sets (``mnistbench run --corruptions``).

In the job's process, :func:`score_corrupted` predicts each corrupted copy of
the test set with the pipeline fitted for the clean one, one set in memory at
a time. In the runner, :func:`prepare` makes every generated set once, before
any job starts (so that the jobs read them from the data home's cache instead
of each making its own), and checks that published sets are copies of the
dataset's test set; :func:`rescoring` finds, for ``--resume``, the finished
jobs that still lack some of the sets asked for.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np

__all__ = ["prepare", "rescoring", "score_corrupted", "set_key"]

logger = logging.getLogger(__name__)


def set_key(corruption: str, severity, source: str) -> tuple[str, int, str]:
    """What identifies a corrupted set in ``robustness.csv``'s rows."""
    missing = severity is None or severity != severity  # None, NaN or NA
    return (corruption, 0 if missing else int(severity), source)


def _images(ds, s, seed: int, data_home) -> np.ndarray:
    """The images of corrupted set ``s`` of ``ds``'s test set."""
    from mnistbench import data

    if s.generated:
        return data.corrupted_test_set(
            ds, s.corruption, s.severity, seed, data_home=data_home, tag=s.tag
        )
    found = data.published_set(s.source, s.corruption)
    data.check_matches(found, ds)
    return found.load()[0]


def score_corrupted(pipe, job, ds, dev, y_test, data_home) -> list[dict]:
    """Predict each of ``job.corrupted`` with the fitted ``pipe``.

    One dict per set: its ``corruption``, ``severity``, ``source``,
    ``images_sha256``, ``accuracy``, ``predict_s`` and ``y_pred``; a set
    that cannot be read or predicted has ``status`` "error" and ``error``
    instead, and the others go on.
    """
    from mnistbench import data
    from mnistbench.exceptions import one_line

    scored = []
    for s in job.corrupted:
        entry = {"corruption": s.corruption, "severity": s.severity, "source": s.source}
        X = None
        try:
            X = _images(ds, s, job.seed, data_home)
            entry["images_sha256"] = data.images_sha256(X)
            X = dev.put(X)
            start = time.perf_counter()
            y_pred = np.asarray(dev.to_host(pipe.predict(X)))
            entry["predict_s"] = time.perf_counter() - start
            entry["accuracy"] = float(np.mean(y_pred == y_test))
            entry["y_pred"] = y_pred.astype(np.int16)
        except Exception as exc:  # one set's failure is data, not the job's
            entry.update(status="error", error=one_line(exc, limit=500))
        del X  # before the next set is read
        scored.append(entry)
    return scored


def prepare(plan, loaded: dict) -> float:
    """Make (or find in the cache) every generated set of ``plan`` for each
    dataset in ``loaded`` and each seed, one at a time, and check the
    published sets against each dataset's test labels; return the seconds
    it took. Raises ``DataError`` for a published set that is not a copy of
    a dataset's test set, ``CorruptionError`` for a corruption that fails
    (a broken plugin): one line, before any job."""
    from mnistbench import data
    from mnistbench.corruptions import CorruptionError
    from mnistbench.exceptions import one_line

    start = time.perf_counter()
    published = {s.source for s in plan.corrupted if not s.generated}
    for name, ds in loaded.items():
        for source in published:
            for found in data.published_corruptions(source):
                data.check_matches(found, ds)
        for s in plan.corrupted:
            if not s.generated:
                continue
            for seed in plan.seeds:
                began = time.perf_counter()
                try:
                    data.corrupted_test_set(
                        ds,
                        s.corruption,
                        s.severity,
                        seed,
                        data_home=plan.data_home,
                        tag=s.tag,
                    )
                except Exception as exc:  # a broken corruption, before any job
                    raise CorruptionError(
                        f"--corruptions: making {s} of {name}'s test set (seed "
                        f"{seed}) failed: {one_line(exc)}"
                    ) from None
                logger.info(
                    "%s: %s, seed %d: %.1f s",
                    name,
                    s,
                    seed,
                    time.perf_counter() - began,
                )
    return time.perf_counter() - start


def rescoring(plan, finished: list) -> list:
    """The jobs of ``finished`` (each with an ok leaderboard row) that lack
    an ok row in ``robustness.csv`` for some of the corrupted sets asked
    for, each with only those sets: ``--resume`` fits them again and
    records only their corrupted rows."""
    from mnistbench import results

    if not plan.corrupted or not finished:
        return []
    rows = results.read_robustness(plan.out)
    rows = rows[rows["status"] == "ok"]
    have: dict[str, set] = {}
    for key, c, sev, src in zip(
        rows["job_key"], rows["corruption"], rows["severity"], rows["source"]
    ):
        have.setdefault(key, set()).add(set_key(c, sev, src))
    todo = []
    for job in finished:
        done = have.get(job.key, set())
        want = tuple(
            s
            for s in job.corrupted
            if set_key(s.corruption, s.severity, s.source) not in done
        )
        if want:
            todo.append(dataclasses.replace(job, corrupted=want))
    return todo
