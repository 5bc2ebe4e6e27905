"""The published corrupted sets as data: MNIST-C's folders of ``.npy`` files
and Fashion-MNIST-C's IDX files, re-packed here from real MNIST digits, load
as a user's own data and as published test sets; every malformed one is a
single line naming the file."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mnistbench import data
from mnistbench.cli import cli
from mnistbench.data import _formats, _memory, _published
from mnistbench.exceptions import DataError

KEYS = ("X_train", "y_train", "X_test", "y_test")
FMNIST_C = {
    "train_images": "fmnist-c-train-ubyte.gz",
    "train_labels": "fmnist-c-train-labels-ubyte.gz",
    "test_images": "fmnist-c-test-ubyte.gz",
    "test_labels": "fmnist-c-test-labels-ubyte.gz",
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """mnist-sample (4,000 + 1,000 real MNIST digits) and its arrays as the
    published files hold them: uint8 (n, 28, 28, 1) images, uint8 labels."""
    ds = data.load("mnist-sample", data_home=tmp_path_factory.mktemp("home"))
    u8 = lambda X: np.round(X * 255).astype(np.uint8)  # noqa: E731
    arrays = {
        "train_images": u8(ds.images("train", channels=True)),
        "train_labels": ds.y_train.astype(np.uint8),
        "test_images": u8(ds.images("test", channels=True)),
        "test_labels": ds.y_test.astype(np.uint8),
    }
    return ds, arrays


def mnist_c_folder(folder: Path, arrays: dict, roles=None) -> Path:
    """MNIST-C's layout of one corruption: ``ROLE.npy`` for each role."""
    folder.mkdir(parents=True, exist_ok=True)
    for role in roles or arrays:
        np.save(folder / f"{role}.npy", arrays[role])
    return folder


def fmnist_c_folder(folder: Path, arrays: dict, gz: bool = True) -> Path:
    """Fashion-MNIST-C's layout: its four IDX files, (n, 28, 28) images."""
    folder.mkdir(parents=True, exist_ok=True)
    for role, name in FMNIST_C.items():
        array = arrays[role][..., 0] if role.endswith("images") else arrays[role]
        data.write_idx(array, folder / (name if gz else name[: -len(".gz")]))
    return folder


def assert_same(ds, reference):
    for key in KEYS:
        np.testing.assert_array_equal(getattr(ds, key), getattr(reference, key))
    assert ds.X_train.dtype == np.float32 and ds.y_test.dtype == np.int64
    assert ds.image_shape == (28, 28)
    assert ds.class_names == tuple(str(k) for k in range(10))
    # The same pixels, labels, shape and names: mnist-sample's content hash.
    assert ds.sha256 == reference.sha256


# --- as a user's own data: data.load(PATH), -d PATH --------------------------------


@pytest.mark.parametrize("channel", [True, False], ids=["n28281", "n2828"])
def test_an_mnist_c_corruption_folder_loads_as_own_data(tmp_path, sample, channel):
    reference, arrays = sample
    if not channel:
        arrays = {
            k: v[..., 0] if k.endswith("images") else v.astype(np.int64)
            for k, v in arrays.items()
        }
    folder = mnist_c_folder(tmp_path / "mnist_c" / "shear", arrays)
    ds = data.load(folder)
    assert_same(ds, reference)
    assert ds.name == f"shear@{reference.sha256[:8]}"


def test_npy_files_are_memory_mapped_not_copied(tmp_path, sample):
    folder = mnist_c_folder(tmp_path / "shear", sample[1])
    fmt, files = _formats.find_files(folder)
    raw = _formats.read(fmt, files)
    assert fmt == "npy"
    for array in (raw.X_train, raw.y_train, raw.X_test, raw.y_test):
        assert isinstance(array.base, np.memmap)


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
def test_a_fashion_mnist_c_folder_loads_as_own_data(tmp_path, sample, gz):
    reference, arrays = sample
    folder = fmnist_c_folder(tmp_path / "fashion-mnist-c", arrays, gz=gz)
    ds = data.load(folder)
    assert_same(ds, reference)
    assert ds.name.startswith("fashion-mnist-c@")


def test_fashion_mnist_c_npy_files_load_too(tmp_path, sample):
    reference, arrays = sample
    folder = tmp_path / "npy"
    folder.mkdir()
    for role, name in _formats.NPY_ROLES.items():
        np.save(
            folder / name[1], arrays[role][..., 0] if "images" in role else arrays[role]
        )
    assert_same(data.load(folder), reference)


