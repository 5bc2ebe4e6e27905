"""A run as one value: :class:`RunPlan`, validated once, where it is built.

A plan says what to run (pipelines, datasets, seeds, params, training size,
engine), how (timeout, where the jobs run: ``n_jobs`` here, or a Dask
``scheduler`` or local ``cluster``) and where the results go (``out``,
``resume``/``force``). Building one checks every argument and every pipeline's
parameters against scikit-learn's own constraints, so a bad run fails with a
one-line :class:`RunError` before any job starts and before anything is
written. :meth:`RunPlan.jobs` expands it into :class:`~mnistbench.jobs.Job`
values, (dataset x pipeline x seed), in that nesting order.

>>> from mnistbench.plan import RunPlan
>>> plan = RunPlan(["svm", "knn"], datasets=["mnist-sample"], seeds=[0, 1])
>>> len(plan.jobs())
4
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mnistbench import data, engines
from mnistbench._plan_checks import (
    MAX_SEED,
    RunError,
    _check_constraints,
    _cluster_workers,
    _is_int,
    _n_jobs,
    _names,
    _params,
    _scheduler_address,
    _seeds,
)
from mnistbench.exceptions import DataError
from mnistbench.jobs import DEFAULT_TIMEOUT, Job, JobSettings
from mnistbench.pipelines import fingerprint
from mnistbench.pipelines import get as get_pipeline
from mnistbench.pipelines import info as pipeline_info

__all__ = [
    "DEFAULT_SEVERITY",
    "DEFAULT_TIMEOUT",
    "MAX_REPEAT",
    "MAX_SEED",
    "MIN_TRAIN_SIZE",
    "RunError",
    "RunPlan",
    "expand_jobs",
]

MIN_TRAIN_SIZE = 10
#: ``--repeat`` is for timing samples; more than this is a typo.
MAX_REPEAT = 100
#: The severity of ``--corruptions`` without ``--severity``: the middle one.
DEFAULT_SEVERITY = 3


@dataclass(frozen=True)
class RunPlan:
    """What a run is. Every field is checked when the plan is built.

    Building one checks every argument, reads and checks a user's own data,
    and builds every pipeline with ``params`` against scikit-learn's own
    parameter constraints, so a bad run fails here, in one line, before any
    job starts and before anything is written. The fields are normalised:
    names become tuples without duplicates, paths ``pathlib.Path``, the
    datasets their names. :func:`mnistbench.runner.run_plan` runs it.

    Parameters
    ----------
    pipelines : sequence of str
        Registered pipeline names (see :func:`mnistbench.pipelines.available`).
    datasets : sequence of str, path or Dataset
        Registered names, paths to a user's own files (see
        :func:`mnistbench.data.load`; they are read and checked when the plan
        is built) or :class:`~mnistbench.data.Dataset` values (e.g. from
        :func:`mnistbench.data.from_arrays`). Stored as their names.
    seeds : sequence of int
        Every pipeline runs on every dataset with every seed (0 to 2**32 - 1).
    params : mapping, optional
        ``step__param`` values set on every pipeline.
    train_size : int, optional
        Fit on a stratified, seeded subsample of this many training images.
    engine : {"sklearn", "sklearnex", "cuml"}
        The library that runs the pipelines (see :mod:`mnistbench.engines`).
    timeout : float, optional
        Seconds after which a job is killed and recorded as ``timeout``.
    repeat : int
        Each job fits and predicts this many times, each on a new pipeline
        (1 to 100): the leaderboard keeps every time and their median.
    n_jobs : int, optional
        Jobs run at once here; each gets ``cores // n_jobs`` threads. The
        default (None, or -1) is one job per core, at most one per job.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``).
    cluster : str or int, optional
        ``"local"`` or ``"local:N"`` (or N): a Dask ``LocalCluster`` of N
        worker processes on 127.0.0.1 for this run; stored as N.
    out : path
        Folder of ``leaderboard.csv``, ``predictions/`` and ``plots/``.
    resume, force : bool
        Jobs that already have an ok row are skipped with ``resume``, run
        again with ``force``; with neither, the run refuses to start.
    data_home : path, optional
        Where the datasets are cached.
    test_fraction : float, optional
        For a user's data without a test set: the share split off as one
        (stratified, seed 0); default 1/7.
    image_shape : (int, int) or "HxW", optional
        For a user's flat images whose feature count is not a square.
    download : bool
        Whether a missing dataset may be downloaded.
    plots : bool
        Whether to draw the plots after the run.
    corruptions : str or sequence of str, optional
        Also score every job on its test set under these corruptions
        (``"all"`` or names of :func:`mnistbench.corruptions.available`),
        each at every ``severity``; one row per job and set goes to
        ``robustness.csv``.
    severity : int, str or sequence of int, optional
        1 to 5, several, or ``"all"``; default :data:`DEFAULT_SEVERITY`.
    corruptions_from : path, optional
        Also score every job on the published corrupted test sets of this
        folder (MNIST-C's, Fashion-MNIST-C's; see
        :func:`mnistbench.data.published_corruptions`).

    Attributes
    ----------
    configs : mapping of str to str
        Each pipeline's definition hash (see
        :func:`mnistbench.pipelines.fingerprint`), as built with ``params``.
    own : mapping of str to Dataset
        The datasets that are not registered, by name, loaded and checked.
    corrupted : tuple of CorruptedSet
        The corrupted test sets each job is also scored on.
    on_dask : bool
        Whether the jobs run on a Dask cluster.

    Raises
    ------
    RunError
        A bad argument: no pipeline, dataset or seed, a seed out of range, a
        ``train_size`` larger than a dataset's training set, ``resume`` with
        ``force``, a parameter scikit-learn refuses, an engine that is not
        installed...
    mnistbench.pipelines.UnknownPipelineError
        A pipeline that is not registered.
    UnknownDatasetError, DataError
        A dataset that is neither registered nor readable.

    See Also
    --------
    mnistbench.runner.run_plan : Run a plan.
    mnistbench.runner.run : Build a plan and run it.

    Examples
    --------
    >>> from mnistbench.plan import RunPlan
    >>> plan = RunPlan(
    ...     ["svm", "knn"], datasets=["mnist-sample"], seeds=[0, 1], train_size=1000
    ... )
    >>> for job in plan.jobs():
    ...     print(job, job.n_train)
    mnist-sample/svm seed 0 1000
    mnist-sample/svm seed 1 1000
    mnist-sample/knn seed 0 1000
    mnist-sample/knn seed 1 1000

    Nothing runs, and nothing is written, with a parameter scikit-learn
    would refuse:

    >>> RunPlan(["svm"], datasets=["mnist-sample"], params={"clf__C": -1})
    Traceback (most recent call last):
        ...
    mnistbench.plan.RunError: pipeline 'svm' with clf__C=-1: The 'C' parameter ...
    """

    pipelines: Sequence[str]
    datasets: Sequence[str] = ("mnist",)
    seeds: Sequence[int] = (0,)
    params: Mapping[str, Any] = field(default_factory=dict)
    train_size: int | None = None
    engine: str = "sklearn"
    timeout: float | None = DEFAULT_TIMEOUT
    repeat: int = 1
    n_jobs: int | None = None
    scheduler: str | None = None
    cluster: str | int | None = None
    out: str | os.PathLike = "results"
    resume: bool = False
    force: bool = False
    data_home: str | os.PathLike | None = None
    download: bool = True
    plots: bool = True
    test_fraction: float | None = None
    image_shape: Any = None
    corruptions: str | Sequence[str] | None = None
    severity: int | str | Sequence[int] | None = None
    corruptions_from: str | os.PathLike | None = None
    #: The corrupted test sets every job is also scored on: each corruption
    #: at each severity, then the published sets of ``corruptions_from``.
    corrupted: tuple[data.CorruptedSet, ...] = field(
        init=False, repr=False, compare=False
    )
    #: Each pipeline's definition hash, as built with ``params``.
    configs: Mapping[str, str] = field(init=False, repr=False, compare=False)
    #: The datasets that are not registered, by name, loaded and checked.
    own: Mapping[str, data.Dataset] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # a frozen dataclass normalises this way
        set_(self, "pipelines", _names(self.pipelines, "pipeline", "--all"))
        if self.data_home is not None:
            set_(self, "data_home", Path(self.data_home))
        names, own = self._resolve_datasets()
        set_(self, "own", own)
        set_(self, "datasets", names)
        set_(self, "seeds", _seeds(self.seeds))
        set_(self, "params", _params(self.params))
        set_(self, "out", Path(self.out))
        for name in self.pipelines:
            pipeline_info(name)  # an unknown name fails first
        self._check_options()
        set_(self, "corrupted", self._corrupted_sets())
        set_(self, "cluster", _cluster_workers(self.cluster))
        set_(self, "scheduler", _scheduler_address(self.scheduler))
        set_(self, "n_jobs", _n_jobs(self.n_jobs, self.on_dask))
        try:
            engines.check(self.engine)
        except ValueError as exc:
            raise RunError(f"--engine: {exc}") from None
        # Built once here: a bad --param fails now, not in every job.
        set_(self, "configs", {name: self._config(name) for name in self.pipelines})

    @property
    def on_dask(self) -> bool:
        """Whether the jobs run on a Dask cluster."""
        return self.scheduler is not None or self.cluster is not None

    def job_settings(self, run_id: str) -> JobSettings:
        """What every job of run ``run_id`` of this plan shares."""
        return JobSettings(
            run_id,
            self.timeout,
            None if self.data_home is None else str(self.data_home),
            self.download,
            self.repeat,
        )

    def jobs(self, sizes: Mapping[str, int] | None = None) -> list[Job]:
        """Every (dataset, pipeline, seed) job, in that nesting order.

        ``sizes`` are the training sets' sizes (default: as registered).
        """
        sizes = {**self._sizes(), **(sizes or {})}
        n_train = {d: min(self.train_size or sizes[d], sizes[d]) for d in sizes}
        return expand_jobs(
            self.datasets,
            self.pipelines,
            self.seeds,
            self.params,
            n_train,
            engine=self.engine,
            configs=self.configs,
            refs={name: ds.origin for name, ds in self.own.items()},
            corrupted=self.corrupted,
        )

    def check_size(self, option: str, size, error: type = RunError) -> None:
        """Raise ``error`` unless ``size`` (given as ``option``) is a number
        of training images every dataset of the plan has, and at least
        :data:`MIN_TRAIN_SIZE`."""
        if not _is_int(size) or size < MIN_TRAIN_SIZE:
            raise error(f"{option} must be at least {MIN_TRAIN_SIZE}, got {size}")
        for name, n in self._sizes().items():
            if size > n:
                raise error(
                    f"{option} {size} is more than {name}'s {n:,} training images"
                )

    def _sizes(self) -> dict[str, int]:
        return {
            d: len(self.own[d].y_train) if d in self.own else data.get_spec(d).n_train
            for d in self.datasets
        }

    def _dataset_names(self) -> list:
        entries = self.datasets
        if isinstance(entries, (str, os.PathLike, data.Dataset)):
            entries = [entries]
        if not entries:
            raise RunError("no dataset to run: give dataset names or --dataset")
        return list(entries)

    def _resolve_datasets(self) -> tuple[tuple[str, ...], dict[str, data.Dataset]]:
        """The datasets' names, and those given as paths or Dataset values,
        read and checked now so that bad data fails before any job."""
        names, own = [], {}
        for entry in self._dataset_names():
            if isinstance(entry, data.Dataset) and entry.origin is None:
                entry = entry.name  # a registered dataset, loaded by the caller
            if isinstance(entry, str) and entry in data.available():
                names.append(entry)
                continue
            if not isinstance(entry, data.Dataset):
                entry = data.load(
                    entry,
                    data_home=self.data_home,
                    test_fraction=self.test_fraction,
                    image_shape=self.image_shape,
                )
            names.append(entry.name)
            own[entry.name] = entry
        return tuple(dict.fromkeys(names)), own

    def _check_options(self) -> None:
        if self.resume and self.force:
            raise RunError("--resume and --force contradict each other; pick one")
        if self.timeout is not None and not self.timeout > 0:
            raise RunError(
                f"--timeout must be a positive number of seconds, got {self.timeout}"
            )
        if not _is_int(self.repeat) or not 1 <= self.repeat <= MAX_REPEAT:
            raise RunError(
                f"--repeat must be a whole number from 1 to {MAX_REPEAT}, "
                f"got {self.repeat!r}"
            )
        if self.train_size is not None:
            self.check_size("--train-size", self.train_size)
        if self.scheduler is not None and self.cluster is not None:
            raise RunError("--scheduler and --cluster contradict each other; pick one")
        if self.on_dask and self.n_jobs is not None:
            raise RunError(
                "--n-jobs is for local runs; on a Dask cluster each worker runs as "
                "many jobs at once as it has threads (dask worker --nthreads)"
            )

    def _corrupted_sets(self) -> tuple[data.CorruptedSet, ...]:
        """``--corruptions`` at each ``--severity``, then the published sets
        of ``--corruptions-from``; refuses bad names, severities, folders."""
        from mnistbench import corruptions as corr

        def checked(option: str, check, value):
            try:
                return check(value)
            except (corr.CorruptionError, DataError) as exc:
                raise RunError(f"{option}: {exc}") from None

        sets = []
        if self.corruptions is None:
            if self.severity is not None:
                raise RunError("--severity needs --corruptions")
        else:
            names = checked("--corruptions", corr.select, self.corruptions)
            severity = DEFAULT_SEVERITY if self.severity is None else self.severity
            levels = checked("--severity", corr.severities, severity)
            sets += [
                data.CorruptedSet(n, s, tag=data.generation_tag(n))
                for n in names
                for s in levels
            ]
        if self.corruptions_from is not None:
            found = checked(
                "--corruptions-from", data.published_corruptions, self.corruptions_from
            )
            sets += [data.CorruptedSet(p.name, None, str(p.path)) for p in found]
        return tuple(sets)

    def _config(self, name: str) -> str:
        """``name``'s definition hash, once its parameters are known valid."""
        pipe = get_pipeline(name, **self.params)
        _check_constraints(pipe, name, self.params)
        return fingerprint(pipe)


def expand_jobs(
    datasets: Sequence[str],
    pipeline_names: Sequence[str],
    seeds: Sequence[int] = (0,),
    params: Mapping | None = None,
    n_train: Mapping[str, int] | None = None,
    engine: str = "sklearn",
    configs: Mapping[str, str] | None = None,
    refs: Mapping[str, data.DataRef | None] | None = None,
    corrupted: Sequence[data.CorruptedSet] = (),
) -> list[Job]:
    """Every (dataset, pipeline, seed) combination, in that nesting order.

    ``configs`` maps pipeline names to their definition hash
    (:func:`mnistbench.pipelines.fingerprint`), ``refs`` the datasets that
    are not registered to where the jobs find them, ``corrupted`` the
    corrupted test sets each job is also scored on.
    """
    params = dict(params or {})
    n_train = dict(n_train or {})
    configs = dict(configs or {})
    refs = dict(refs or {})
    return [
        Job(
            d,
            p,
            params,
            int(s),
            n_train.get(d, 0),
            engine,
            configs.get(p, ""),
            refs.get(d),
            corrupted=tuple(corrupted),
        )
        for d in datasets
        for p in pipeline_names
        for s in seeds
    ]
