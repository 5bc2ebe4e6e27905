"""A user's own data: each format re-packed from real data loads to the same
arrays and accuracies; every bad input is one clear line, and leaves nothing
cached and nothing in the leaderboard."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import make_arrays, write_files

from mnistbench import data, pipelines, runner
from mnistbench.cli import cli
from mnistbench.exceptions import DataError

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_debian_fashion = pytest.mark.skipif(
    not (DEBIAN_FASHION / "train-images-idx3-ubyte.gz").exists(),
    reason="Debian's dataset-fashion-mnist is not installed",
)
KEYS = ("X_train", "y_train", "X_test", "y_test")


def as_uint8(ds):
    """A dataset's arrays as the files hold them: uint8 images, labels."""
    u8 = lambda X: np.round(X * 255).astype(np.uint8)  # noqa: E731
    return (
        u8(ds.images("train")),
        ds.y_train.astype(np.uint8),
        u8(ds.images("test")),
        ds.y_test.astype(np.uint8),
    )


def write_csv(path: Path, images, labels, header: bool) -> Path:
    frame = pd.DataFrame(images.reshape(len(images), -1))
    frame.columns = [f"pixel{i}" for i in range(frame.shape[1])]
    frame.insert(0, "label", labels)
    frame.to_csv(path, index=False, header=header)
    return path


def repack(ds, folder: Path) -> dict[str, Path]:
    """``ds`` written in every format a user may have it in."""
    X_train, y_train, X_test, y_test = as_uint8(ds)
    out = {}
    gz = write_files(
        folder / "idx-gz",
        {
            "train_images": X_train,
            "train_labels": y_train,
            "test_images": X_test,
            "test_labels": y_test,
        },
    )
    out["idx-gz"] = gz["train_images"].parent
    raw = folder / "idx-7zip"  # 7-zip's spelling, not compressed
    raw.mkdir()
    for array, name in (
        (X_train, "train-images.idx3-ubyte"),
        (y_train, "train-labels.idx1-ubyte"),
        (X_test, "t10k-images.idx3-ubyte"),
        (y_test, "t10k-labels.idx1-ubyte"),
    ):
        data.write_idx(array, raw / name)
    out["idx-7zip"] = raw
    out["npz"] = folder / "mnist.npz"
    np.savez(out["npz"], x_train=X_train, y_train=y_train, x_test=X_test, y_test=y_test)
    for header in (True, False):
        key = "csv-header" if header else "csv"
        (folder / key).mkdir()
        write_csv(folder / key / "train.csv", X_train, y_train, header)
        write_csv(folder / key / "test.csv", X_test, y_test, header)
        out[key] = folder / key
    # The class names travel beside the files: then every copy has the
    # registered dataset's content hash.
    for path in out.values():
        where = path if path.is_dir() else path.parent
        (where / "classes.txt").write_text("\n".join(ds.class_names) + "\n")
    return out


def assert_same_data(ds, reference):
    for key in KEYS:
        np.testing.assert_array_equal(getattr(ds, key), getattr(reference, key))
    assert ds.class_names == tuple(str(k) for k in range(10))
    assert ds.image_shape == (28, 28)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64


def test_mnist_sample_in_every_format_loads_and_scores_the_same(tmp_path):
    reference = data.load("mnist-sample")
    paths = repack(reference, tmp_path)
    loaded = {key: data.load(path) for key, path in paths.items()}
    for key, ds in loaded.items():
        assert_same_data(ds, reference)
        # The content hash does not depend on the format, and is the
        # registered dataset's: the same pixels, labels, shape and names.
        assert ds.sha256 == reference.sha256, key
        assert ds.name == f"{paths[key].stem}@{reference.sha256[:8]}"
    pair = data.load(f"{paths['csv'] / 'train.csv'},{paths['csv'] / 'test.csv'}")
    assert pair.sha256 == reference.sha256
    summary = runner.run(
        ["knn"],
        datasets=["mnist-sample", *paths.values()],
        out=tmp_path / "results",
        plots=False,
    )
    assert summary.ok
    rows = summary.rows
    assert rows["accuracy"].nunique() == 1, rows[["dataset", "accuracy"]]
    assert set(rows["data_sha256"]) == {reference.sha256}
    assert rows["dataset"].nunique() == len(paths) + 1
    assert rows["job_key"].nunique() == len(paths) + 1


