"""A tuning run as one value: :class:`TunePlan`, checked where it is built.

A tuning run is a :class:`~mnistbench.plan.RunPlan` (which pipelines, which
datasets, where the jobs run, where the results go) plus the search: its
budget (candidates, or CPU seconds, per pipeline), how the training set is
split (stratified K-fold or a validation share), the search (random or
successive halving), the seed. Each (dataset, pipeline) gets a
:class:`SearchSpec` whose id hashes everything that defines it, so that a
changed space, budget or split is a new search, never an old one resumed.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mnistbench import pipelines
from mnistbench._plan_checks import _is_int
from mnistbench._split import Split
from mnistbench.exceptions import MnistbenchError
from mnistbench.plan import RunPlan
from mnistbench.tuning._search import halving_schedule

__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_CV",
    "MAX_CANDIDATES",
    "SEARCHES",
    "SearchSpec",
    "TuneError",
    "TunePlan",
    "draw_candidates",
]

SEARCHES = ("random", "halving")
DEFAULT_BUDGET = 10
DEFAULT_CV = 3
#: Candidates drawn for a CPU-seconds budget (it stops long before).
MAX_CANDIDATES = 1000


class TuneError(MnistbenchError, ValueError):
    """A tuning run cannot start, or cannot go on: bad arguments, or data
    the search cannot split."""


@dataclass(frozen=True)
class SearchSpec:
    """The search of one pipeline on one dataset."""

    dataset: str
    pipeline: str
    search_id: str
    definition: Mapping
    candidates: tuple
    splits: tuple
    n_train: int  # the images the search's folds are drawn from
    n_full: int  # the training set the chosen configuration is refitted on
    n_classes: int

    @property
    def definition_json(self) -> str:
        return json.dumps(self.definition, sort_keys=True)


@dataclass(frozen=True)
class TunePlan:
    """What a tuning run is. Build it with :meth:`build`.

    Parameters
    ----------
    run : RunPlan
        The pipelines, datasets (the seed is the search's), engine, timeout,
        executor and results folder, as for ``mnistbench run``.
    budget : int, optional
        Candidates per pipeline, candidate 0 being the registered default
        (default 10 unless ``budget_cpu`` is given).
    budget_cpu : float, optional
        CPU seconds of trials per pipeline instead: no trial starts once a
        pipeline's are spent.
    cv : int, optional
        Stratified folds of the training set (default 3).
    val_fraction : float, optional
        A stratified validation share of the training set instead of folds.
    search : {"random", "halving"}
        Random search, or successive halving over training images.
    search_size : int, optional
        Draw the folds from a stratified subsample of this many training
        images; the chosen configuration is refitted on all of them.
    curves : bool
        Refit, on the whole training set, the candidates that lead the
        validation scores at some point of some shuffled search order, for
        the tuning curves.
    """

    run: RunPlan
    budget: int | None = None
    budget_cpu: float | None = None
    cv: int | None = None
    val_fraction: float | None = None
    search: str = "random"
    search_size: int | None = None
    curves: bool = True
    spaces: Mapping[str, dict] = field(init=False, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        pipeline_names: Sequence[str],
        *,
        budget: int | None = None,
        budget_cpu: float | None = None,
        cv: int | None = None,
        val_fraction: float | None = None,
        search: str = "random",
        seed: int = 0,
        search_size: int | None = None,
        curves: bool = True,
        **options,
    ) -> TunePlan:
        """Check the search's options, then the run's (``options`` are
        :class:`~mnistbench.plan.RunPlan`'s fields but ``seeds``,
        ``params``, ``train_size``, ``repeat`` and ``plots``)."""
        for name in ("seeds", "params", "train_size", "repeat", "plots"):
            if name in options:
                raise TypeError(f"tune() got an unexpected keyword argument {name!r}")
        _check_search_options(budget, budget_cpu, cv, val_fraction, search)
        run = RunPlan(pipeline_names, seeds=(seed,), plots=False, **options)
        return cls(
            run, budget, budget_cpu, cv, val_fraction, search, search_size, curves
        )

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        _check_search_options(
            self.budget, self.budget_cpu, self.cv, self.val_fraction, self.search
        )
        if self.budget is None and self.budget_cpu is None:
            set_(self, "budget", DEFAULT_BUDGET)
        if self.cv is None and self.val_fraction is None:
            set_(self, "cv", DEFAULT_CV)
        if self.search_size is not None:
            self.run.check_size("--search-size", self.search_size, TuneError)
        set_(self, "spaces", {p: pipelines.space(p) for p in self.run.pipelines})

    @property
    def seed(self) -> int:
        return self.run.seeds[0]

    def splits(self) -> tuple[Split, ...]:
        if self.cv:
            return tuple(Split(f, self.cv, seed=self.seed) for f in range(self.cv))
        return (Split(0, 0, float(self.val_fraction), self.seed),)

    def searches(self, labels: Mapping[str, np.ndarray]) -> list[SearchSpec]:
        """Every (dataset, pipeline) search, in that nesting order, given
        each dataset's training labels; raises TuneError for data the
        search cannot split."""
        specs = []
        for dataset in self.run.datasets:
            y_all = np.asarray(labels[dataset])
            y = self._search_labels(y_all)
            self._check_split(dataset, y)
            for name in self.run.pipelines:
                specs.append(self._spec(dataset, name, y, len(y_all)))
        return specs

    def _search_labels(self, y: np.ndarray) -> np.ndarray:
        if self.search_size is None or self.search_size >= len(y):
            return y
        from sklearn.model_selection import train_test_split

        return train_test_split(
            y, train_size=self.search_size, stratify=y, random_state=self.seed
        )[0]

    def _check_split(self, dataset: str, y: np.ndarray) -> None:
        classes, counts = np.unique(y, return_counts=True)
        where = f"{dataset}'s" + (
            f" {len(y):,}-image search subsample" if self.search_size else ""
        )
        if self.cv:
            smallest = int(counts.min())
            if self.cv > smallest:
                raise TuneError(
                    f"--cv {self.cv}: the smallest class of {where} training "
                    f"images (class {classes[counts.argmin()]}) has only "
                    f"{smallest}; use --cv {max(2, smallest)} or fewer"
                    if smallest >= 2
                    else f"--cv {self.cv}: class {classes[counts.argmin()]} of "
                    f"{where} training images has a single image; cross-"
                    "validation needs at least 2 per class"
                )
        else:
            n_val = int(np.ceil(self.val_fraction * len(y)))
            if n_val < len(classes) or len(y) - n_val < len(classes):
                raise TuneError(
                    f"--val-fraction {self.val_fraction:g} of {where} {len(y):,} "
                    f"training images leaves fewer images than its {len(classes)} "
                    "classes on one side"
                )
        if self.search == "halving":
            try:
                halving_schedule(self.budget, len(y), self.cv or 1, len(classes))
            except ValueError as exc:
                raise TuneError(f"--search halving on {dataset}: {exc}") from None

    def _spec(self, dataset: str, name: str, y: np.ndarray, n_full: int):
        space = self.spaces[name]
        n = self.budget if self.budget is not None else MAX_CANDIDATES
        candidates = draw_candidates(space, n, self.seed)
        own = self.run.own.get(dataset)
        definition = {
            "search": self.search,
            "budget": self.budget,
            "budget_cpu": self.budget_cpu,
            "cv": self.cv,
            "val_fraction": self.val_fraction,
            "seed": self.seed,
            "search_size": self.search_size,
            "space": [list(pair) for pair in pipelines.describe_space(space)],
        }
        ident = [
            dataset,
            own.sha256 if own is not None else None,
            name,
            self.run.engine,
            self.run.configs[name],
            definition,
        ]
        search_id = hashlib.sha256(
            json.dumps(ident, sort_keys=True, default=repr).encode()
        ).hexdigest()[:12]
        return SearchSpec(
            dataset,
            name,
            search_id,
            definition,
            tuple(candidates),
            self.splits(),
            len(y),
            n_full,
            len(np.unique(y)),
        )


def draw_candidates(space: Mapping, n: int, seed: int) -> list[dict]:
    """Candidate 0, the registered default (no parameter changed), then
    ``n - 1`` drawn by scikit-learn's ``ParameterSampler(space, n - 1,
    random_state=seed)`` (fewer if the space has fewer points), as plain
    Python values."""
    from sklearn.model_selection import ParameterSampler

    drawn = []
    if n > 1:
        with warnings.catch_warnings():  # a small grid: fewer candidates, said
            warnings.filterwarnings("ignore", "The total space of parameters")
            drawn = list(ParameterSampler(space, n - 1, random_state=seed))
    return [{}] + [{k: _plain(v) for k, v in c.items()} for c in drawn]


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _check_search_options(budget, budget_cpu, cv, val_fraction, search) -> None:
    if budget is not None and budget_cpu is not None:
        raise TuneError("--budget and --budget-cpu contradict each other; pick one")
    if budget is not None and (not _is_int(budget) or budget < 1):
        raise TuneError(
            f"--budget must be a positive number of candidates, got {budget!r}"
        )
    if budget_cpu is not None and (
        not isinstance(budget_cpu, numbers.Real)
        or isinstance(budget_cpu, bool)
        or not budget_cpu > 0
        or budget_cpu == float("inf")
    ):
        raise TuneError(
            f"--budget-cpu must be a positive number of CPU seconds, got {budget_cpu!r}"
        )
    if cv is not None and val_fraction is not None:
        raise TuneError("--cv and --val-fraction contradict each other; pick one")
    if cv is not None and (not _is_int(cv) or cv < 2):
        raise TuneError(
            f"--cv must be at least 2 folds, got {cv!r} (for a single "
            "validation split, use --val-fraction)"
        )
    if val_fraction is not None and not (
        isinstance(val_fraction, numbers.Real) and 0 < val_fraction < 1
    ):
        raise TuneError(f"--val-fraction must be between 0 and 1, got {val_fraction!r}")
    if search not in SEARCHES:
        raise TuneError(
            f"--search must be one of {', '.join(SEARCHES)}, got {search!r}"
        )
    if search == "halving" and budget_cpu is not None:
        raise TuneError(
            "--search halving takes --budget N (the candidates of its first "
            "rung), not --budget-cpu"
        )
