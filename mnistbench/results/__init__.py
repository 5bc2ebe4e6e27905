"""The leaderboard CSV: one row per job, appended atomically under a file lock.

:func:`record_job` turns a job's result into its row, keeps its predictions
and traceback beside it, and appends the row last.

Each row is written with a single ``write`` on a file opened for appending,
then flushed to disk, while holding ``leaderboard.csv.lock``: a run killed at
any moment (even ``kill -9``) leaves whole rows only, and concurrent runs
writing the same folder keep every row. A write that fails or comes up short
(a full disk) is cut back to the file's size before it, so no part of a row
stays; two runs that both ran the same job record it once
(:class:`AlreadyRecorded`). A search (``mnistbench tune``) writes its trials
and its curves' refits beside it, the same way (``trials.csv``,
``refits.csv``); a run with ``--corruptions`` its scores on corrupted test
sets (``robustness.csv``). Every run started from the command line records
it in ``commands.csv``. :func:`merge` puts folders made on several machines
together.
"""

from mnistbench.results._commands import (
    COMMAND_SCHEMA,
    COMMANDS,
    append_command,
    command_text,
    read_commands,
)
from mnistbench.results._machines import (
    MACHINE_COLUMNS,
    machine_label,
    machine_labels,
    machine_names,
    machine_number,
    machines,
)
from mnistbench.results._merge import KEEP, MergeError, MergeSummary, merge
from mnistbench.results._read import (
    MARKDOWN_COLUMNS,
    best_rows,
    ok_keys,
    read_leaderboard,
    to_csv_text,
    to_markdown,
)
from mnistbench.results._robustness import (
    ROBUSTNESS,
    ROBUSTNESS_SCHEMA,
    SET_COLUMNS,
    append_robustness,
    read_robustness,
    record_corrupted,
)
from mnistbench.results._schema import (
    COLUMNS,
    LEADERBOARD,
    OLDER_HEADERS,
    SCHEMA,
    STATUSES,
    LeaderboardError,
    row_line,
)
from mnistbench.results._testsets import (
    TESTSETS,
    archived_dataset,
    archived_path,
    dataset_of,
    save_test_set,
)
from mnistbench.results._trials import (
    REFIT_SCHEMA,
    REFITS,
    TRIAL_SCHEMA,
    TRIALS,
    append_refit,
    append_trial,
    read_refits,
    read_trials,
)
from mnistbench.results._write import AlreadyRecorded, append_row, record_job

__all__ = [
    "COMMANDS",
    "COMMAND_SCHEMA",
    "COLUMNS",
    "KEEP",
    "LEADERBOARD",
    "MACHINE_COLUMNS",
    "MARKDOWN_COLUMNS",
    "MergeError",
    "MergeSummary",
    "OLDER_HEADERS",
    "REFITS",
    "ROBUSTNESS",
    "ROBUSTNESS_SCHEMA",
    "SET_COLUMNS",
    "REFIT_SCHEMA",
    "SCHEMA",
    "STATUSES",
    "TESTSETS",
    "TRIALS",
    "TRIAL_SCHEMA",
    "AlreadyRecorded",
    "LeaderboardError",
    "append_command",
    "append_refit",
    "append_robustness",
    "append_row",
    "append_trial",
    "archived_dataset",
    "archived_path",
    "best_rows",
    "dataset_of",
    "command_text",
    "machine_label",
    "machine_labels",
    "machine_names",
    "machine_number",
    "machines",
    "merge",
    "ok_keys",
    "read_commands",
    "read_leaderboard",
    "read_refits",
    "read_robustness",
    "read_trials",
    "record_corrupted",
    "record_job",
    "row_line",
    "save_test_set",
    "to_csv_text",
    "to_markdown",
]
