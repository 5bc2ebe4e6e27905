"""How a search chooses: which trials to start next, and which candidate wins.

Pure logic, no I/O: a :class:`Strategy` is told each trial's validation
score and CPU seconds as they come in, and says which trials to start in the
next round. Three strategies, each the same for every pipeline of a tuning
run, so that every pipeline gets the same budget:

* :class:`FixedBudget`: ``n`` candidates, every fold, all at once; the winner
  is the best mean validation score, the first on ties, as scikit-learn's
  ``RandomizedSearchCV`` chooses;
* :class:`CpuBudget`: candidates in order, one trial at a time, until the
  pipeline's trials have spent its CPU seconds: no trial starts after that,
  so the search ends within one trial of its budget; only candidates with
  every fold scored take part;
* :class:`Halving`: successive halving over training images, the schedule,
  subsamples and eliminations of scikit-learn's ``HalvingRandomSearchCV``
  (``factor=3``, ``min_resources="exhaust"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mnistbench._split import Split

__all__ = [
    "FACTOR",
    "CpuBudget",
    "FixedBudget",
    "Halving",
    "Strategy",
    "Trial",
    "halving_schedule",
]

#: Successive halving keeps a third of the candidates at each rung.
FACTOR = 3


@dataclass(frozen=True)
class Trial:
    """One candidate on one fold (at one rung of a halving search)."""

    candidate: int
    fold: int
    iteration: int
    split: Split


class Strategy:
    """A search's state: the scores so far, what to start next."""

    def __init__(self, n_candidates: int, splits: list[Split]):
        self.n_candidates = n_candidates
        self.splits = splits
        #: (iteration, candidate) -> {fold: (score, cpu_s)}
        self.scored: dict[tuple[int, int], dict[int, tuple[float, float]]] = {}
        self.pending = 0

    def next_round(self) -> list[Trial]:
        """The trials to start now; [] when the search is over or waits for
        its trials."""
        raise NotImplementedError

    def finished(self, trial: Trial, score: float | None, cpu_s: float | None):
        """Record a trial's validation score (None: it failed) and CPU s."""
        score = float("nan") if score is None else float(score)
        key = (trial.iteration, trial.candidate)
        self.scored.setdefault(key, {})[trial.fold] = (score, float(cpu_s or 0.0))
        self.pending -= 1

    @property
    def cpu_s(self) -> float:
        return sum(c for folds in self.scored.values() for _, c in folds.values())

    @property
    def n_trials(self) -> int:
        return sum(len(folds) for folds in self.scored.values())

    def mean_score(self, candidate: int, iteration: int = 0) -> float:
        """The candidate's mean validation score over every fold, NaN if a
        fold failed or is missing (scikit-learn's ``error_score=nan``)."""
        folds = self.scored.get((iteration, candidate), {})
        if len(folds) < len(self.splits):
            return float("nan")
        return float(np.mean([folds[f][0] for f in range(len(self.splits))]))

    def scores(self) -> np.ndarray:
        """Mean validation score per candidate (the last rung's for halving;
        NaN for candidates not fully scored there)."""
        return np.array([self.mean_score(c) for c in range(self.n_candidates)])

    def choice(self) -> int | None:
        """The winning candidate; None if no candidate was scored."""
        scores = self.scores()
        if np.isnan(scores).all():
            return None
        return int(np.nanargmax(scores))

    def _trials(self, candidate: int, iteration: int = 0, fraction: float = 1.0):
        return [
            Trial(candidate, f, iteration, _with_fraction(split, fraction))
            for f, split in enumerate(self.splits)
        ]


def _with_fraction(split: Split, fraction: float) -> Split:
    if fraction >= 1.0:
        return split
    return Split(split.fold, split.n_folds, split.val_fraction, split.seed, fraction)


class FixedBudget(Strategy):
    """Every candidate on every fold, in one round."""

    def __init__(self, n_candidates: int, splits: list[Split]):
        super().__init__(n_candidates, splits)
        self.started = False

    def next_round(self) -> list[Trial]:
        if self.started:
            return []
        self.started = True
        trials = [t for c in range(self.n_candidates) for t in self._trials(c)]
        self.pending += len(trials)
        return trials


