"""Run a tuning plan: the search's trials as jobs, round by round, then the
refits on the whole training set.

Every trial is a :class:`~mnistbench.jobs.Job` with a
:class:`~mnistbench._split.Split`, run by the same executors as ``mnistbench
run`` (a process of its own under the hard timeout, here or on Dask), and
appended to ``trials.csv`` as it finishes. A search killed mid-way resumes
with ``resume=True``: a trial with an ok row is read back, never run again,
and since the strategies decide only from recorded scores, the search goes on
exactly as it would have. Then each search's chosen configuration, and the
registered default, are fitted on the whole training set and scored once on
the test set: leaderboard rows like any other (the tuned one carries the
search's id, definition, trials and best validation score).
"""

from __future__ import annotations

from mnistbench import executors
from mnistbench.runner import _load, _refuse_early
from mnistbench.tuning._plan import TunePlan
from mnistbench.tuning._state import OnResult, TuneSummary, _State

__all__ = ["tune", "tune_plan"]


def tune(
    pipeline_names,
    *,
    download_progress=None,
    on_result: OnResult | None = None,
    **options,
) -> TuneSummary:
    """Tune pipelines with the same budget each, on the training set alone.

    Each choice is refitted on the whole training set and scored once on the
    test set. Each pipeline's search draws candidates from its search space
    (:func:`mnistbench.pipelines.space`), candidate 0 being the registered
    default, and scores each on stratified folds of the training set (or a
    validation share): trials, run as jobs like ``mnistbench run``'s and
    recorded in ``out/trials.csv`` as they finish. The best-on-validation
    candidate, and the default, are then refitted on the whole training set
    and scored once on the test set, which the search never sees: two
    leaderboard rows. The command line's ``mnistbench tune`` is this
    function.

    Parameters
    ----------
    pipeline_names : sequence of str
        Registered pipeline names, each with a search space.
    download_progress : callable, optional
        Makes a progress bar per file downloaded (see
        :func:`mnistbench.data.load`).
    on_result : callable, optional
        ``on_result(kind, job, row)`` as each job is recorded; ``kind`` is
        ``"trial"``, ``"default"``, ``"tuned"`` or ``"curve"``.
    **options
        :meth:`TunePlan.build`'s: the search's ``budget`` (candidates per
        pipeline, default 10) or ``budget_cpu`` (CPU seconds of trials per
        pipeline), ``cv`` (folds, default 3) or ``val_fraction``,
        ``search`` (``"random"`` or ``"halving"``), ``seed``,
        ``search_size`` and ``curves``; and
        :class:`~mnistbench.plan.RunPlan`'s fields but ``seeds``,
        ``params``, ``train_size``, ``repeat`` and ``plots``: ``datasets``,
        ``engine``, ``timeout``, ``n_jobs``, ``out``, ``resume``...

    Returns
    -------
    TuneSummary
        The trials, the chosen params, the two rows of each search and the
        table that compares them; nothing is printed.

    Raises
    ------
    TuneError
        A bad search option, or a training set the search cannot split.
    mnistbench.plan.RunError
        A bad run option (as for :func:`mnistbench.runner.run`).
    mnistbench.pipelines.NoSpaceError
        A pipeline registered without a search space.
    TypeError
        An option that tuning does not take (``seeds``, ``train_size``...).

    See Also
    --------
    mnistbench.pipelines.space : A pipeline's search space.
    tuning_table : The table of a results folder's searches.

    Examples
    --------
    Two candidates for k-NN, the default and one drawn from its space,
    scored on a validation share of 500 training images; both refitted on
    all 4,000 and scored on the test set:

    >>> import tempfile
    >>> from mnistbench.tuning import tune
    >>> found = tune(
    ...     ["knn"],
    ...     datasets=["mnist-sample"],
    ...     budget=2,
    ...     val_fraction=0.2,
    ...     search_size=500,
    ...     curves=False,
    ...     out=tempfile.mkdtemp(),
    ... )
    >>> found.ok, len(found.trials)
    (True, 2)
    >>> found.table[["pipeline", "trials", "default_accuracy", "tuned_accuracy"]]
      pipeline  trials  default_accuracy  tuned_accuracy
    0      knn       2             0.9...           0.9...
    >>> found.best_params
    {('mnist-sample', 'knn'): {...}}
    """
    plan = TunePlan.build(pipeline_names, **options)
    return tune_plan(plan, download_progress=download_progress, on_result=on_result)


def tune_plan(
    plan: TunePlan,
    *,
    executor: executors.Executor | None = None,
    download_progress=None,
    on_result: OnResult | None = None,
    command: str = "",
) -> TuneSummary:
    """Run ``plan``'s searches, then its refits; see :func:`tune`.
    ``command``: the command line, recorded in ``commands.csv``."""
    run = plan.run
    _refuse_early(run)
    executor = executors.for_plan(run) if executor is None else executor
    with executor as running:
        loaded = {d: _load(run, d, download_progress) for d in run.datasets}
        specs = plan.searches({d: ds.y_train for d, ds in loaded.items()})
        state = _State(plan, specs, loaded, running, on_result)
        state.command = command
        state.search()
        state.refit()
    return state.summary()
