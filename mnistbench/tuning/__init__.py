"""Fair comparisons: every pipeline tuned with the same budget, on the
training set alone (``mnistbench tune``).

Each registered pipeline declares a search space
(:func:`mnistbench.pipelines.space`). A search draws candidates from it,
candidate 0 being the registered default, and scores each on stratified
folds of the training set (or a validation share), as trials: jobs run by
the same executors as ``mnistbench run``, each in a process of its own,
recorded in ``trials.csv`` as they finish, so that a killed search resumes.
Every pipeline gets the same budget: the same number of candidates, or the
same CPU seconds. The best-on-validation candidate is refitted on the whole
training set and scored once on the test set, which the search never sees:
a leaderboard row beside the default's.

>>> import mnistbench
>>> found = mnistbench.tune(["svm", "knn"], datasets=["mnist-sample"])  # doctest: +SKIP
>>> found.table[["pipeline", "default_accuracy", "tuned_accuracy"]]  # doctest: +SKIP

The search follows Grinsztajn et al. (2022, "Why do tree-based models still
outperform deep learning on tabular data?"): random search whose first
iteration is the default configuration, equal budgets across models, and
curves of the best-on-validation configuration's test score against the
number of iterations and the time spent, with bands from shuffled orders.
"""

from mnistbench.tuning._plan import (
    DEFAULT_BUDGET,
    DEFAULT_CV,
    MAX_CANDIDATES,
    SEARCHES,
    SearchSpec,
    TuneError,
    TunePlan,
    draw_candidates,
)
from mnistbench.tuning._run import tune, tune_plan
from mnistbench.tuning._search import halving_schedule
from mnistbench.tuning._state import TuneSummary
from mnistbench.tuning._summary import (
    CURVE_SHUFFLES,
    TABLE_COLUMNS,
    candidate_scores,
    curve_candidates,
    default_row,
    tuned_rows,
    tuning_curves,
    tuning_table,
)

__all__ = [
    "CURVE_SHUFFLES",
    "DEFAULT_BUDGET",
    "DEFAULT_CV",
    "MAX_CANDIDATES",
    "SEARCHES",
    "TABLE_COLUMNS",
    "SearchSpec",
    "TuneError",
    "TunePlan",
    "TuneSummary",
    "candidate_scores",
    "curve_candidates",
    "default_row",
    "draw_candidates",
    "halving_schedule",
    "tune",
    "tune_plan",
    "tuned_rows",
    "tuning_curves",
    "tuning_table",
]
