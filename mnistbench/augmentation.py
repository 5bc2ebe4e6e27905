"""Teach a classifier what the images may look like: augmented training copies,
virtual support vectors and test-time augmentation, as one meta-estimator.

:class:`Augmented` wraps any classifier of flattened images (a whole
pipeline, features included) and adds transformed copies of the images it
is given to ``fit``, and only those: a ``cross_val_score`` of it never trains
on a copy of a validation image. The transformations are named in
:data:`TRANSFORMS`:

``"flip"``
    the left-right mirror image. Right for clothes (a shirt seen from the
    other side is still a shirt), wrong for digits and letters (a mirrored
    2 or 3 is no digit).
``"shift"``
    the four copies moved by one pixel up, down, left and right, blank
    pixels filled with 0 (LeCun's "virtual" examples). Right for both, but
    ahead of a :class:`~mnistbench.preprocessing.Deskew` step nearly a
    no-op: deskewing centres each image by its centre of mass, so a copy
    moved by whole pixels deskews back to the original (for 98.8-100% of
    mnist-sample's digits one pixel away, 90.6-99.8% two pixels away).
``"shift2"``
    the four copies moved by two pixels up, down, left and right, blank
    pixels 0: DeCoste and Schölkopf's (2002) best virtual SVM jittered its
    digits by up to two pixels.
``"diag"``
    the four copies moved by one pixel diagonally (down and right, down and
    left, up and right, up and left), blank pixels filled with 0.
``"flip_shift"``, ``"flip_diag"``
    the mirror image's four one-pixel shifts, straight and diagonal: with
    ``"flip"``, ``"shift"`` and ``"diag"``, every one-pixel move of the image
    and of its mirror image. Clothes only, as ``"flip"``.
``"rotate"``
    the two copies turned by :data:`ROTATE_DEGREES` degrees about the
    image's centre, one each way (bilinear, blank corners 0): handwriting
    leans by that much from writer to writer, even after deskewing.

>>> from sklearn.svm import SVC
>>> from mnistbench.augmentation import Augmented
>>> model = Augmented(SVC(), train=("flip",), test=("flip",))
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _ovr_decision_function,
    check_classification_targets,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from mnistbench.preprocessing import image_shape

__all__ = [
    "ROTATE_DEGREES",
    "TRANSFORMS",
    "Augmented",
    "augment",
    "test_time_transforms",
]

#: The angle of ``"rotate"``'s two copies, in degrees (chosen by
#: cross-validation on mnist-sample's training set; see ``hog_svm_rotations``).
ROTATE_DEGREES = 12.0


def _flip(images: np.ndarray) -> list[np.ndarray]:
    return [images[:, :, ::-1]]


def _moved(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """The images moved by ``rows`` down and ``cols`` right (negative: up,
    left), the pixels moved in from outside set to 0."""
    moved = np.roll(images, (rows, cols), axis=(1, 2))
    for axis, step in ((1, rows), (2, cols)):
        if step:  # blank what rolled round
            edge = [slice(None)] * 3
            edge[axis] = slice(0, step) if step > 0 else slice(step, None)
            moved[tuple(edge)] = 0
    return moved


def _shift(images: np.ndarray) -> list[np.ndarray]:
    return [_moved(images, r, c) for r, c in ((1, 0), (-1, 0), (0, 1), (0, -1))]


def _shift2(images: np.ndarray) -> list[np.ndarray]:
    return [_moved(images, r, c) for r, c in ((2, 0), (-2, 0), (0, 2), (0, -2))]


def _diag(images: np.ndarray) -> list[np.ndarray]:
    return [_moved(images, r, c) for r, c in ((1, 1), (1, -1), (-1, 1), (-1, -1))]


def _flip_shift(images: np.ndarray) -> list[np.ndarray]:
    return _shift(images[:, :, ::-1])


def _flip_diag(images: np.ndarray) -> list[np.ndarray]:
    return _diag(images[:, :, ::-1])


def _turned(images: np.ndarray, degrees: float) -> np.ndarray:
    """The images turned by ``degrees`` (counter-clockwise as shown, rows
    down) about their centre, bilinear, what comes from outside 0."""
    angle = np.deg2rad(degrees)
    cos, sin = np.cos(angle), np.sin(angle)
    # output pixel (r, c) reads the input at centre + R (r, c) - centre, for
    # every image of the batch (axis 0 is left alone)
    matrix = np.array([[1, 0, 0], [0, cos, sin], [0, -sin, cos]])
    centre = (np.array(images.shape[1:]) - 1) / 2
    offset = np.concatenate([[0.0], centre - matrix[1:, 1:] @ centre])
    return ndimage.affine_transform(
        images, matrix, offset=offset, order=1, mode="grid-constant", cval=0.0
    )


def _rotate(images: np.ndarray) -> list[np.ndarray]:
    return [_turned(images, d) for d in (ROTATE_DEGREES, -ROTATE_DEGREES)]


#: name -> function of a batch of images (n, height, width) returning the
#: list of transformed copies of the batch.
TRANSFORMS: dict[str, Callable[[np.ndarray], list[np.ndarray]]] = {
    "flip": _flip,
    "shift": _shift,
    "shift2": _shift2,
    "diag": _diag,
    "flip_shift": _flip_shift,
    "flip_diag": _flip_diag,
    "rotate": _rotate,
}


def _check_names(names, param: str) -> tuple[str, ...]:
    if isinstance(names, str) or not isinstance(names, (tuple, list)):
        raise ValueError(
            f"{param} must be a tuple of transformation names, got {names!r}"
        )
    unknown = [name for name in names if name not in TRANSFORMS]
    if unknown:
        raise ValueError(
            f"{param}: unknown transformation {unknown[0]!r}; valid: "
            f"{', '.join(TRANSFORMS)}"
        )
    return tuple(names)


def augment(X, names, shape=None) -> list[np.ndarray]:
    """The transformed copies of the flattened images ``X``, one array (the
    same shape and dtype as ``X``) per copy, for the transformations
    ``names``; ``shape`` is the images' (height, width), None for square."""
    X = np.asarray(X)
    height, width = image_shape(X.shape[1], shape)
    images = X.reshape(len(X), height, width)
    copies = []
    for name in _check_names(names, "names"):
        copies += [c.reshape(len(X), -1) for c in TRANSFORMS[name](images)]
    return copies


