"""Choose the built-in pipelines' defaults on the training set, never the test set.

Default mode: splits the *training* set of a dataset (stratified, seed 0) into
a fit part and a validation part, fits each candidate configuration on the fit
part with one thread (as in `mnistbench run`, where two jobs share two cores)
and scores it on the validation part. The test set is not loaded.

    python benchmarks/tune_defaults.py --dataset fashion-mnist \
        --out results/tuning/fashion-mnist-validation.csv

`--fit-size N` fits on a stratified subsample of N images of the fit part
(same validation part), to rank many candidates quickly before the finalists
are scored on the whole fit part.

`--cv K` instead scores each candidate by stratified K-fold cross-validation
over the whole training set (mean and spread of the fold accuracies), for
choices too close to call on one split; `--jobs 2` runs two fits at a time.

    python benchmarks/tune_defaults.py --cv 5 --jobs 2 --only logreg \
        --out results/tuning/fashion-mnist-cv5.csv

Candidates are listed in CANDIDATES below (a ``SharedFit`` scores several
prediction settings of one fit); `--only svm` runs one pipeline's,
`--match TEXT` only the candidates whose label contains TEXT.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.ensemble import (
    ExtraTreesClassifier,
    RandomForestClassifier,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from mnistbench import bench, data, engines, pipelines
from mnistbench._io import atomic_write_text
from mnistbench._text import csv_text
from mnistbench.augmentation import Augmented
from mnistbench.preprocessing import HOG, Deskew, GrayLevels, image_shape
from mnistbench.svm import SVC as BlasSVC


def _pixels_and_pca(k):
    return FeatureUnion([("pixels", "passthrough"), ("pca", PCA(k, random_state=0))])


def _hog_and_pixels(k, weight):
    return pipelines.hog_and_pixels(k, weight).set_params(
        hog__pca__random_state=0, pixels__random_state=0
    )


def _seeded(name):
    pipe = pipelines.get(name)
    return pipe.set_params(
        **{k: 0 for k, v in pipe.get_params().items() if k.endswith("random_state")}
    )


def _hog_svm(c):
    # mnistbench's SVC: libsvm's fit and predictions, predicted with BLAS
    return make_pipeline(_hog_and_pixels(100, 0.4), BlasSVC(C=c, cache_size=1000))


def _digits_svm(deskew, blocks):
    features = _hog_and_pixels(100, 0.4).set_params(
        hog__extract__cells_per_block=(blocks, blocks)
    )
    steps = [Deskew()] if deskew else []
    return make_pipeline(*steps, features, BlasSVC(C=10.0, cache_size=1000))


def _multiscale_hog_and_pixels(k, weight):
    features = _hog_and_pixels(k, weight)
    return features.set_params(
        hog__extract=FeatureUnion(
            [("cells4", HOG()), ("cells7", HOG(pixels_per_cell=(7, 7)))]
        )
    )


class _KMeansFeatures(TransformerMixin, BaseEstimator):
    """Coates and Ng (2011)'s single-layer network: k-means centroids of
    normalised, ZCA-whitened 5x5 patches; each patch position encoded by the
    "triangle" activation max(0, mean distance - distance to centroid k);
    sum-pooled over the image's four quadrants (4 * n_centroids features)."""

    def __init__(self, n_centroids=200, patch=5, n_patches=100_000, random_state=0):
        self.n_centroids = n_centroids
        self.patch = patch
        self.n_patches = n_patches
        self.random_state = random_state

    def _patches(self, images):
        windows = np.lib.stride_tricks.sliding_window_view(
            images, (self.patch, self.patch), axis=(1, 2)
        )
        flat = windows.reshape(-1, self.patch * self.patch).astype(np.float32)
        flat = flat - flat.mean(axis=1, keepdims=True)
        flat /= np.sqrt(flat.var(axis=1, keepdims=True) + 10 / 255**2)
        return flat

    def fit(self, X, y=None):
        rng = np.random.default_rng(self.random_state)
        self.image_shape_ = image_shape(X.shape[1])
        images = np.asarray(X).reshape(-1, *self.image_shape_)
        picks = rng.choice(len(images), min(len(images), self.n_patches // 50))
        sample = self._patches(images[picks])
        sample = sample[rng.choice(len(sample), self.n_patches, replace=False)]
        self.mean_ = sample.mean(axis=0)
        values, vectors = np.linalg.eigh(np.cov(sample - self.mean_, rowvar=False))
        self.whiten_ = (vectors / np.sqrt(values + 0.1)) @ vectors.T
        kmeans = MiniBatchKMeans(
            self.n_centroids, random_state=self.random_state, n_init=3
        ).fit((sample - self.mean_) @ self.whiten_)
        self.centroids_ = kmeans.cluster_centers_.astype(np.float32)
        return self

    def transform(self, X, step=200):
        images = np.asarray(X).reshape(-1, *self.image_shape_)
        rows, cols = (side - self.patch + 1 for side in self.image_shape_)
        out = np.empty((len(images), 4 * self.n_centroids), dtype=np.float32)
        c_norms = (self.centroids_**2).sum(axis=1)
        for start in range(0, len(images), step):
            chunk = images[start : start + step]
            z = (self._patches(chunk) - self.mean_) @ self.whiten_
            d2 = (z**2).sum(axis=1)[:, None] + c_norms - 2 * z @ self.centroids_.T
            dist = np.sqrt(np.maximum(d2, 0))
            act = np.maximum(dist.mean(axis=1, keepdims=True) - dist, 0)
            act = act.reshape(len(chunk), rows, cols, -1)
            quads = [
                act[:, r, c].sum(axis=(1, 2))
                for r in (slice(0, rows // 2), slice(rows // 2, None))
                for c in (slice(0, cols // 2), slice(cols // 2, None))
            ]
            out[start : start + step] = np.concatenate(quads, axis=1)
        return out


class SharedFit(NamedTuple):
    """Candidates that differ only in what is set after the fit (e.g. an
    ``Augmented``'s ``test``): one fit, one row per entry of ``then``, whose
    key is appended to the candidate's label."""

    factory: object
    then: dict


def _vsv_shared_fit(train, tests) -> SharedFit:
    """One fit of hog_svm's features and SVC (C=10, tol=1e-2) on its support
    vectors and their ``train`` copies, scored with each test-time set of
    ``tests``."""
    return SharedFit(
        lambda: Augmented(
            _hog_svm(10.0).set_params(svc__tol=1e-2),
            train=train,
            support_vectors=True,
        ),
        {f", TTA {'+'.join(test)}": {"test": test} for test in tests},
    )


CANDIDATES = {
    "logreg": {
        "peer": bench.peer_logreg,
        "pixels C=1 tol=1e-3": lambda: LogisticRegression(max_iter=500, tol=1e-3),
        **{
            f"PCA{k} whitened C={c}": (
                lambda k=k, c=c: make_pipeline(
                    PCA(k, whiten=True, random_state=0),
                    LogisticRegression(C=c, max_iter=500),
                )
            )
            for k in (150, 200, 300)
            for c in (0.3, 1.0, 3.0)
        },
        **{
            f"PCA{k} C={c}": (
                lambda k=k, c=c: make_pipeline(
                    PCA(k, random_state=0), LogisticRegression(C=c, max_iter=500)
                )
            )
            for k, c in [(200, 1.0), (300, 1.0)]
            + [(k, c) for k in (150, 200) for c in (0.1, 0.3, 0.5, 3.0)]
        },
    },
    "svm": {
        **{
            f"PCA{k} C={c}": (
                lambda k=k, c=c: make_pipeline(
                    PCA(k, random_state=0), SVC(C=c, cache_size=1000)
                )
            )
            for k in (40, 50, 60)
            for c in (5.0, 10.0, 20.0)
        },
    },
    "rf": {
        "peer's random forest, one thread": lambda: RandomForestClassifier(
            100, random_state=0
        ),
        "random forest, max_features=16": lambda: RandomForestClassifier(
            100, max_features=16, random_state=0
        ),
        "random forest, max_samples=0.5": lambda: RandomForestClassifier(
            100, max_samples=0.5, random_state=0
        ),
        "random forest, pixels+PCA50": lambda: make_pipeline(
            _pixels_and_pca(50), RandomForestClassifier(100, random_state=0)
        ),
        "extra trees, pixels+PCA100": lambda: make_pipeline(
            _pixels_and_pca(100), ExtraTreesClassifier(100, random_state=0)
        ),
        **{
            f"random forest, {q} gray levels, {crit}, max_features={mf}": (
                lambda q=q, mf=mf, crit=crit: make_pipeline(
                    GrayLevels(q),
                    RandomForestClassifier(
                        100, criterion=crit, max_features=mf, random_state=0
                    ),
                )
            )
            for q, crit, mf in [
                (8, "gini", "sqrt"),
                (16, "gini", "sqrt"),
                (16, "gini", 20),
                (16, "entropy", "sqrt"),
                (16, "entropy", 20),
                (32, "gini", "sqrt"),
            ]
        },
        **{
            f"random forest, 16 gray levels, no bootstrap, {crit}, max_features={mf}": (
                lambda mf=mf, crit=crit: make_pipeline(
                    GrayLevels(16),
                    RandomForestClassifier(
                        100,
                        bootstrap=False,
                        criterion=crit,
                        max_features=mf,
                        random_state=0,
                    ),
                )
            )
            for crit, mf in [
                ("gini", "sqrt"),
                ("gini", 20),
                ("gini", 16),
                ("entropy", "sqrt"),
                ("entropy", 20),
                ("entropy", 16),
            ]
        },
        # Cheaper variants of the chosen forest (16 levels, no bootstrap,
        # entropy, 16 pixels per split): fewer pixels per split, fewer levels,
        # fewer trees, or no splits of the smallest nodes.
        **{
            f"random forest, {q} gray levels, no bootstrap, entropy, "
            f"max_features={mf}, {n} trees, min_samples_leaf={leaf}": (
                lambda q=q, mf=mf, n=n, leaf=leaf: make_pipeline(
                    GrayLevels(q),
                    RandomForestClassifier(
                        n,
                        bootstrap=False,
                        criterion="entropy",
                        max_features=mf,
                        min_samples_leaf=leaf,
                        random_state=0,
                    ),
                )
            )
            for q, mf, n, leaf in [
                (16, 16, 100, 1),
                (16, 12, 100, 1),
                (16, 10, 100, 1),
                (8, 16, 100, 1),
                (16, 16, 80, 1),
                (16, 16, 100, 2),
            ]
        },
    },
    "knn": {
        "peer": bench.peer_knn,
        **{
            f"PCA{k} k={n} {w}": (
                lambda k=k, n=n, w=w: make_pipeline(
                    PCA(k, random_state=0),
                    KNeighborsClassifier(n, weights=w, algorithm="brute"),
                )
            )
            for k in (30, 40, 50, 80)
            for n in (5, 8)
            for w in ("uniform", "distance")
        },
    },
    "deskew_knn": {
        **{
            f"deskew PCA{k} k={n}": (
                lambda k=k, n=n: make_pipeline(
                    Deskew(),
                    PCA(k, random_state=0),
                    KNeighborsClassifier(n, weights="distance", algorithm="brute"),
                )
            )
            for k in (40, 50)
            for n in (4, 6)
        },
    },
    "deskew_svm": {
        **{
            f"deskew PCA{k} C={c}": (
                lambda k=k, c=c: make_pipeline(
                    Deskew(), PCA(k, random_state=0), SVC(C=c, cache_size=1000)
                )
            )
            for k in (50, 60)
            for c in (10.0, 20.0)
        },
    },
    "hog_knn": {
        **{
            f"HOG{ppc} PCA{k} k=6": (
                lambda ppc=ppc, k=k: make_pipeline(
                    HOG(pixels_per_cell=(ppc, ppc)),
                    PCA(k, random_state=0),
                    KNeighborsClassifier(6, weights="distance", algorithm="brute"),
                )
            )
            for ppc in (4, 7)
            for k in (50, 100)
        },
        "HOG4 PCA100 + pixels PCA60 w=0.4 k=6": lambda: make_pipeline(
            _hog_and_pixels(100, 0.4),
            KNeighborsClassifier(6, weights="distance", algorithm="brute"),
        ),
    },
    "hog_svm": {
        **{
            f"HOG{ppc} PCA{k} C=10": (
                lambda ppc=ppc, k=k: make_pipeline(
                    HOG(pixels_per_cell=(ppc, ppc)),
                    PCA(k, random_state=0),
                    SVC(C=10.0, cache_size=1000),
                )
            )
            for ppc in (4, 7)
            for k in (60, 100, 200)
        },
        "HOG4 PCA200 C=20": lambda: make_pipeline(
            HOG(), PCA(200, random_state=0), SVC(C=20.0, cache_size=1000)
        ),
        "HOG4 orientations=12 PCA200 C=10": lambda: make_pipeline(
            HOG(orientations=12), PCA(200, random_state=0), SVC(C=10.0, cache_size=1000)
        ),
        "HOG4 3x3 blocks PCA200 C=10": lambda: make_pipeline(
            HOG(cells_per_block=(3, 3)),
            PCA(200, random_state=0),
            SVC(C=10.0, cache_size=1000),
        ),
        **{
            f"HOG4 PCA{k} + pixels PCA60 w={w} C=10": (
                lambda k=k, w=w: make_pipeline(
                    _hog_and_pixels(k, w), SVC(C=10.0, cache_size=1000)
                )
            )
            for k, w in [(150, 0.3), (150, 0.4), (150, 0.5), (100, 0.4)]
        },
        # gamma="scale" is 0.040 on these features (Fashion-MNIST's fit part)
        **{
            f"HOG4 PCA100 + pixels PCA60 w=0.4 C={c} gamma={g}": (
                lambda c=c, g=g: make_pipeline(
                    _hog_and_pixels(100, 0.4), BlasSVC(C=c, gamma=g, cache_size=1000)
                )
            )
            for c in (10.0, 30.0)
            for g in (0.02, 0.04, 0.08)
        },
        "deskew, HOG4 PCA150 + pixels PCA60 w=0.4 C=10": lambda: make_pipeline(
            Deskew(), _hog_and_pixels(150, 0.4), SVC(C=10.0, cache_size=1000)
        ),
    },
    "hog_svm_flips": {
        # Augmentation and test-time augmentation (TTA) around hog_svm's
        # features and SVC; "VSV" refits on the support vectors and their
        # copies only. Copies are made inside fit, of the fit part only.
        **{
            f"{label} C={c}": (
                lambda train=train, test=test, vsv=vsv, c=c: Augmented(
                    _hog_svm(c), train=train, test=test, support_vectors=vsv
                )
            )
            for label, train, test, vsv in [
                ("no augmentation", (), (), False),
                ("TTA flip", (), ("flip",), False),
                ("train flip", ("flip",), (), False),
                ("train flip, TTA flip", ("flip",), ("flip",), False),
                ("train shift", ("shift",), (), False),
                ("VSV flip", ("flip",), (), True),
                ("VSV flip, TTA flip", ("flip",), ("flip",), True),
                ("VSV shift", ("shift",), (), True),
                ("VSV flip+shift", ("flip", "shift"), (), True),
                ("VSV flip+shift, TTA flip", ("flip", "shift"), ("flip",), True),
                ("TTA shift", (), ("shift",), False),
                ("VSV shift, TTA shift", ("shift",), ("shift",), True),
                ("VSV flip, TTA flip+shift", ("flip",), ("flip", "shift"), True),
                ("train flip, TTA flip+shift", ("flip",), ("flip", "shift"), False),
                (
                    "VSV flip+shift, TTA flip+shift",
                    ("flip", "shift"),
                    ("flip", "shift"),
                    True,
                ),
            ]
            for c in (10.0,)
        },
        "VSV flip+shift, TTA flip+shift C=10.0 tol=1e-2": lambda: Augmented(
            _hog_svm(10.0).set_params(svc__tol=1e-2),
            train=("flip", "shift"),
            test=("flip", "shift"),
            support_vectors=True,
        ),
        # tol=1e-2 fits 13% faster at the same accuracy (above); one fit,
        # then test-time augmentation with and without the diagonal shifts,
        # and with the mirror image's shifts too (14 and 18 test-time views)
        "VSV flip+shift C=10.0 tol=1e-2": _vsv_shared_fit(
            ("flip", "shift"),
            [
                ("flip", "shift"),
                ("flip", "shift", "diag"),
                ("flip", "shift", "diag", "flip_shift"),
                ("flip", "shift", "diag", "flip_shift", "flip_diag"),
            ],
        ),
        # diagonal shifts among the training copies too, test-time copies as
        # chosen and with the diagonal shifts dropped
        "VSV flip+shift+diag C=10.0 tol=1e-2": _vsv_shared_fit(
            ("flip", "shift", "diag"),
            [("flip", "shift"), ("flip", "shift", "diag")],
        ),
        # the chosen training and test-time copies, around other C and gamma
        # (hog_svm's gamma="scale" is about 0.046 on the refit's features)
        **{
            f"VSV flip+shift C={c} gamma={g} tol=1e-2, TTA flip+shift+diag": (
                lambda c=c, g=g: Augmented(
                    _hog_svm(c).set_params(svc__tol=1e-2, svc__gamma=g),
                    train=("flip", "shift"),
                    test=("flip", "shift", "diag"),
                    support_vectors=True,
                )
            )
            for c, g in [
                (10.0, "scale"),
                (5.0, "scale"),
                (20.0, "scale"),
                (10.0, 0.02),
                (10.0, 0.03),
                (20.0, 0.03),
            ]
        },
        "VSV flip+shift, TTA flip C=20.0": lambda: Augmented(
            _hog_svm(20.0),
            train=("flip", "shift"),
            test=("flip",),
            support_vectors=True,
        ),
        **{
            f"Nystroem {n} RBF features, {label}, logistic regression": (
                lambda n=n, train=train: Augmented(
                    make_pipeline(
                        _hog_and_pixels(100, 0.4),
                        StandardScaler(),
                        Nystroem(n_components=n, random_state=0),
                        LogisticRegression(C=1.0, max_iter=300),
                    ),
                    train=train,
                )
            )
            for n in (2000,)
            for label, train in [("no augmentation", ()), ("train flip", ("flip",))]
        },
        **{
            f"k-means features (Coates-Ng, {k} centroids, 5x5 patches, "
            f"4 quadrants) + {label}": (
                lambda k=k, clf=clf: make_pipeline(
                    _KMeansFeatures(n_centroids=k), StandardScaler(), clf()
                )
            )
            for k in (200, 400)
            for label, clf in [
                (
                    "logistic regression C=0.01",
                    lambda: LogisticRegression(C=0.01, max_iter=500),
                ),
                ("RBF SVC C=10", lambda: BlasSVC(C=10.0, cache_size=1000)),
            ]
        },
        "hard voting: hog_svm, hog_knn, pca_mlp": lambda: VotingClassifier(
            [(name, _seeded(name)) for name in ("hog_svm", "hog_knn", "pca_mlp")]
        ),
        "stacking (3-fold): hog_svm, hog_knn, pca_mlp -> logistic regression": (
            lambda: StackingClassifier(
                [(name, _seeded(name)) for name in ("hog_svm", "hog_knn", "pca_mlp")],
                final_estimator=LogisticRegression(max_iter=1000),
                cv=3,
            )
        ),
        **{
            f"multi-scale HOG (4+7) PCA{k} + pixels PCA60 w=0.4 C=10": (
                lambda k=k: make_pipeline(
                    _multiscale_hog_and_pixels(k, 0.4), SVC(C=10.0, cache_size=1000)
                )
            )
            for k in (100, 150)
        },
    },
    "hog_svm_shifts": {
        # For digits: shifts only (a mirrored digit is no digit), on
        # deskewed images or not, with 2x2- or 3x3-cell HOG blocks.
        **{
            f"{deskew}HOG4 {blocks}x{blocks} blocks, {label} C=10": (
                lambda deskew=deskew, blocks=blocks, train=train, test=test, vsv=vsv: (
                    Augmented(
                        _digits_svm(bool(deskew), blocks),
                        train=train,
                        test=test,
                        support_vectors=vsv,
                    )
                )
            )
            for deskew in ("", "deskew, ")
            for blocks in (2, 3)
            for label, train, test, vsv in [
                ("no augmentation", (), (), False),
                ("train shift", ("shift",), (), False),
                ("VSV shift", ("shift",), (), True),
                ("train shift, TTA shift", ("shift",), ("shift",), False),
            ]
        },
    },
    "pca_mlp": {
        "peer": bench.peer_pca_mlp,
        **{
            f"PCA{k} std MLP{h} early stopping": (
                lambda k=k, h=h: make_pipeline(
                    PCA(k, random_state=0),
                    StandardScaler(),
                    MLPClassifier((h,), early_stopping=True, random_state=0),
                )
            )
            for k in (50, 100)
            for h in (256, 512)
        },
    },
}


def _fit_score(factory, threads, X_fit, y_fit, X_val, y_val, then, engine="sklearn"):
    """(fit_s, predict_s, accuracy) of one fit, once per parameter set in
    ``then``, set on the fitted model before it predicts; with ``engine``'s
    estimators, as ``mnistbench run --engine`` converts them."""
    warnings.simplefilter("ignore")  # convergence notes of the peer's solvers
    model = engines.convert(Pipeline([("model", factory())]), engine)
    scores = []
    # as in a job of `mnistbench run`: BLAS and joblib held to `threads`
    with threadpool_limits(threads), parallel_config(n_jobs=threads):
        start = time.perf_counter()
        model.fit(X_fit, y_fit)
        fit_s = time.perf_counter() - start
        for params in then:
            model.set_params(**{f"model__{k}": v for k, v in params.items()})
            start = time.perf_counter()
            accuracy = float((model.predict(X_val) == y_val).mean())
            scores.append((fit_s, time.perf_counter() - start, accuracy))
    return scores


def _shared_fit(candidate):
    """(factory, {label suffix: parameters set after the fit}) of a
    candidate: a factory alone, or a ``SharedFit``."""
    if isinstance(candidate, SharedFit):
        return candidate.factory, candidate.then
    return candidate, {"": {}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--val-size", type=int, default=10_000)
    parser.add_argument("--fit-size", type=int, default=None, metavar="N")
    parser.add_argument("--cv", type=int, default=None, metavar="K")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="fits at a time")
    parser.add_argument("--only", action="append", choices=list(CANDIDATES))
    parser.add_argument("--match", action="append", default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--engine",
        default="sklearn",
        choices=engines.ENGINES,
        help="run the candidates' estimators as `mnistbench run --engine` does; "
        "the label then ends in [engine]",
    )
    args = parser.parse_args(argv)
    if args.cv is not None and args.cv < 2:
        parser.error("--cv needs at least 2 folds")

    ds = data.load(args.dataset, download=False)
    X, y = np.asarray(ds.X_train), ds.y_train
    if args.cv is None:  # one split: the same one for every candidate
        folds = [
            train_test_split(
                np.arange(len(y)), test_size=args.val_size, stratify=y, random_state=0
            )
        ]
        if args.fit_size is not None:  # a stratified subsample of the fit part
            fit, val = folds[0]
            fit, _ = train_test_split(
                fit, train_size=args.fit_size, stratify=y[fit], random_state=0
            )
            folds = [(fit, val)]
    else:
        folds = list(StratifiedKFold(args.cv, shuffle=True, random_state=0).split(X, y))

    fits = [
        (pipeline, label, *_shared_fit(candidate))
        for pipeline in args.only or CANDIDATES
        for label, candidate in CANDIDATES[pipeline].items()
        if not args.match or any(m in label for m in args.match)
    ]
    scores = Parallel(n_jobs=args.jobs)(
        delayed(_fit_score)(
            factory,
            args.threads,
            X[fit],
            y[fit],
            X[val],
            y[val],
            then.values(),
            args.engine,
        )
        for _, _, factory, then in fits
        for fit, val in folds
    )
    engine = "" if args.engine == "sklearn" else f" [{args.engine}]"
    tasks = [  # one row per (fit, prediction setting)
        (pipeline, f"{label}{suffix}{engine}", i, k)
        for i, (pipeline, label, _, then) in enumerate(fits)
        for k, suffix in enumerate(then)
    ]
    rows = []
    for pipeline, label, i, k in tasks:
        fit_s, predict_s, acc = np.array(
            [s[k] for s in scores[i * len(folds) : (i + 1) * len(folds)]]
        ).T
        row = {
            "dataset": args.dataset,
            "pipeline": pipeline,
            "candidate": label,
            "n_fit": len(folds[0][0]),
            "n_val": len(folds[0][1]),
            "threads": args.threads,
            "fit_s": round(float(fit_s.mean()), 2),
            "predict_s": round(float(predict_s.mean()), 2),
        }
        if args.cv is None:
            row["val_accuracy"] = float(acc[0])
            summary = f"val accuracy {acc[0]:.4f}"
        else:
            row.update(
                folds=args.cv,
                cv_accuracy_mean=round(float(acc.mean()), 5),
                cv_accuracy_std=round(float(acc.std(ddof=1)), 5),
                fold_accuracies=" ".join(f"{a:.4f}" for a in acc),
            )
            summary = f"cv accuracy {acc.mean():.4f} +- {acc.std(ddof=1):.4f}"
        rows.append(row)
        print(
            f"{pipeline:8s} {label:52s} fit {row['fit_s']:7.2f} s  "
            f"predict {row['predict_s']:6.2f} s  {summary}",
            flush=True,
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        frame = pd.DataFrame(rows)
        if args.out.exists():
            old = pd.read_csv(args.out)
            new = set(zip(frame["pipeline"], frame["candidate"]))
            keep = [pc not in new for pc in zip(old["pipeline"], old["candidate"])]
            frame = pd.concat([old[keep], frame])
        atomic_write_text(args.out, csv_text(frame))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
