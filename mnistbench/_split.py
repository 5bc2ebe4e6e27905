"""Which part of the training set a search trial fits on and is scored on.

A trial of ``mnistbench tune`` is a job like any other, except that it never
sees the test set: it fits on part of the training set and is scored on the
rest. :class:`Split` says which part, as a few numbers that travel with the
job (to a Dask worker too) and give the same indices wherever they are
computed: fold ``fold`` of a shuffled, stratified K-fold (scikit-learn's
``StratifiedKFold(K, shuffle=True, random_state=seed)``), or a stratified
validation split of a given share. A successive-halving rung keeps only a
``fraction`` of each part, drawn as scikit-learn's ``HalvingRandomSearchCV``
draws it, so that the same search gives the same trials.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Split"]


@dataclass(frozen=True)
class Split:
    """Fold ``fold`` of ``n_folds`` stratified folds (``n_folds`` 0: a
    stratified validation split of ``val_fraction``), shuffled with ``seed``;
    each part subsampled to ``fraction`` of its size (halving rungs)."""

    fold: int = 0
    n_folds: int = 0
    val_fraction: float = 0.0
    seed: int = 0
    fraction: float = 1.0

    def indices(self, y) -> tuple[np.ndarray, np.ndarray]:
        """The (fit, validation) indices into the training labels ``y``."""
        from sklearn.model_selection import StratifiedKFold, train_test_split
        from sklearn.utils import resample

        y = np.asarray(y)
        if self.n_folds:
            folds = StratifiedKFold(self.n_folds, shuffle=True, random_state=self.seed)
            fit, val = list(folds.split(np.zeros(len(y)), y))[self.fold]
        else:
            fit, val = train_test_split(
                np.arange(len(y)),
                test_size=self.val_fraction,
                stratify=y,
                random_state=self.seed,
            )
        if self.fraction < 1.0:  # as sklearn's _SubsampleMetaSplitter
            fit, val = (
                resample(
                    part,
                    replace=False,
                    random_state=self.seed,
                    n_samples=int(self.fraction * len(part)),
                )
                for part in (fit, val)
            )
        return fit, val

    def __str__(self) -> str:
        where = (
            f"fold {self.fold + 1}/{self.n_folds}"
            if self.n_folds
            else f"validation {self.val_fraction:g}"
        )
        return where + (f" at {self.fraction:.3g}" if self.fraction < 1 else "")