def _has(attr: str):
    return lambda self: hasattr(self.estimator, attr)


class Augmented(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """A classifier of images trained on them and their transformed copies.

    ``fit(X, y)`` fits a clone of ``estimator`` on the images ``X`` and,
    for every name in ``train``, their transformed copies (same labels).
    Nothing else is ever augmented: the copies are made inside ``fit``, of
    the images it is given.

    With ``support_vectors=True``, ``estimator`` (an SVC or a pipeline ending
    in one) is first fitted on ``X`` alone, then refitted on its support
    vectors and their copies only: the *virtual support vectors* of
    Schölkopf, Burges and Vapnik (1996) and DeCoste and Schölkopf (2002),
    who took an SVM from 1.4% to 0.56% MNIST error. The other images lie
    outside the margin and their copies mostly would too, so this is much
    cheaper than augmenting everything.

    **Test-time augmentation**: for every name in ``test``, ``predict``
    averages the decision function (or the probabilities) over each image
    and its transformed copies. A result that uses it must say so.

    An estimator whose ``decision_function_shape`` is ``"ovo"`` (an SVC, or
    a pipeline ending in one) gives one value per *pair* of classes, not per
    class. ``decision_function`` keeps that shape: the mean of the pairs'
    values over the copies. ``predict`` turns each copy's pair values into
    one score per class first, as scikit-learn's ``"ovr"`` shape does (the
    votes plus a confidence below one), and averages those: an ``"ovo"``
    estimator predicts exactly what the same estimator with ``"ovr"`` does.

    Parameters
    ----------
    estimator : classifier
        What is fitted: usually a whole pipeline, features included, since
        the copies are images.
    train : tuple of str, default=("flip",)
        Transformations whose copies are added to the training images; names
        of :data:`TRANSFORMS`.
    test : tuple of str, default=()
        Transformations averaged over at prediction time; () predicts with
        the fitted estimator alone.
    support_vectors : bool, default=False
        Augment only the support vectors of a first fit (an SVC's
        ``support_``) and refit on them and their copies.
    image_shape : (int, int) or None, default=None
        (height, width) of each image; None means square; one of the two may
        be -1, as in ``numpy.reshape``.

    Attributes
    ----------
    estimator_ : classifier
        The estimator fitted on the augmented images.
    classes_ : ndarray
        The class labels.
    n_augmented_ : int
        How many images ``estimator_`` was fitted on, copies included.
    image_shape_ : (int, int)
        The image shape used.
    n_features_in_ : int
        The number of features seen in ``fit``, height * width.

    Raises
    ------
    ValueError
        In ``fit``: an unknown transformation name, features that do not
        make images of ``image_shape``, or ``support_vectors=True`` with an
        estimator that does not end in a support vector machine.

    See Also
    --------
    TRANSFORMS : The transformations, by name.
    mnistbench.pipelines.get : ``hog_svm_flips`` and ``hog_svm_shifts`` use
        virtual support vectors.

    Examples
    --------
    An SVM fitted on 300 digits, and one refitted on its support vectors and
    their one-pixel shifts (five times as many images):

    >>> from mnistbench import data
    >>> from mnistbench.augmentation import Augmented
    >>> from mnistbench.svm import SVC
    >>> ds = data.load("mnist-sample")
    >>> X, y = ds.X_train[:300], ds.y_train[:300]
    >>> plain = SVC().fit(X, y)
    >>> virtual = Augmented(SVC(), train=("shift",), support_vectors=True).fit(X, y)
    >>> len(plain.support_), virtual.n_augmented_
    (284, 1420)
    >>> for model in (plain, virtual):
    ...     print(f"{model.score(ds.X_test, ds.y_test):.2f}")
    0.83
    0.88

    With ``test``, each test image is classified by the decision function
    averaged over it and its copies (test-time augmentation):

    >>> Augmented(SVC(), train=("flip",), test=("flip", "shift"))
    Augmented(estimator=SVC(), test=('flip', 'shift'))
    """

    def __init__(
        self,
        estimator,
        train=("flip",),
        test=(),
        support_vectors: bool = False,
        image_shape=None,
    ):
        self.estimator = estimator
        self.train = train
        self.test = test
        self.support_vectors = support_vectors
        self.image_shape = image_shape

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=[np.float32, np.float64])
        check_classification_targets(y)
        _check_names(self.train, "train")
        _check_names(self.test, "test")
        self.image_shape_ = image_shape(X.shape[1], self.image_shape)
        if self.support_vectors:
            first = clone(self.estimator).fit(X, y)
            support = getattr(_final(first), "support_", None)
            if support is None:
                raise ValueError(
                    "support_vectors=True needs an estimator that ends in a "
                    f"support vector machine (support_), not {type(first).__name__}"
                )
            X, y = X[support], y[support]
            del first  # only its support vectors are needed
        copies = augment(X, self.train, self.image_shape_)
        X_all = np.concatenate([X, *copies]) if copies else X
        y_all = np.tile(y, 1 + len(copies))
        del copies  # in X_all now: memory for the refit
        self.estimator_ = clone(self.estimator).fit(X_all, y_all)
        self.classes_ = self.estimator_.classes_
        self.n_augmented_ = len(X_all)
        return self

    def _views(self, X):
        check_is_fitted(self, "estimator_")
        X = validate_data(self, X, dtype=[np.float32, np.float64], reset=False)
        return [X, *augment(X, self.test, self.image_shape_)]

    @property
    def decision_function_shape(self) -> str:
        """``"ovo"`` where ``decision_function`` gives one column per pair of
        classes (the estimator's own shape), ``"ovr"`` otherwise."""
        estimator = getattr(self, "estimator_", self.estimator)
        shape = getattr(_final(estimator), "decision_function_shape", "ovr")
        return "ovo" if shape == "ovo" else "ovr"

    @available_if(_has("decision_function"))
    def decision_function(self, X):
        """The decision function, averaged over ``X`` and its ``test`` copies,
        in the estimator's shape (one column per pair of classes for
        ``"ovo"``)."""
        return np.mean(
            [self.estimator_.decision_function(v) for v in self._views(X)], 0
        )

    def _class_scores(self, X) -> np.ndarray:
        """One score per class (one column for two classes), averaged over
        ``X`` and its ``test`` copies."""
        views = self._views(X)
        if not hasattr(self.estimator_, "decision_function"):
            return np.mean([self.estimator_.predict_proba(v) for v in views], 0)
        n_classes = len(self.classes_)
        scores = []
        for view in views:
            values = self.estimator_.decision_function(view)
            if self.decision_function_shape == "ovo" and n_classes > 2:
                # scikit-learn's SVC turns its pairs' values into "ovr"
                # scores this way; averaging those, not the pairs' values,
                # keeps the two shapes' predictions the same
                values = _ovr_decision_function(values < 0, -values, n_classes)
            scores.append(values)
        return np.mean(scores, 0)

    @available_if(_has("predict_proba"))
    def predict_proba(self, X):
        """The class probabilities, averaged over ``X`` and its ``test`` copies."""
        return np.mean([self.estimator_.predict_proba(v) for v in self._views(X)], 0)

    def predict(self, X):
        """The predicted classes; with ``test`` copies, those of the averaged
        decision function (or probabilities)."""
        check_is_fitted(self, "estimator_")
        if not self.test:
            return self.estimator_.predict(self._views(X)[0])
        scores = self._class_scores(X)
        if scores.ndim == 1:  # two classes: the sign
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


def test_time_transforms(estimator) -> tuple[str, ...]:
    """The transformations ``estimator`` (a pipeline, say) averages over at
    prediction time, through every ``Augmented`` inside it; () for none."""
    found = [estimator, *estimator.get_params(deep=True).values()]
    names = [n for v in found if isinstance(v, Augmented) for n in v.test]
    return tuple(dict.fromkeys(names))


def _final(estimator):
    """The last step of a pipeline (the estimator itself otherwise)."""
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator
