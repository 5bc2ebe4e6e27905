"""The pipeline registry: name -> factory of an unfitted scikit-learn ``Pipeline``.

Every registered pipeline has the same three steps, ``scale``, ``reduce`` and
``clf`` (a step a pipeline does not need is ``"passthrough"``), so ``clf__C`` or
``reduce=PCA(50)`` mean the same thing whichever pipeline they are given to.

>>> from mnistbench import data, pipelines
>>> ds = data.load("mnist-sample")   # 4,000 + 1,000 real MNIST digits, no network
>>> pipe = pipelines.get("svm", clf__C=5)   # a plain, unfitted sklearn Pipeline
>>> pipe.fit(ds.X_train[:1000], ds.y_train[:1000]).score(ds.X_test, ds.y_test)
0.93...

Each pipeline belongs to a group. ``mnistbench run --all`` runs the ``core``
group (the five classic baselines, and plugins); ``--group sota`` runs the
pipelines that add deskewing or HOG features, which fit slower:

>>> pipelines.available(group="sota")
['deskew_knn', 'hog_knn', 'deskew_svm', 'hog_svm']

Every pipeline may declare a search space next to its factory: parameter
names mapped to a non-empty list of candidate values or a frozen
``scipy.stats`` distribution, as ``sklearn.model_selection.ParameterSampler``
draws from them. A space given to :func:`register` is checked there (every
name a parameter of the pipeline; every candidate, and draws of every
distribution, allowed by scikit-learn); the built-in ones on first use.
:func:`space` returns a copy, :func:`describe_space` says it in words:

>>> from scipy.stats import loguniform
>>> def my_svm():
...     return pipelines.get("svm")
>>> space = {"clf__C": loguniform(1, 100), "clf__gamma": [0.01, 0.1]}
>>> pipelines.register("my_svm", my_svm, space=space).space["clf__gamma"]
[0.01, 0.1]
>>> pipelines.unregister("my_svm")
>>> pipelines.space("svm")["clf__gamma"]
['scale', 0.005, 0.01, 0.02, 0.04, 0.08]

Third-party packages add pipelines through the entry-point group
``mnistbench.pipelines``: each entry point's name is the pipeline name and its
object a factory (a callable with no required argument returning a Pipeline).
A plugin declares its search space as an attribute of the factory,
``my_factory.space = {"clf__C": [0.1, 1, 10]}``; a space that fails its
checks keeps the plugin out, with a warning.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sklearn.pipeline import Pipeline

from mnistbench._plugins import load_plugins
from mnistbench.exceptions import MnistbenchError
from mnistbench.pipelines._builtin import (
    STEPS,
    knn,
    logreg,
    make,
    pca_mlp,
    rf,
    svm,
)
from mnistbench.pipelines._builtin_spaces import SPACES
from mnistbench.pipelines._hash import definition, fingerprint
from mnistbench.pipelines._sota import (
    deskew_knn,
    deskew_svm,
    hog_and_pixels,
    hog_kmeans_and_pixels,
    hog_kmeans_svm_flips,
    hog_knn,
    hog_svm,
    hog_svm_flips,
    hog_svm_flips_tta18,
    hog_svm_rotations,
    hog_svm_rotations_tta,
    hog_svm_shifts,
)
from mnistbench.pipelines._spaces import (
    NoSpaceError,
    SpaceError,
    check_space,
    constraint_error,
    copy_space,
    describe_space,
)

__all__ = [
    "DEFAULT_GROUP",
    "ENTRY_POINT_GROUP",
    "STEPS",
    "NoSpaceError",
    "PipelineInfo",
    "SpaceError",
    "UnknownPipelineError",
    "available",
    "constraint_error",
    "definition",
    "describe",
    "describe_space",
    "fingerprint",
    "get",
    "groups",
    "hog_and_pixels",
    "hog_kmeans_and_pixels",
    "info",
    "make",
    "register",
    "space",
    "unregister",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "mnistbench.pipelines"
# The group `mnistbench run --all` runs; plugins join it.
DEFAULT_GROUP = "core"

Factory = Callable[[], Pipeline]


class UnknownPipelineError(MnistbenchError, ValueError):
    """A pipeline name that is not registered."""


@dataclass(frozen=True)
class PipelineInfo:
    """A registered pipeline, as :func:`info` returns it.

    Its name, factory, documentation and search space.

    Attributes
    ----------
    name : str
        The registered name.
    factory : callable
        Returns a new, unfitted ``Pipeline`` (see :func:`get`).
    summary : str
        One line for listings.
    source : str
        ``"mnistbench"`` for the built-in pipelines, ``"user"`` (or what
        :func:`register` was given) for others, ``"plugin MODULE:NAME"`` for
        a plugin's.
    group : str
        The group it belongs to (see :func:`groups`).
    space : mapping or None
        The search space, read-only (:func:`space` returns a copy).
    doc : str
        The factory's docstring, dedented (``summary`` if it has none).
    """

    name: str
    factory: Factory
    summary: str
    source: str = "mnistbench"
    group: str = DEFAULT_GROUP
    space: Mapping | None = None

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.factory.__doc__ or self.summary)


_REGISTRY: dict[str, PipelineInfo] = {}
_plugins_loaded = False
# Built-in pipelines whose space is not checked yet: it is on first use, not
# at import, which it would slow down (every command, every job process) and
# which a new scikit-learn's stricter constraints must not break. The tests
# check them all.
_UNCHECKED: set[str] = set()


def register(
    name: str,
    factory: Factory,
    *,
    summary: str | None = None,
    overwrite: bool = False,
    source: str = "user",
    group: str = DEFAULT_GROUP,
    space: Mapping | None = None,
) -> PipelineInfo:
    """Register ``factory`` under ``name``, in ``group``, with its search ``space``.

    To run isolated (each job in its own process), ``factory`` must be
    picklable: a module-level function of an importable module, not a
    lambda, a closure or a function typed in an interactive session. The
    ``core`` group is what ``mnistbench run --all`` runs; any other group
    name runs with ``--group NAME``.

    Parameters
    ----------
    name : str
        The pipeline's name, as :func:`get` and ``mnistbench run`` take it.
    factory : callable
        Called with no argument, returns a new, unfitted
        ``sklearn.pipeline.Pipeline``, best with the steps ``scale``,
        ``reduce`` and ``clf`` (see :func:`make`). Its docstring is what
        :func:`describe` shows.
    summary : str, optional
        One line for listings; default the first line of ``factory``'s
        docstring, else ``name``.
    overwrite : bool, default False
        Replace a pipeline registered under ``name``; without it, that is an
        error.
    source : str, default "user"
        Where the pipeline comes from, as listings show it.
    group : str, default "core"
        The group it belongs to (see :func:`groups`).
    space : mapping, optional
        Parameter names mapped to a non-empty list of candidate values or a
        frozen ``scipy.stats`` distribution; without it, the factory's
        ``space`` attribute is used, if any. It is checked here against a
        pipeline from ``factory``: every name must be one of its parameters,
        and every candidate, and 20 draws of every distribution, must pass
        scikit-learn's parameter constraints.

    Returns
    -------
    PipelineInfo
        The new registry entry.

    Raises
    ------
    SpaceError
        ``space`` does not fit the pipeline; nothing is registered.
    ValueError
        ``name`` or ``group`` is empty, or ``name`` is taken and
        ``overwrite`` is false.
    TypeError
        ``factory`` is not callable.

    See Also
    --------
    unregister : Remove a registered pipeline.
    make : A ``Pipeline`` with the fixed step names.

    Examples
    --------
    >>> from sklearn.linear_model import RidgeClassifier
    >>> from mnistbench import pipelines
    >>> from mnistbench.decomposition import PCA
    >>> def ridge():
    ...     "Ridge classifier on 50 principal components."
    ...     return pipelines.make(reduce=PCA(n_components=50), clf=RidgeClassifier())
    >>> entry = pipelines.register(
    ...     "ridge", ridge, group="linear", space={"clf__alpha": [0.1, 1.0, 10.0]}
    ... )
    >>> entry.summary
    'Ridge classifier on 50 principal components.'
    >>> pipelines.available(group="linear")
    ['ridge']
    >>> pipelines.get("ridge", clf__alpha=10.0)
    Pipeline(steps=[('scale', 'passthrough'), ('reduce', PCA(n_components=50)),
                    ('clf', RidgeClassifier(alpha=10.0))])
    >>> pipelines.unregister("ridge")
    """
    if not name or not isinstance(name, str):
        raise ValueError(f"pipeline name must be a non-empty string, got {name!r}")
    if not callable(factory):
        raise TypeError(f"pipeline factory for {name!r} is not callable")
    if not group or not isinstance(group, str):
        raise ValueError(f"group must be a non-empty string, got {group!r}")
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"pipeline {name!r} is already registered")
    if space is None:
        space = getattr(factory, "space", None)
    if space is not None:
        space = check_space(name, factory, space)
    return _add(name, factory, summary, source, group, space)


def _add(name, factory, summary, source, group, space) -> PipelineInfo:
    doc = inspect.cleandoc(factory.__doc__ or "")
    summary = summary or (doc.splitlines()[0] if doc else name)
    if space is not None:  # the caller's lists and estimators stay theirs
        space = MappingProxyType(copy_space(space))
    entry = PipelineInfo(name, factory, summary, source, group, space)
    _REGISTRY[name] = entry
    _UNCHECKED.discard(name)
    return entry


def unregister(name: str) -> None:
    """Remove ``name`` from the registry (a no-op if absent)."""
    _REGISTRY.pop(name, None)
    _UNCHECKED.discard(name)


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    load_plugins(
        ENTRY_POINT_GROUP,
        "pipeline",
        _REGISTRY,
        lambda name, obj, source: register(name, obj, source=source),
    )


def available(group: str | None = None) -> list[str]:
    """Registered pipeline names, the built-in ones first, then plugins.

    The first call loads the plugins (the entry points of the group
    ``mnistbench.pipelines``); a plugin that fails to load, or whose name is
    taken, is left out with a ``RuntimeWarning``.

    Parameters
    ----------
    group : str, optional
        Only the names of this group (see :func:`groups`); default all.

    Returns
    -------
    list of str
        In registration order.

    Raises
    ------
    UnknownPipelineError
        No registered pipeline is in ``group``.

    See Also
    --------
    groups, info, get

    Examples
    --------
    >>> from mnistbench import pipelines
    >>> pipelines.available()[:5]
    ['logreg', 'svm', 'rf', 'knn', 'pca_mlp']
    >>> pipelines.available(group="sota")
    ['deskew_knn', 'hog_knn', 'deskew_svm', 'hog_svm']
    """
    _load_plugins()
    if group is None:
        return list(_REGISTRY)
    names = [name for name, entry in _REGISTRY.items() if entry.group == group]
    if not names:
        raise UnknownPipelineError(
            f"unknown pipeline group {group!r}; valid groups: {', '.join(groups())}"
        )
    return names


def groups() -> list[str]:
    """The groups of the registered pipelines, in order of first appearance.

    ``mnistbench run --all`` runs the ``core`` group (the five classic
    baselines, and plugins); ``--group NAME`` runs another one.

    Returns
    -------
    list of str

    See Also
    --------
    available : The names of a group's pipelines.

    Examples
    --------
    >>> from mnistbench import pipelines
    >>> pipelines.groups()
    ['core', 'sota', 'sota-plus', 'sota-long']
    """
    _load_plugins()
    return list(dict.fromkeys(entry.group for entry in _REGISTRY.values()))


def info(name: str) -> PipelineInfo:
    """The registry entry of ``name``.

    Parameters
    ----------
    name : str
        A registered pipeline name (see :func:`available`).

    Returns
    -------
    PipelineInfo
        Its name, factory, one-line summary, source (``"mnistbench"``,
        ``"user"`` or the plugin), group and search space (a read-only
        mapping, or None).

    Raises
    ------
    UnknownPipelineError
        ``name`` is not registered.

    Examples
    --------
    >>> from mnistbench import pipelines
    >>> entry = pipelines.info("svm")
    >>> entry.summary
    'RBF-kernel support vector machine on the first 60 principal components.'
    >>> entry.group, entry.source
    ('core', 'mnistbench')
    >>> pipelines.info("svn")
    Traceback (most recent call last):
        ...
    mnistbench.pipelines.UnknownPipelineError: unknown pipeline 'svn'; valid names: ...
    """
    _load_plugins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownPipelineError(
            f"unknown pipeline {name!r}; valid names: {', '.join(_REGISTRY)}"
        ) from None


def describe(name: str) -> str:
    """The pipeline's documentation: its factory's docstring.

    For the built-in pipelines it says what changed from the classic
    configuration, why, and the published result it compares to.

    Parameters
    ----------
    name : str
        A registered pipeline name (see :func:`available`).

    Returns
    -------
    str
        The factory's docstring, dedented (its summary if it has none).

    Raises
    ------
    UnknownPipelineError
        ``name`` is not registered.

    Examples
    --------
    >>> from mnistbench import pipelines
    >>> print(pipelines.describe("knn"))
    k-nearest neighbours (k=5, distance-weighted) on 50 principal components.
    <BLANKLINE>
    Classic configuration: k=5 on the 784 pixels, brute force. Distances on
    ...
    """
    return info(name).doc


def space(name: str) -> dict:
    """A copy of the search space of ``name``, as ``mnistbench tune`` draws from it.

    A built-in pipeline's space is checked against its pipeline on first
    use (see :func:`register`).

    Parameters
    ----------
    name : str
        A registered pipeline name (see :func:`available`).

    Returns
    -------
    dict
        Parameter names mapped to a list of candidate values or a frozen
        ``scipy.stats`` distribution, for
        ``sklearn.model_selection.ParameterSampler``; the caller's to change.

    Raises
    ------
    UnknownPipelineError
        ``name`` is not registered.
    NoSpaceError
        The pipeline was registered without a space.
    SpaceError
        A built-in space does not fit its pipeline (with this scikit-learn).

    See Also
    --------
    describe_space : The space in words.
    mnistbench.tuning.tune : Tune pipelines in their spaces.

    Examples
    --------
    >>> from mnistbench import pipelines
    >>> space = pipelines.space("knn")
    >>> list(space)
    ['reduce__n_components', 'clf__n_neighbors', 'clf__weights']
    >>> space["clf__weights"]
    ['uniform', 'distance']
    >>> pipelines.describe_space(space)[1]
    ('clf__n_neighbors', 'randint(1, 16)')
    """
    entry = info(name)
    if entry.space is None:
        raise NoSpaceError(
            f"pipeline {name!r} has no search space; register it with one: "
            f"pipelines.register({name!r}, factory, "
            "space={'clf__C': [0.1, 1, 10]}, overwrite=True), "
            "or set factory.space for a plugin"
        )
    if name in _UNCHECKED:
        check_space(name, entry.factory, entry.space)
        _UNCHECKED.discard(name)
    return copy_space(entry.space)


def get(name: str, **params) -> Pipeline:
    """A new, unfitted ``Pipeline`` for ``name``, with ``params`` set on it.

    Each call asks the registered factory for a new pipeline.

    Parameters
    ----------
    name : str
        A registered pipeline name (see :func:`available`).
    **params
        Set with ``Pipeline.set_params``, in scikit-learn's ``step__param``
        names, e.g. ``get("svm", clf__C=10)``, or whole steps, e.g.
        ``get("logreg", reduce=PCA(50))``. The steps are ``scale``,
        ``reduce`` and ``clf`` in every registered pipeline, so a name means
        the same whichever pipeline it is given to.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Unfitted.

    Raises
    ------
    UnknownPipelineError
        ``name`` is not registered, or a parameter is not one of the
        pipeline's.
    TypeError
        The factory did not return a ``Pipeline``.

    See Also
    --------
    available : The registered names.
    describe : Why a pipeline's defaults are what they are.
    space : The parameters ``mnistbench tune`` searches, and their values.

    Examples
    --------
    >>> from mnistbench import data, pipelines
    >>> pipe = pipelines.get("knn", clf__n_neighbors=3)
    >>> [step for step, _ in pipe.steps]
    ['scale', 'reduce', 'clf']
    >>> pipe.get_params()["clf__n_neighbors"]
    3
    >>> ds = data.load("mnist-sample")
    >>> pipe.fit(ds.X_train[:2000], ds.y_train[:2000]).score(ds.X_test, ds.y_test)
    0.92...
    >>> pipelines.get("knn", clf__k=3)
    Traceback (most recent call last):
        ...
    mnistbench.pipelines.UnknownPipelineError: pipeline 'knn': bad parameter (...)
    """
    entry = info(name)
    pipe = entry.factory()
    if not isinstance(pipe, Pipeline):
        raise TypeError(
            f"pipeline factory for {name!r} returned {type(pipe).__name__}, "
            "not a sklearn Pipeline"
        )
    if params:
        try:
            pipe.set_params(**params)
        except ValueError as exc:
            raise UnknownPipelineError(
                f"pipeline {name!r}: bad parameter ({exc})"
            ) from None
    return pipe


for _group, _factories in (
    (DEFAULT_GROUP, (logreg, svm, rf, knn, pca_mlp)),
    ("sota", (deskew_knn, hog_knn, deskew_svm, hog_svm)),
    ("sota-plus", (hog_svm_flips, hog_svm_flips_tta18, hog_svm_shifts)),
    ("sota-long", (hog_kmeans_svm_flips, hog_svm_rotations, hog_svm_rotations_tta)),
):
    for _factory in _factories:
        _name = _factory.__name__
        # declared as a plugin declares its own, so that registering the
        # factory again (overwrite=True) brings its space back with it
        _factory.space = SPACES[_name]
        _add(_name, _factory, None, "mnistbench", _group, _factory.space)
        _UNCHECKED.add(_name)
del _group, _factories, _factory, _name
