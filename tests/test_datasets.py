"""Real data: the embedded mnist-sample, and Debian's Fashion-MNIST when installed."""

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from mnistbench import data

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_debian_fashion = pytest.mark.skipif(
    not (DEBIAN_FASHION / "train-images-idx3-ubyte.gz").exists(),
    reason="Debian's dataset-fashion-mnist is not installed "
    "(apt-get install -y dataset-fashion-mnist)",
)


def check_contract(ds, n_train, n_test):
    for X, y, n in ((ds.X_train, ds.y_train, n_train), (ds.X_test, ds.y_test, n_test)):
        assert X.shape == (n, 784)
        assert X.dtype == np.float32
        assert X.flags.c_contiguous
        assert X.min() >= 0.0 and X.max() <= 1.0
        assert y.shape == (n,)
        assert np.issubdtype(y.dtype, np.integer)
        assert set(np.unique(y)) == set(range(10))
    assert len(ds.class_names) == 10


def test_available_names():
    assert data.available()[:4] == ["mnist", "fashion-mnist", "kmnist", "mnist-sample"]


def test_mnist_sample_is_real_digits():
    ds = data.load("mnist-sample")
    check_contract(ds, 4000, 1000)
    # stratified: 400 / 100 of each digit
    assert np.bincount(ds.y_train).tolist() == [400] * 10
    assert np.bincount(ds.y_test).tolist() == [100] * 10
    assert ds.class_names == tuple("0123456789")
    # real MNIST statistics: ~19% of pixels lit, mean intensity ~0.13
    assert 0.12 < ds.X_train.mean() < 0.14
    assert 0.17 < (ds.X_train > 0).mean() < 0.21
    # digits are recognisable: nearest class mean does far above chance (0.1)
    centroids = np.stack([ds.X_train[ds.y_train == k].mean(0) for k in range(10)])
    dist = ((ds.X_test[:, None, :] - centroids[None]) ** 2).sum(-1)
    assert (dist.argmin(1) == ds.y_test).mean() > 0.75


def test_mnist_sample_split_is_fixed():
    a = data.load("mnist-sample")
    digest = hashlib.sha256(np.asarray(a.y_test).tobytes()).hexdigest()
    data_home = data.get_data_home()
    import shutil

    shutil.rmtree(data_home / "mnist-sample")
    b = data.load("mnist-sample")
    assert hashlib.sha256(np.asarray(b.y_test).tobytes()).hexdigest() == digest
    np.testing.assert_array_equal(a.X_train, b.X_train)


def test_images_and_one_hot():
    ds = data.load("mnist-sample")
    images = ds.images("test")
    assert images.shape == (1000, 28, 28)
    np.testing.assert_array_equal(images[7].ravel(), ds.X_test[7])
    onehot = ds.one_hot("train")
    assert onehot.shape == (4000, 10) and onehot.dtype == np.float32
    np.testing.assert_array_equal(onehot.argmax(1), ds.y_train)
    assert (onehot.sum(1) == 1).all()
    with pytest.raises(ValueError, match="split must be"):
        ds.images("validation")


def test_second_load_is_memory_mapped_and_writes_stay_private():
    data.load("mnist-sample")
    ds = data.load("mnist-sample", download=False)
    assert isinstance(ds.X_train.base, np.memmap) or isinstance(ds.X_train, np.memmap)
    original = float(ds.X_train[0, 0])
    ds.X_train[0, 0] = 0.5  # copy-on-write: allowed, never reaches the cache
    assert float(data.load("mnist-sample").X_train[0, 0]) == original


@needs_debian_fashion
def test_fashion_mnist_from_debian(data_home):
    ds = data.load("fashion-mnist", download=False)
    check_contract(ds, 60000, 10000)
    assert np.bincount(ds.y_train).tolist() == [6000] * 10
    assert np.bincount(ds.y_test).tolist() == [1000] * 10
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"
    assert str(DEBIAN_FASHION) in ds.source
    assert data.is_cached("fashion-mnist")


# Upstream's .gz files hold the same deflate streams as Debian's, with the file
# name and these timestamps in the gzip header (found by rebuilding them).
UPSTREAM_MTIME = {
    "train-images-idx3-ubyte.gz": 1504176606,
    "train-labels-idx1-ubyte.gz": 1504176606,
    "t10k-images-idx3-ubyte.gz": 1504176627,
    "t10k-labels-idx1-ubyte.gz": 1504176627,
}


@needs_debian_fashion
@pytest.mark.parametrize(
    "role", ["train_images", "train_labels", "test_images", "test_labels"]
)
def test_debian_fashion_is_upstream_bit_for_bit(role):
    """Rebuild upstream's published .gz from Debian's and check the registry's
    SHA-256 (from TensorFlow Datasets): proves both hashes in the registry."""
    rf = data.get_spec("fashion-mnist").files[role]
    debian = (DEBIAN_FASHION / rf.name).read_bytes()
    assert debian[3] == 0  # Debian's header: no flags, 10 bytes
    stem = rf.name[: -len(".gz")].encode()
    upstream = (
        b"\x1f\x8b\x08\x08"
        + struct.pack("<I", UPSTREAM_MTIME[rf.name])
        + b"\x00\x03"
        + stem
        + b"\x00"
        + debian[10:]
    )
    assert hashlib.sha256(upstream).hexdigest() == rf.sha256
    assert len(upstream) == rf.size
    payload = gzip.decompress(debian)
    assert hashlib.sha256(payload).hexdigest() == rf.payload_sha256