def test_npy_images_are_judged_against_memory_before_the_float32_copy(
    tmp_path, sample, monkeypatch
):
    folder = mnist_c_folder(tmp_path / "shear", sample[1])
    monkeypatch.setattr(
        _memory, "available_memory", lambda: _memory.Available(100_000, "a test")
    )
    with pytest.raises(DataError) as exc:
        data.load(folder)
    assert f"{folder / 'train_images.npy'}: the images need 16 MB in memory" in str(
        exc.value
    )


# --- published sets -----------------------------------------------------------------


def test_published_corruptions_finds_the_sets_in_mnist_c_order(tmp_path, sample):
    ds, arrays = sample
    root = tmp_path / "mnist_c"
    test = ("test_images", "test_labels")
    variants = {
        "shear": arrays,
        "my_blur": {**arrays, "test_images": 255 - arrays["test_images"]},
        "identity": arrays,
        "canny_edges": {**arrays, "test_images": arrays["test_images"] // 2},
    }
    for name, a in variants.items():
        # Only the test files are needed (the train files may be absent).
        mnist_c_folder(root / name, a, roles=test if name != "shear" else None)
    mnist_c_folder(root / "train_only", arrays, roles=("train_images", "train_labels"))
    (root / "README.txt").write_text("MNIST-C")
    sets = data.published_corruptions(root)
    assert [s.name for s in sets] == ["identity", "shear", "canny_edges", "my_blur"]
    assert [s.path for s in sets] == [root / s.name for s in sets]
    data.check_matches(sets, ds)
    for s in sets:
        X, y = s.load()
        assert X.dtype == np.float32 and X.shape == (1000, 784)
        assert y.dtype == np.int64
        np.testing.assert_array_equal(y, ds.y_test)
        pixels = variants[s.name]["test_images"].reshape(1000, -1)
        np.testing.assert_array_equal(X, pixels.astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(sets[0].load()[0], ds.X_test)
    # One corruption's folder is a set of its own.
    (one,) = data.published_corruptions(root / "canny_edges")
    assert one == data.PublishedSet("canny_edges", root / "canny_edges")


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
def test_a_fashion_mnist_c_folder_is_one_set(tmp_path, sample, gz):
    ds, arrays = sample
    folder = fmnist_c_folder(tmp_path / "fmnist-c", arrays, gz=gz)
    for role in ("train_images", "train_labels"):  # not needed
        os.remove(folder / (FMNIST_C[role] if gz else FMNIST_C[role][:-3]))
    (s,) = data.published_corruptions(folder)
    assert (s.name, s.path) == ("fmnist-c", folder)
    s.check_matches(ds)
    X, y = s.load()
    np.testing.assert_array_equal(X, ds.X_test)
    np.testing.assert_array_equal(y, ds.y_test)


def test_check_matches_refuses_other_labels_and_sizes(tmp_path, sample):
    ds, arrays = sample
    test = ("test_images", "test_labels")
    shuffled = arrays["test_labels"].copy()
    shuffled[[12, 13]] = shuffled[[13, 12]]
    assert shuffled[12] != shuffled[13]
    small = arrays["test_images"][:, ::2, ::2]
    cases = {
        "shuffled": (
            {**arrays, "test_labels": shuffled},
            "its 1000 test labels are not those of mnist-sample's test set (first "
            "difference at index 12); these are not its corrupted copies",
        ),
        "fewer": (
            {k: v[:999] for k, v in arrays.items()},
            "999 test labels, mnist-sample's test set has 1000 images",
        ),
        "smaller": (
            {**arrays, "test_images": small},
            "images of 14x14, mnist-sample's are 28x28",
        ),
    }
    for name, (a, needle) in cases.items():
        (s,) = data.published_corruptions(mnist_c_folder(tmp_path / name, a, test))
        with pytest.raises(DataError) as exc:
            data.check_matches([s], ds)
        message = str(exc.value)
        assert message.startswith(f"{tmp_path / name}: ") and "\n" not in message
        assert needle in message and "not its corrupted copies" in message, message


def test_check_matches_reads_only_the_labels(tmp_path, sample, monkeypatch):
    ds, arrays = sample
    (s,) = data.published_corruptions(fmnist_c_folder(tmp_path / "fmc", arrays))
    read = []
    real = _published.read_idx
    monkeypatch.setattr(_published, "read_idx", lambda p: read.append(p) or real(p))
    data.check_matches(s, ds)
    assert read == [tmp_path / "fmc" / FMNIST_C["test_labels"]]
    s.load()
    assert read[1:] == [
        tmp_path / "fmc" / FMNIST_C[r] for r in ("test_images", "test_labels")
    ]


# --- malformed: one line naming the file ------------------------------------------


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def folder_with(tmp_path, sample, edits: dict) -> Path:
    """A good MNIST-C folder, then each file of ``edits`` written with what
    its function of ``sample`` gives (None: removed)."""
    folder = mnist_c_folder(tmp_path / "shear", sample[1])
    for name, make in edits.items():
        content = None if make is None else make(sample)
        if content is None:
            os.remove(folder / name)
        else:
            (folder / name).write_bytes(content)
    return folder


def pickled() -> bytes:
    objects = np.empty(1000, dtype=object)
    objects[:] = [np.zeros(3)] * 1000
    return npy_bytes(objects)


def truncated(sample) -> bytes:
    return npy_bytes(sample[1]["train_images"])[:-500]


MALFORMED = {
    "no train labels": (
        {"train_labels.npy": None},
        "train_labels.npy",
        "no train labels file; expected train_labels.npy",
    ),
    "test images without labels": (
        {"test_labels.npy": None},
        "shear",
        "no test labels file beside test_images.npy; expected test_labels.npy",
    ),
    "lengths differ": (
        {"train_labels.npy": lambda s: npy_bytes(s[1]["train_labels"][:-1])},
        "train_labels.npy",
        "3999 labels for 4000 images in train_images.npy",
    ),
    "string images": (
        {"train_images.npy": lambda s: npy_bytes(s[1]["train_images"].astype("U3"))},
        "train_images.npy",
        "<U3 array of shape (4000, 28, 28, 1); expected images",
    ),
    "float labels": (
        {"test_labels.npy": lambda s: npy_bytes(s[1]["test_labels"] + 0.5)},
        "test_labels.npy",
        "float64 array of shape (1000,); expected labels, integers",
    ),
    "flat images": (
        {"test_images.npy": lambda s: npy_bytes(s[1]["test_images"].reshape(1000, -1))},
        "test_images.npy",
        "uint8 array of shape (1000, 784); expected images",
    ),
    "three channels": (
        {
            "test_images.npy": lambda s: npy_bytes(
                np.repeat(s[1]["test_images"], 3, axis=3)
            )
        },
        "test_images.npy",
        "shape (1000, 28, 28, 3)",
    ),
    "2-D labels": (
        {"train_labels.npy": lambda s: npy_bytes(s[1]["train_labels"][:, None])},
        "train_labels.npy",
        "shape (4000, 1); expected labels",
    ),
    "pickled objects": (
        {"test_labels.npy": lambda s: pickled()},
        "test_labels.npy",
        "holds pickled Python objects",
    ),
    "truncated": (
        {"train_images.npy": truncated},
        "train_images.npy",
        "header declares shape (4000, 28, 28, 1) (3136000 bytes of data) but the "
        "file holds only 3135500",
    ),
    "trailing bytes": (
        {"test_images.npy": lambda s: npy_bytes(s[1]["test_images"]) + b"\0" * 9},
        "test_images.npy",
        "file is longer than its header declares",
    ),
    "not a .npy": (
        {"train_labels.npy": lambda s: b"label\n7\n2\n1\n"},
        "train_labels.npy",
        "not a readable .npy (the magic string is not correct",
    ),
    "empty file": (
        {"train_labels.npy": lambda s: b""},
        "train_labels.npy",
        "not a readable .npy (EOF",
    ),
    "a cut header": (
        {
            "train_labels.npy": lambda s: npy_bytes(s[1]["train_labels"])[:40],
        },
        "train_labels.npy",
        "not a readable .npy",
    ),
    "two layouts": (
        {"train-images-idx3-ubyte.gz": lambda s: gzip.compress(b"IDX")},
        "train-images-idx3-ubyte.gz",
        "(MNIST's IDX names) and train_images.npy (MNIST-C's .npy names); keep one",
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_npy_folder_is_one_line_naming_the_file(
    case, tmp_path, sample, data_home
):
    edits, name, needle = MALFORMED[case]
    folder = folder_with(tmp_path, sample, edits)
    with pytest.raises(DataError) as exc:
        data.load(folder)
    message = str(exc.value)
    assert "\n" not in message and name in message and needle in message, message
    result = CliRunner().invoke(cli, ["datasets", str(folder)])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert not (data_home / "own").exists()


def test_a_malformed_fashion_mnist_c_folder_is_one_line(tmp_path, sample):
    folder = fmnist_c_folder(tmp_path / "fmc", sample[1])
    os.remove(folder / FMNIST_C["test_labels"])
    for load in (data.load, data.published_corruptions):
        with pytest.raises(DataError, match="fmnist-c-test-labels-ubyte.gz"):
            load(folder)
    content = (folder / FMNIST_C["test_images"]).read_bytes()
    (folder / FMNIST_C["test_images"]).write_bytes(content[: len(content) // 2])
    data.write_idx(sample[1]["test_labels"], folder / FMNIST_C["test_labels"])
    with pytest.raises(DataError, match=r"fmnist-c-test-ubyte.gz: truncated gzip"):
        data.load(folder)
    (s,) = data.published_corruptions(folder)  # headers only: the set is there
    with pytest.raises(DataError, match=r"fmnist-c-test-ubyte.gz: truncated gzip"):
        s.load()


def test_an_mnist_c_root_is_not_one_dataset(tmp_path, sample):
    root = tmp_path / "mnist_c"
    for name in ("shear", "fog"):
        mnist_c_folder(root / name, sample[1], roles=("test_images", "test_labels"))
    with pytest.raises(DataError) as exc:
        data.load(root)
    assert str(exc.value) == (
        f"{root}: a folder of MNIST-C's corruptions (fog, shear), not one dataset; "
        f"give one of them, e.g. {root / 'fog'}"
    )
    with pytest.raises(DataError, match="test_images.npy: one .npy file; give the"):
        data.load(root / "fog" / "test_images.npy")


def published_cases(tmp_path: Path, sample) -> dict:
    arrays = sample[1]
    test = ("test_images", "test_labels")
    empty = tmp_path / "empty"
    empty.mkdir()
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("x")
    idx = tmp_path / "idx"  # MNIST's IDX names: a dataset, not a published set
    idx.mkdir()
    data.write_idx(arrays["test_labels"], idx / "t10k-labels-idx1-ubyte.gz")
    lonely = mnist_c_folder(tmp_path / "root" / "shear", arrays, ("test_images",))
    floats = {**arrays, "test_images": arrays["test_images"] / 255}
    differ = {**arrays, "test_labels": arrays["test_labels"][:-1]}
    pickles = tmp_path / "pickles"
    mnist_c_folder(pickles, arrays, test)
    (pickles / "test_labels.npy").write_bytes(pickled())
    cut = tmp_path / "cut"
    mnist_c_folder(cut, arrays, test)
    (cut / "test_images.npy").write_bytes(truncated(sample))
    return {
        "missing": (tmp_path / "nowhere", "nowhere: no such file or folder; expected"),
        "a file": (other / "notes.txt", "notes.txt: a file; expected MNIST-C"),
        "empty folder": (empty, "empty: no published corrupted test sets; expected"),
        "other files": (other, "other: no published corrupted test sets"),
        "mnist idx": (idx, "idx: no published corrupted test sets"),
        "images without labels": (
            lonely.parent,
            "shear/test_images.npy: no test labels beside it; expected "
            "test_labels.npy in",
        ),
        "float images": (
            mnist_c_folder(tmp_path / "floats", floats, test),
            "test_images.npy: float64 array of shape (1000, 28, 28, 1); expected "
            "uint8 images",
        ),
        "lengths differ": (
            mnist_c_folder(tmp_path / "differ", differ, test),
            "test_labels.npy: 999 labels for 1000 images in test_images.npy",
        ),
        "pickled": (pickles, "test_labels.npy: holds pickled Python objects"),
        "truncated": (cut, "cut/test_images.npy: header declares shape"),
    }


def test_a_path_without_published_sets_is_one_line(tmp_path, sample):
    for case, (path, needle) in published_cases(tmp_path, sample).items():
        with pytest.raises(DataError) as exc:
            data.published_corruptions(path)
        message = str(exc.value)
        assert needle in message and "\n" not in message, (case, message)


# --- through the command line -----------------------------------------------------


def test_mnistbench_datasets_describes_both_layouts_and_refuses_a_broken_one(
    tmp_path, sample, data_home
):
    reference, arrays = sample
    shear = mnist_c_folder(tmp_path / "mnist_c" / "shear", arrays)
    fmnist = fmnist_c_folder(tmp_path / "fashion-mnist-c", arrays)
    exe = os.path.join(os.path.dirname(sys.executable), "mnistbench")
    env = {**os.environ, "MNISTBENCH_DATA_HOME": str(data_home), "COLUMNS": "200"}

    def run(*paths):
        return subprocess.run(
            [exe, "datasets", *map(str, paths)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    proc = run(shear, fmnist)
    assert proc.returncode == 0, proc.stderr
    for name in ("shear", "fashion-mnist-c"):
        assert f"{name}@{reference.sha256[:8]}: valid" in proc.stdout
    assert proc.stdout.count("4,000 / 1,000 images") == 2
    assert proc.stdout.count("28x28 pixels") == 2
    np.save(shear / "test_labels.npy", arrays["test_labels"][:-1])
    proc = run(shear)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines == [
        f"Error: {shear / 'test_labels.npy'}: 999 labels for 1000 images in "
        "test_images.npy"
    ], proc.stderr