class CpuBudget(Strategy):
    """Trials in order (candidate by candidate, fold by fold), one at a
    time, while the search's finished trials have spent less than
    ``seconds`` CPU seconds: it ends within one trial's seconds of its
    budget. (The searches of several pipelines run side by side, a trial
    each; a single search's trial gets every core.) The first round is the
    default's first fold, so that a budget too small for it is known before
    anything is recorded."""

    def __init__(self, n_candidates: int, splits: list[Split], seconds: float):
        super().__init__(n_candidates, splits)
        self.seconds = seconds
        self.order = [t for c in range(n_candidates) for t in self._trials(c)]
        self.next = 0

    def next_round(self) -> list[Trial]:
        if self.pending or self.next >= len(self.order) or self.cpu_s >= self.seconds:
            return []
        trials = self.order[self.next : self.next + 1]
        self.next += len(trials)
        self.pending += len(trials)
        return trials

    @property
    def n_candidates_scored(self) -> int:
        return int(np.sum(~np.isnan(self.scores())))


def halving_schedule(
    n_candidates: int, n_samples: int, n_splits: int, n_classes: int
) -> tuple[int, list[int]]:
    """scikit-learn's ``HalvingRandomSearchCV`` schedule (``factor=3``,
    ``min_resources="exhaust"``, ``resource="n_samples"``): the smallest rung
    it starts from, and the training images of each rung."""
    min_resources = n_splits * 2 * n_classes  # sklearn's "smallest"
    if min_resources > n_samples:
        raise ValueError(
            f"a halving search needs at least {min_resources} training images "
            f"({n_splits} folds x 2 x {n_classes} classes), got {n_samples}"
        )
    n_required = 1 + math.floor(math.log(n_candidates, FACTOR))
    min_resources = max(min_resources, n_samples // FACTOR ** (n_required - 1))
    n_possible = 1 + math.floor(math.log(n_samples // min_resources, FACTOR))
    n_iterations = min(n_possible, n_required)
    rungs = [
        min(int(FACTOR**itr * min_resources), n_samples) for itr in range(n_iterations)
    ]
    return min_resources, rungs


class Halving(Strategy):
    """Successive halving: every candidate on a subsample, the best third on
    three times as many images, and so on up to every training image."""

    def __init__(
        self, n_candidates: int, splits: list[Split], n_samples: int, n_classes: int
    ):
        super().__init__(n_candidates, splits)
        _, self.rungs = halving_schedule(
            n_candidates, n_samples, len(splits), n_classes
        )
        self.n_samples = n_samples
        self.iteration = -1
        self.alive = list(range(n_candidates))

    def next_round(self) -> list[Trial]:
        if self.pending:
            return []
        if self.iteration >= 0:
            if self.iteration + 1 >= len(self.rungs):
                return []
            self._eliminate()
        self.iteration += 1
        fraction = self.rungs[self.iteration] / self.n_samples
        trials = [
            t for c in self.alive for t in self._trials(c, self.iteration, fraction)
        ]
        self.pending += len(trials)
        return trials

    def _eliminate(self) -> None:
        # sklearn's _top_k: ascending order, NaNs first, keep the last k
        scores = np.array([self.mean_score(c, self.iteration) for c in self.alive])
        keep = math.ceil(len(self.alive) / FACTOR)
        order = np.roll(np.argsort(scores), np.count_nonzero(np.isnan(scores)))
        self.alive = [self.alive[i] for i in order[-keep:]]

    def scores(self) -> np.ndarray:
        last = max(self.iteration, 0)
        return np.array([self.mean_score(c, last) for c in range(self.n_candidates)])

    def choice(self) -> int | None:
        # sklearn's _select_best_index: the best of the last rung, in its order
        last = max(self.iteration, 0)
        scores = np.array([self.mean_score(c, last) for c in self.alive])
        if np.isnan(scores).all():
            return None if np.isnan(self.scores()).all() else self.alive[0]
        return self.alive[int(np.nanargmax(scores))]
