"""
Runs, leaderboards and paired tests
===================================

:func:`mnistbench.runner.run` is what ``mnistbench run`` calls. It fits each
(dataset, pipeline, seed) job in a process of its own, under a timeout, and
appends one row per job to a leaderboard. It also keeps each job's test-set
predictions. This example runs two pipelines with two seeds each, reads the
leaderboard back, and compares the pipelines with the tools of
:mod:`mnistbench.compare`, without fitting anything again.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from mnistbench import compare, data, plots, results, runner

# %%
# Run the jobs
# ------------
#
# ``out`` is the results folder. Here it is a temporary folder, so the
# example leaves nothing behind in the current directory.
#
# From Python, each job starts as a new Python interpreter, which takes a few
# seconds. The command line starts its jobs faster, by forking them from a
# server process that has already imported scikit-learn. A script can ask for
# the same with :func:`mnistbench.jobs.use_job_server`, but the server
# imports the script's ``__main__`` module again, so the script must keep all
# its work under ``if __name__ == "__main__":``. Without that guard, every
# job fails. This example has no guard, so it keeps the default.

out = Path(tempfile.mkdtemp(prefix="mnistbench-example-"))
summary = runner.run(
    ["logreg", "knn"], datasets=["mnist-sample"], seeds=[0, 1], out=out
)

print(f"run {summary.run_id}: {len(summary.rows)} jobs, {summary.n_jobs} at once")
print(f"every job ok: {summary.ok}")
jobs = summary.rows[["pipeline", "seed", "accuracy", "fit_s", "predict_s"]]
print(jobs.round(3).to_string(index=False))

# %%
# :class:`~mnistbench.runner.RunSummary` holds this run's rows, the jobs it
# skipped, and the figures it drew. The results folder now holds the
# leaderboard, one file of predictions per job, and those figures.

for path in sorted(out.rglob("*")):
    if path.is_file() and not path.name.endswith(".lock"):
        print(path.relative_to(out))

# %%
# A second run with the same jobs into the same folder is refused, so that
# no result is recorded twice by accident. ``resume=True`` skips the jobs
# that already have an ``ok`` row; ``force=True`` runs them again.

try:
    runner.run(["logreg", "knn"], datasets=["mnist-sample"], seeds=[0, 1], out=out)
except runner.RunError as exc:
    print("RunError:", exc)

again = runner.run(
    ["logreg", "knn"], datasets=["mnist-sample"], seeds=[0, 1], out=out, resume=True
)
print(f"resume=True: {len(again.rows)} jobs run, {len(again.skipped)} skipped")

# %%
# Read the leaderboard
# --------------------
#
# :func:`mnistbench.results.read_leaderboard` reads ``leaderboard.csv`` back
# into a DataFrame and checks every row. Besides scores and timings, each
# row records the machine and the library versions the job ran with.

board = results.read_leaderboard(out)
print(f"{len(board)} rows, {len(board.columns)} columns")
scores = board[["pipeline", "seed", "n_train", "accuracy", "f1_macro", "threads"]]
print(scores.round(4).to_string(index=False))
machine = board[["cpu", "n_cores", "python_version", "sklearn_version"]]
print(machine.drop_duplicates().to_string(index=False))

# %%
# Summarise over seeds
# --------------------
#
# :func:`mnistbench.compare.seed_summary` gives one row per pipeline: the mean
# and standard deviation of the accuracy over seeds, and the mean times. With
# the whole training set, as here, the seed reaches only the randomized
# solver of the PCA step, so the standard deviation measures only that.
# With ``train_size``, each seed also draws its own training subsample.

seeds = compare.seed_summary(board, "mnist-sample")
columns = ["label", "n_seeds", "accuracy_mean", "accuracy_std", "fit_s", "predict_s"]
print(seeds[columns].round(4).to_string(index=False))

# %%
# :func:`mnistbench.plots.tradeoff_figure` plots mean accuracy against mean
# fit time, on a log scale. It marks in red the Pareto front: the pipelines
# that no other pipeline beats on both accuracy and speed. Error bars show
# the standard deviation over seeds.

fig = plots.tradeoff_figure(seeds, title="mnist-sample: accuracy vs fit time")
plt.figure(fig)
plt.show()

# %%
# Paired tests
# ------------
#
# Both pipelines classified the same test images, so they can be compared
# image by image. :func:`~mnistbench.compare.representative_rows` picks one
# row per pipeline (its lowest seed), and
# :func:`~mnistbench.compare.load_predictions` reads the predictions that the
# run stored. The test labels come from the dataset.
#
# McNemar's exact test looks only at the test images on which the two
# pipelines disagree. ``a_only`` counts the images only ``a`` got right,
# ``b_only`` those only ``b`` got right. If both pipelines were equally
# accurate, each such image would be equally likely to fall on either side.
# ``pvalue_holm`` corrects the p-values for the number of pairs compared
# (Holm's method); with two pipelines there is one pair, and it is unchanged.

ds = data.load("mnist-sample")
rows = compare.representative_rows(board, "mnist-sample")
predictions = compare.load_predictions(out, rows, len(ds.y_test))
pairs = compare.pairwise_mcnemar(ds.y_test, predictions)
print(pairs.to_string(index=False))

# %%
# A percentile bootstrap over the test images gives a 95% interval for each
# accuracy. It measures how much the accuracy depends on which test images
# were drawn, not how much it varies between seeds.

print(compare.accuracy_intervals(ds.y_test, predictions).to_string(index=False))

# %%
# ``mnistbench report --out DIR`` (in Python, :func:`mnistbench.report.build`)
# puts these tables and figures, and more, in ``DIR/report.html`` and
# ``DIR/report.md``, built from what the runs stored.