@pytest.mark.slow
@needs_debian_fashion
def test_debian_fashion_mnist_in_every_format_loads_and_scores_the_same(tmp_path):
    reference = data.load("fashion-mnist")
    paths = repack(reference, tmp_path)
    names = ["fashion-mnist"]
    for key, path in paths.items():
        ds = data.load(path)
        for k in KEYS:
            np.testing.assert_array_equal(getattr(ds, k), getattr(reference, k))
        assert ds.sha256 == reference.sha256, key
        names.append(path)
    summary = runner.run(["knn"], datasets=names, out=tmp_path / "results", plots=False)
    assert summary.ok
    assert summary.rows["accuracy"].nunique() == 1


def test_second_load_is_from_the_cache_and_follows_the_files(tmp_path, data_home):
    arrays = make_arrays()
    folder = tmp_path / "mine"
    write_files(folder, arrays)
    first = data.load(folder)
    again = data.load(folder)
    assert isinstance(again.X_train, np.memmap)
    assert again.sha256 == first.sha256 and again.name == first.name
    assert len(list((data_home / "own").glob("[0-9a-f]*"))) == 1
    # New content under the same path: a new hash, a new name, new jobs.
    arrays["train_labels"][0] = 9
    write_files(folder, arrays)
    changed = data.load(folder)
    assert changed.sha256 != first.sha256 and changed.name != first.name
    jobs = [runner.RunPlan(["knn"], datasets=[p]).jobs()[0] for p in (first, changed)]
    assert jobs[0].key != jobs[1].key
    # Loaded before: found again by its name alone (the report does this).
    assert data.load(first.name).sha256 == first.sha256


def test_a_job_finds_its_data_by_hash_and_refuses_other_data(tmp_path):
    folder = tmp_path / "mine"
    arrays = make_arrays()
    write_files(folder, arrays)
    ref = data.load(folder).origin
    # Another machine (another data home) reads the path, finds the same data.
    there = tmp_path / "elsewhere"
    assert data.load_job_data(ref.name, ref, data_home=there).sha256 == ref.sha256
    arrays["train_images"][0] = 0
    write_files(folder, arrays)
    with pytest.raises(DataError, match="holds other data here"):
        data.load_job_data(ref.name, ref, data_home=tmp_path / "third")


def test_string_labels_classes_txt_and_the_split(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(70, 12 * 10), dtype=np.uint8)
    y = np.array(["cat", "dog"] * 35)
    ds = data.from_arrays(X, y, name="pets", image_shape="12x10")
    assert ds.class_names == ("cat", "dog")
    assert ds.image_shape == (12, 10) and ds.images("test").shape[1:] == (12, 10)
    assert ds.images("train", channels=True).shape[1:] == (12, 10, 1)
    assert len(ds.y_test) == 10  # 1/7 of 70, stratified
    assert list(ds.counts("test")) == [5, 5]
    assert "seed 0" in ds.split and ds.name.startswith("pets@")
    # The same split every time: the hash is stable.
    assert data.from_arrays(X, y, name="pets", image_shape=(12, 10)).sha256 == ds.sha256
    # classes.txt names integer labels.
    folder = tmp_path / "named"
    write_files(folder, make_arrays())
    (folder / "classes.txt").write_text("\n".join("abcdefghij") + "\n")
    assert data.load(folder).class_names == tuple("abcdefghij")


def test_floats_in_0_1_and_keras_channel_axis_are_accepted(tmp_path):
    arrays = make_arrays()
    X = arrays["train_images"]
    a = data.from_arrays(X, arrays["train_labels"], name="a", test_fraction=0.25)
    b = data.from_arrays(
        (X / 255.0)[..., None], arrays["train_labels"], name="a", test_fraction=0.25
    )
    np.testing.assert_allclose(a.X_train, b.X_train, atol=1e-6)
    assert b.image_shape == (28, 28)


