"""Compare pipelines, and result sets, from what the runs stored.

Nothing here refits: every function works on leaderboards (see
:mod:`mnistbench.results`), the test-set predictions each run kept, and the
test labels.

- Within one result set, as the report does: two pipelines scored on the same
  test images are compared with McNemar's exact test (on the images one gets
  right and the other wrong), the p-values of all pairs corrected with Holm's
  method; each accuracy gets a percentile bootstrap 95% interval.
- Between two result sets (:func:`between`, ``mnistbench compare``): the same
  jobs before and after an upgrade, or under two engines, with a verdict per
  job: slower or faster (time ratio and a test on the repeats' times), less
  or more accurate (McNemar, Holm-corrected over the jobs), or the same.
"""

from mnistbench.compare._between import DEFAULT_FACTOR, VERDICTS, between
from mnistbench.compare._pipelines import (
    accuracy_intervals,
    anchors,
    confused_pairs,
    environment_table,
    labelled_rows,
    load_prediction,
    load_predictions,
    mcnemar_matrix,
    pairwise_mcnemar,
    pareto_front,
    pipeline_label,
    representative_rows,
    seed_summary,
    versus_anchors,
)
from mnistbench.compare._render import TABLE_HEADERS, markdown, rules, table_rows
from mnistbench.compare._sides import JOB_COLUMNS, CompareError
from mnistbench.compare._stats import (
    ALPHA,
    McNemar,
    TimeChange,
    bootstrap_interval,
    holm,
    mcnemar,
    time_change,
)

__all__ = [
    "ALPHA",
    "DEFAULT_FACTOR",
    "JOB_COLUMNS",
    "TABLE_HEADERS",
    "VERDICTS",
    "CompareError",
    "McNemar",
    "TimeChange",
    "accuracy_intervals",
    "anchors",
    "between",
    "bootstrap_interval",
    "confused_pairs",
    "environment_table",
    "holm",
    "labelled_rows",
    "load_prediction",
    "load_predictions",
    "markdown",
    "mcnemar",
    "mcnemar_matrix",
    "pairwise_mcnemar",
    "pareto_front",
    "pipeline_label",
    "representative_rows",
    "rules",
    "seed_summary",
    "table_rows",
    "time_change",
    "versus_anchors",
]