def digits_csv(folder: Path) -> Path:
    """scikit-learn's 1,797 real 8x8 digits as a CSV (pixels 0..16 -> 0..255)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    images = (X * 255 / 16).round().astype(np.uint8)
    return write_csv(folder / "digits.csv", images, y, header=True)


def test_a_run_takes_a_dataset_from_arrays(tmp_path):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    ds = data.from_arrays(X / 16.0, y, name="digits")
    assert ds.image_shape == (8, 8) and ds.n_classes == 10
    summary = runner.run(
        ["deskew_knn", "hog_svm"], datasets=[ds], out=tmp_path / "r", plots=True
    )
    assert summary.ok, summary.rows["error"]
    assert set(summary.rows["dataset"]) == {ds.name}
    # 8x8 images: HOG has 36 features, so PCA(100) fits 36 and says so.
    hog = summary.rows.set_index("pipeline").loc["hog_svm"]
    assert "ComponentsWarning" in hog["warnings"] and hog["accuracy"] > 0.95
    assert any(ds.name in str(p) for p in summary.plots)


def test_a_csv_of_8x8_digits_runs_from_the_command_line(tmp_path):
    path = digits_csv(tmp_path)
    out = tmp_path / "r"
    command = ["run", "logreg", "hog_knn", "-d", str(path), "--out", str(out)]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    board = pd.read_csv(out / "leaderboard.csv")
    assert (board["status"] == "ok").all() and (board["accuracy"] > 0.9).all()
    assert board["dataset"].str.startswith("digits@").all()
    assert (out / "plots" / board["dataset"][0] / "hog_knn-confusion.png").exists()


@pytest.mark.slow
def test_load_digits_runs_the_core_and_sota_groups(tmp_path):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    from_arrays = data.from_arrays(X / 16.0, y, name="digits")
    names = [*pipelines.available("core"), *pipelines.available("sota")]
    summary = runner.run(
        names, datasets=[from_arrays, digits_csv(tmp_path)], out=tmp_path / "r"
    )
    assert summary.ok, summary.rows["error"]
    assert len(summary.rows) == 18 and (summary.rows["accuracy"] > 0.9).all()


# --- bad inputs: one line each, exit 2, nothing cached, no leaderboard -----------


def idx_bytes(array: np.ndarray, code=0x08, dims=None) -> bytes:
    dims = array.shape if dims is None else dims
    head = bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    return head + array.tobytes()


def good_folder(tmp_path: Path, **arrays) -> Path:
    folder = tmp_path / "bad"
    write_files(folder, {**make_arrays(), **arrays})
    return folder


def replace(folder: Path, name: str, content: bytes) -> Path:
    (folder / name).write_bytes(content)
    return folder


def gz(content: bytes) -> bytes:
    return gzip.compress(content, mtime=0)


TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"


def labels_where_images_belong(tmp_path):
    labels = make_arrays()["train_labels"]
    return replace(good_folder(tmp_path), TRAIN_IMAGES, gz(idx_bytes(labels))), (
        TRAIN_IMAGES,
        "holds labels",
    )


def little_endian_header(tmp_path):
    images = make_arrays()["train_images"]
    head = struct.pack("<I", 0x0803) + struct.pack("<3I", *images.shape)
    folder = replace(good_folder(tmp_path), TRAIN_IMAGES, gz(head + images.tobytes()))
    return folder, (TRAIN_IMAGES, "little-endian")


def unsupported_type_code(tmp_path):
    images = make_arrays()["train_images"]
    folder = replace(good_folder(tmp_path), TRAIN_IMAGES, gz(idx_bytes(images, 0x0A)))
    return folder, (TRAIN_IMAGES, "unknown IDX type code 0x0a")


def wrong_dimension_count(tmp_path):
    images = make_arrays()["train_images"].reshape(60, -1)
    folder = replace(good_folder(tmp_path), TRAIN_IMAGES, gz(idx_bytes(images)))
    return folder, (TRAIN_IMAGES, "2-D data")


def truncated_payload(tmp_path):
    images = make_arrays()["train_images"]
    body = idx_bytes(images)[:-100]
    return replace(good_folder(tmp_path), TRAIN_IMAGES, gz(body)), (
        TRAIN_IMAGES,
        "holds only",
    )


def trailing_bytes(tmp_path):
    images = make_arrays()["train_images"]
    body = idx_bytes(images) + b"\0" * 10
    return replace(good_folder(tmp_path), TRAIN_IMAGES, gz(body)), (
        TRAIN_IMAGES,
        "longer than its header",
    )


def counts_differ(tmp_path):
    labels = make_arrays()["train_labels"][:-1]
    return replace(good_folder(tmp_path), TRAIN_LABELS, gz(idx_bytes(labels))), (
        TRAIN_LABELS,
        "59 labels for 60 images",
    )


def absurd_dimensions(tmp_path):
    head = bytes([0, 0, 8, 3]) + struct.pack(">3I", 2**31, 28, 28)
    return replace(good_folder(tmp_path), TRAIN_IMAGES, gz(head + b"\0" * 64)), (
        TRAIN_IMAGES,
        "more than a",
    )


def empty_file(tmp_path):
    folder = good_folder(tmp_path)
    (folder / TRAIN_IMAGES).unlink()
    return replace(folder, "train-images-idx3-ubyte", b""), (
        "train-images-idx3-ubyte",
        "empty file",
    )


def truncated_gzip(tmp_path):
    folder = good_folder(tmp_path)
    content = (folder / TRAIN_IMAGES).read_bytes()
    return replace(folder, TRAIN_IMAGES, content[: len(content) // 2]), (
        TRAIN_IMAGES,
        "truncated gzip",
    )


def corrupt_gzip(tmp_path):
    folder = good_folder(tmp_path)
    content = bytearray((folder / TRAIN_IMAGES).read_bytes())
    content[20:40] = b"\xff" * 20
    return replace(folder, TRAIN_IMAGES, bytes(content)), (TRAIN_IMAGES, "gzip")


def html_under_gz_name(tmp_path):
    page = b"<!DOCTYPE html><html><body>Not Found</body></html>"
    return replace(good_folder(tmp_path), TRAIN_IMAGES, page), (
        TRAIN_IMAGES,
        "not a gzip file",
    )


def misspelled_names(tmp_path):
    folder = good_folder(tmp_path)
    (folder / TRAIN_IMAGES).rename(folder / "train-imgs-idx3-ubyte.gz")
    return folder, ("train-images-idx3-ubyte.gz", "nearest found: train-imgs")


def label_out_of_range(tmp_path):
    labels = make_arrays()["train_labels"].copy()
    labels[3] = 12
    folder = replace(good_folder(tmp_path), TRAIN_LABELS, gz(idx_bytes(labels)))
    (folder / "classes.txt").write_text("\n".join("abcdefghij"))
    return folder, (TRAIN_LABELS, "label 12 outside 0..9")


def class_only_in_test(tmp_path):
    arrays = make_arrays()
    arrays["test_labels"][0] = 11
    return good_folder(tmp_path, **arrays), (
        "t10k-labels",
        "class 11 is in the test set but not in the training set",
    )


def save_npz(tmp_path, **arrays) -> Path:
    a = make_arrays()
    base = {
        "x_train": a["train_images"],
        "y_train": a["train_labels"],
        "x_test": a["test_images"],
        "y_test": a["test_labels"],
    }
    path = tmp_path / "bad.npz"
    np.savez(path, **{**base, **arrays})
    return path


def nan_pixels(tmp_path):
    X = make_arrays()["train_images"] / 255.0
    X[5, 3, 4] = np.nan
    return save_npz(tmp_path, x_train=X), ("bad.npz (x_train)", "nan pixel")


def inf_pixels(tmp_path):
    X = make_arrays()["test_images"] / 255.0
    X[0, 0, 0] = np.inf
    return save_npz(tmp_path, x_test=X), ("bad.npz (x_test)", "inf pixel")


def pixels_above_255(tmp_path):
    X = make_arrays()["train_images"].astype(np.int32)
    X[0, 0, 0] = 300
    return save_npz(tmp_path, x_train=X), ("x_train", "pixel value 300 outside 0..255")


def floats_outside_0_1(tmp_path):
    X = make_arrays()["train_images"] / 255.0
    X[0, 0, 0] = 1.5
    return save_npz(tmp_path, x_train=X), ("x_train", "pixel value 1.5 outside")


def string_pixels(tmp_path):
    X = make_arrays()["train_images"].astype(str)
    return save_npz(tmp_path, x_train=X), ("x_train", "strings or Python objects")


def npz_with_pickles(tmp_path):
    X = np.empty(60, dtype=object)
    X[:] = [np.zeros(784)] * 60
    return save_npz(tmp_path, x_train=X), ("bad.npz", "pickled Python objects")


def csv_folder(tmp_path, train_lines: list[str], test_lines=None) -> Path:
    folder = tmp_path / "csvdata"
    folder.mkdir()
    a = make_arrays()
    write_csv(folder / "train.csv", a["train_images"], a["train_labels"], False)
    write_csv(folder / "test.csv", a["test_images"], a["test_labels"], False)
    for name, edits in (("train.csv", train_lines), ("test.csv", test_lines)):
        if edits:
            lines = (folder / name).read_text().splitlines()
            for number, text in edits:
                lines[number - 1] = text
            (folder / name).write_text("\n".join(lines) + "\n")
    return folder


def csv_line_too_long(tmp_path):
    row = ",".join(["3"] + ["0"] * 785)
    return csv_folder(tmp_path, [(7, row)]), ("train.csv", "line 7 has 786 fields")


def csv_line_too_short(tmp_path):
    row = ",".join(["3"] + ["0"] * 700)
    return csv_folder(tmp_path, [(9, row)]), (
        "train.csv",
        "line 9 has 701 fields, the other lines 785",
    )


def csv_non_numeric_pixel(tmp_path):
    row = ",".join(["3"] + ["0"] * 100 + ["dark"] + ["0"] * 683)
    return csv_folder(tmp_path, [(4, row)]), (
        "train.csv",
        "line 4, column 102: non-numeric pixel 'dark'",
    )


def csv_test_without_labels(tmp_path):
    folder = csv_folder(tmp_path, [])
    a = make_arrays()
    frame = pd.DataFrame(a["test_images"].reshape(20, -1))
    frame.to_csv(folder / "test.csv", index=False, header=False)
    return folder, ("test.csv", "test file without labels")


def one_class(tmp_path):
    labels = np.zeros(60, dtype=np.uint8)
    a = make_arrays()
    path = tmp_path / "one.npz"
    np.savez(path, x_train=a["train_images"], y_train=labels)
    return path, ("one.npz (y_train)", "1 class; a classifier needs at least 2")


def too_few_for_the_split(tmp_path):
    a = make_arrays()
    labels = a["train_labels"].copy()
    labels[labels == 7] = 6
    labels[0] = 7  # class 7: a single image
    path = tmp_path / "few.csv"
    write_csv(path, a["train_images"], labels, True)
    return path, ("few.csv", "class '7' has 1 image; a stratified split")


BAD_INPUTS = [
    labels_where_images_belong,
    little_endian_header,
    unsupported_type_code,
    wrong_dimension_count,
    truncated_payload,
    trailing_bytes,
    counts_differ,
    absurd_dimensions,
    empty_file,
    truncated_gzip,
    corrupt_gzip,
    html_under_gz_name,
    misspelled_names,
    label_out_of_range,
    class_only_in_test,
    nan_pixels,
    inf_pixels,
    pixels_above_255,
    floats_outside_0_1,
    string_pixels,
    npz_with_pickles,
    csv_line_too_long,
    csv_line_too_short,
    csv_non_numeric_pixel,
    csv_test_without_labels,
    one_class,
    too_few_for_the_split,
]


@pytest.mark.parametrize("make", BAD_INPUTS, ids=lambda f: f.__name__)
def test_bad_input_is_one_line_and_leaves_nothing(make, tmp_path, data_home):
    path, needles = make(tmp_path)
    out = tmp_path / "results"
    run = ["run", "knn", "-d", str(path), "--out", str(out)]
    for args in (["datasets", str(path)], run):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, result.output
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
        for needle in needles:
            assert needle in lines[0], lines[0]
    assert not (data_home / "own").exists()
    assert not (out / "leaderboard.csv").exists()


@pytest.mark.parametrize(
    "arrays, needle",
    [
        (dict(X_train=[[0, 1, 2], [3, 4]], y_train=[0, 1]), "not a rectangular array"),
        (dict(X_train=np.array([None] * 4), y_train=[0, 1, 0, 1]), "Python objects"),
        (
            dict(X_train=np.zeros((4, 3, 3)), y_train=[0, 1, 2.5, 1]),
            "not a whole number",
        ),
        (
            dict(
                X_train=np.zeros((4, 4)), y_train=[0, 1, 0, 1], X_test=np.zeros((2, 4))
            ),
            "both X_test and y_test",
        ),
        (dict(X_train=np.zeros((8, 6)), y_train=[0, 1] * 4), "not a square image"),
    ],
)
def test_from_arrays_checks_as_strictly(arrays, needle):
    with pytest.raises(DataError, match=needle):
        data.from_arrays(**arrays, name="x")


def test_every_transformer_supports_set_output():
    from mnistbench import pipelines

    ds = data.load("mnist-sample")
    X, y = ds.X_train[:300], ds.y_train[:300]
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(784)])
    pipe = pipelines.get("rf", clf__n_estimators=5).set_output(transform="pandas")
    pipe.fit(frame, y)
    assert isinstance(pipe[:-1].transform(frame), pd.DataFrame)
    for name in ("hog_svm", "deskew_knn"):
        steps = pipelines.get(name)[:-1].set_output(transform="pandas")
        out = steps.fit_transform(frame, y)
        assert isinstance(out, pd.DataFrame) and len(out.columns) == out.shape[1]


def test_a_confusion_figure_of_many_classes_prints_no_cell_or_tick():
    from mnistbench.plots import confusion_figure

    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 200, 2000), rng.integers(0, 200, 2000)
    fig = confusion_figure(y_true, y_pred, [f"c{k}" for k in range(200)])
    assert not fig.axes[0].texts and not fig.axes[0].get_xticks().size


def test_datasets_path_describes_the_data(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    arrays = make_arrays()
    path = tmp_path / "train.csv"
    write_csv(path, arrays["train_images"], arrays["train_labels"], header=False)
    result = CliRunner().invoke(cli, ["datasets", str(path), "--test-fraction", "0.25"])
    assert result.exit_code == 0, result.output
    ds = data.load(path, test_fraction=0.25)
    for text in (
        f"{ds.name}: valid",
        "45 / 15 images",
        "28x28 pixels",
        ds.sha256,
        "test set: 15 of 60 training images (0.25)",
        "0: 0",
        "5 train / 1 test",  # per-class counts
        "load",
    ):
        assert text in result.output, text


def test_a_plan_checks_the_training_size_against_the_data(tmp_path):
    arrays = make_arrays()
    ds = data.from_arrays(
        arrays["train_images"],
        arrays["train_labels"],
        arrays["test_images"],
        arrays["test_labels"],
        name="tiny",
    )
    with pytest.raises(runner.RunError, match="more than tiny@.* 60 training images"):
        runner.RunPlan(["knn"], datasets=[ds], train_size=100)
    plan = runner.RunPlan(["knn"], datasets=[ds, "mnist-sample"], train_size=50)
    assert plan.datasets == (ds.name, "mnist-sample")
    first, second = plan.jobs()
    assert first.data.sha256 == ds.sha256 and second.data is None


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--test-fraction", "0"], "test fraction must be between 0 and 1, got 0"),
        (["--test-fraction", "1.5"], "between 0 and 1, got 1.5"),
        (["--test-fraction", "0.01"], "a test set of 2 of 140 images (0.01) leaves"),
        (
            ["--image-shape", "7x9"],
            "784 values per image do not fit the image shape 7x9",
        ),
        (["--image-shape", "wide"], "image shape must be HxW"),
        (["-d", "nowhere/data.npz"], "nowhere/data.npz: no such file or folder"),
        (["-d", "mnsit"], "unknown dataset 'mnsit'; valid names: mnist,"),
    ],
)
def test_bad_options_for_own_data_are_one_line(tmp_path, args, needle):
    arrays = make_arrays(n_train=140)
    path = write_csv(
        tmp_path / "train.csv", arrays["train_images"], arrays["train_labels"], False
    )
    out = tmp_path / "results"
    command = ["run", "knn", "-d", str(path), *args, "--out", str(out)]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert not (out / "leaderboard.csv").exists()
