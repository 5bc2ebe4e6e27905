"""``mnistbench publish``: a results folder as one zip archive that is checked
with nothing else, and the test sets it carries (``testsets/NAME.npz``).

A real run of ``mnist-sample`` is published once and unpacked; its report and
comparisons are rebuilt with an empty data home and ``data.load`` made to
fail. Then hand-made folders (with a quick stand-in for the report) for the
commands it writes and every bad input (one line, exit code 2, nothing left).
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import mnistbench.data
from mnistbench import compare, data, report, results, runner
from mnistbench._io import WriteError
from mnistbench.cli import cli
from mnistbench.exceptions import DataError
from mnistbench.jobs import use_job_server
from mnistbench.publish import PR_LIMIT, PublishError, pr_markdown, publish
from mnistbench.results._testsets import (
    archived_dataset,
    archived_path,
    save_test_set,
)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One data home for the module: mnist-sample's cache is built once."""
    return tmp_path_factory.mktemp("data_home")


@pytest.fixture(autouse=True)
def data_home(home, monkeypatch):
    monkeypatch.setenv("MNISTBENCH_DATA_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def sample(home):
    return data.load("mnist-sample", data_home=home)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, home):
    """A real results folder: knn and logreg, seeds 0 and 1, 500 images."""
    out = tmp_path_factory.mktemp("run")
    use_job_server(True)
    try:
        runner.run(
            ["knn", "logreg"],
            datasets=["mnist-sample"],
            seeds=[0, 1],
            train_size=500,
            out=out,
            plots=False,
            data_home=home,
        )
    finally:
        use_job_server(False)
    return out


@pytest.fixture(scope="module")
def published(folder, tmp_path_factory, home):
    where = tmp_path_factory.mktemp("published")
    made = publish(folder, where / "knn-vs-logreg.zip", data_home=home)
    with zipfile.ZipFile(made.zip_path) as zf:
        zf.extractall(where / "unpacked")
    return made, where / "unpacked" / "knn-vs-logreg"


@pytest.fixture(scope="module")
def original(folder, home):
    """The run's comparison by seed, from the dataset itself."""
    return compare.between(folder, by="seed", data_home=home)


@pytest.fixture
def no_dataset(monkeypatch, tmp_path):
    """No dataset anywhere: an empty data home, and ``data.load`` fails."""
    empty = tmp_path / "empty"
    monkeypatch.setenv("MNISTBENCH_DATA_HOME", str(empty))

    def refuse(*args, **kwargs):
        raise AssertionError("the dataset was loaded, not read from the archive")

    monkeypatch.setattr(mnistbench.data, "load", refuse)
    return empty


# --- the archived test set ------------------------------------------------------


def test_an_archived_test_set_is_the_dataset_s(sample, tmp_path):
    path = save_test_set(tmp_path, sample)
    assert path == tmp_path / "testsets" / "mnist-sample.npz"
    found = archived_dataset(tmp_path, "mnist-sample", sample.sha256)
    assert np.array_equal(found.y_test, sample.y_test)
    assert found.X_test.dtype == np.float32
    assert np.array_equal(found.X_test, sample.X_test)
    assert np.array_equal(found.images("test"), sample.images("test"))
    assert (found.class_names, found.image_shape) == (
        sample.class_names,
        sample.image_shape,
    )
    assert found.sha256 == sample.sha256 and str(path) in found.source
    assert found.X_train.shape == (0, 784) and found.n_features == 784
    assert archived_dataset(tmp_path, "mnist") is None


def test_pixels_that_are_not_8_bit_are_kept_as_they_are(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((40, 4, 4)).astype(np.float32)
    y = np.arange(40) % 2
    ds = data.from_arrays(X, y, X[:10], y[:10], name="odd")
    save_test_set(tmp_path, ds)
    found = archived_dataset(tmp_path, ds.name)
    assert np.array_equal(found.X_test, ds.X_test) and found.image_shape == (4, 4)


def test_a_damaged_or_other_test_set_is_one_line(sample, tmp_path):
    path = save_test_set(tmp_path, sample)
    with pytest.raises(DataError, match="not the test set they were scored on"):
        archived_dataset(tmp_path, "mnist-sample", "0" * 64)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataError, match="not a readable test set") as caught:
        archived_dataset(tmp_path, "mnist-sample")
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_a_path_as_a_name_gets_a_file_name():
    path = archived_path("out", "/data/my digits/train.csv")
    assert path.parent == Path("out/testsets") and "/" not in path.stem
    assert path != archived_path("out", "/data/my digits/test.csv")


# --- a real run, published --------------------------------------------------------


def test_the_archive_holds_everything(published, folder, sample):
    made, _ = published
    with zipfile.ZipFile(made.zip_path) as zf:
        names = zf.namelist()
        assert zf.testzip() is None
    assert all(n.startswith("knn-vs-logreg/") for n in names)
    inside = {n.split("/", 1)[1] for n in names}
    assert inside == set(made.files)
    board = results.read_leaderboard(folder)
    expected = {
        "leaderboard.csv",
        "commands.csv",
        "testsets/mnist-sample.npz",
        "environment.json",
        "README.md",
        "COMMANDS.md",
        "report.html",
        "report.md",
        "report-pr.md",
        *board["predictions"],
    }
    assert expected <= inside
    assert any(n.startswith("report_files/") and n.endswith(".png") for n in inside)
    assert not any(n.startswith("plots/") for n in inside)
    assert made.size == made.zip_path.stat().st_size
    assert made.datasets == {"mnist-sample": sample.sha256}
    assert made.n_rows == 4 and len(made.machines) == 1
    assert (made.commands_recorded, made.commands_reconstructed) == (0, 1)
    assert not list(made.zip_path.parent.glob(".*.tmp"))


def test_the_archive_is_checked_with_nothing_else(published, original, no_dataset):
    _, unpacked = published
    built = report.build(unpacked)
    assert built.datasets == ["mnist-sample"]
    frame = compare.between(unpacked, by="seed")
    columns = ["pipeline", "accuracy_a", "accuracy_b", "mcnemar_p", "changed"]
    assert frame[columns].equals(original[columns])
    assert frame["mcnemar_p"].notna().all()
    board = results.read_leaderboard(unpacked)
    for side in "ab":
        seed = int(frame.attrs[side].removeprefix("seed="))
        rows = board[board["seed"] == seed].set_index("pipeline")["accuracy"]
        assert dict(zip(frame["pipeline"], frame[f"accuracy_{side}"])) == dict(rows)
    assert not no_dataset.exists() or not any(no_dataset.iterdir())


def test_an_unpacked_archive_publishes_again_without_the_dataset(
    published, no_dataset, tmp_path, quick_report
):
    _, unpacked = published
    again = publish(unpacked, tmp_path / "again.zip")
    assert "testsets/mnist-sample.npz" in again.files


def test_the_texts_of_the_archive(published, folder):
    _, unpacked = published
    pr = (unpacked / "report-pr.md").read_text()
    assert len(pr) < PR_LIMIT and "](report_files/" not in pr
    assert "*Figure: " in pr and "`report_files/" in pr
    readme = (unpacked / "README.md").read_text()
    assert "pip install mnistbench==" in readme
    assert "mnistbench report --out knn-vs-logreg" in readme
    assert "mnistbench compare knn-vs-logreg --by seed" in readme
    assert results.read_leaderboard(folder)["data_sha256"].iloc[0] in readme
    env = json.loads((unpacked / "environment.json").read_text())
    (machine,) = env["machines"]
    assert machine["rows"] == 4 and machine["engine"] == ["sklearn"]
    assert machine["first_utc"] <= machine["last_utc"]
    assert env["published"]["versions"]["numpy"] == np.__version__
    commands = (unpacked / "COMMANDS.md").read_text()
    assert "started from Python" in commands
    assert (
        "mnistbench run knn logreg --dataset mnist-sample --seed 0 --seed 1 "
        "--train-size 500 --out rerun" in commands
    )


def test_a_long_report_is_cut_by_whole_sections():
    sections = [f"## Section {i}\n\n" + "word " * 3000 + "\n" for i in range(8)]
    text = "# report\n\n![a figure](report_files/a.png)\n\n" + "".join(sections)
    cut = pr_markdown(text)
    assert len(cut) <= PR_LIMIT and "(`report_files/a.png` in the archive)" in cut
    assert cut.rstrip().splitlines()[-1].startswith("*Cut to fit GitHub's")
    assert "## Section 3" in cut and "## Section 7" not in cut
    assert pr_markdown("# short\n") == "# short\n"


def test_the_command_line(folder, tmp_path):
    target = tmp_path / "out" / "pub.zip"
    result = CliRunner().invoke(cli, ["publish", str(folder), "--zip", str(target)])
    assert result.exit_code == 0, result.output
    assert str(target) in result.output and "bytes" in result.output
    assert target.is_file() and list(target.parent.iterdir()) == [target]


# --- hand-made folders -----------------------------------------------------------


@pytest.fixture
def quick_report(monkeypatch):
    """report.build stood in for: these tests are about the archive."""
    monkeypatch.setattr(report, "build", _quick_report)


def _quick_report(folder, data_home=None):
    """A stand-in for report.build: these tests are about the archive."""
    (folder / "report.html").write_text("<p>report</p>")
    (folder / "report.md").write_text("# report\n\n![fig](report_files/f.png)\n")
    (folder / "report_files").mkdir()
    (folder / "report_files" / "f.png").write_bytes(b"png")


def write_rows(folder: Path, sample, rows) -> Path:
    """A results folder as ``mnistbench run`` writes it, one row per dict."""
    for i, extra in enumerate(rows):
        extra = dict(extra)
        y_pred = extra.pop("y_pred", sample.y_test)
        row = {
            "run_id": "r1",
            "timestamp_utc": f"2026-12-01T00:00:{i:02d}+00:00",
            "job_key": f"k{i}",
            "dataset": "mnist-sample",
            "data_sha256": sample.sha256,
            "pipeline": "knn",
            "params": "{}",
            "seed": 0,
            "engine": "sklearn",
            "n_train": 4000,
            "n_test": len(sample.y_test),
            "status": "ok",
            "host": "box",
            "cpu": "CPU",
            "n_cores": 4,
            **extra,
        }
        if row["status"] == "ok" and y_pred is not None:
            rel = f"predictions/{row['pipeline']}-{i}.npy"
            (folder / "predictions").mkdir(parents=True, exist_ok=True)
            np.save(folder / rel, np.asarray(y_pred, dtype=np.int16))
            row["predictions"] = rel
            row.setdefault("accuracy", float(np.mean(y_pred == sample.y_test)))
        results.append_row(folder, row)
    return folder


def test_commands_recorded_and_reconstructed(sample, tmp_path, quick_report):
    out = write_rows(
        tmp_path / "runs",
        sample,
        [
            {"run_id": "r1", "pipeline": "svm"},
            {
                "run_id": "r2",
                "pipeline": "rf",
                "params": '{"clf__n_estimators": 5}',
                "engine": "sklearnex",
                "seed": 3,
                "n_train": 400,
                "fit_s_samples": "[1.0, 1.1, 1.2]",
            },
        ],
    )
    recorded = "mnistbench run svm --dataset mnist-sample --out 'my runs'"
    results.append_command(
        out, {"run_id": "r1", "timestamp_utc": "2026-12-01", "command": recorded}
    )
    made = publish(out, tmp_path / "runs.zip")
    assert (made.commands_recorded, made.commands_reconstructed) == (1, 1)
    with zipfile.ZipFile(made.zip_path) as zf:
        text = zf.read("runs/COMMANDS.md").decode()
    assert recorded in text and "predates recorded commands" in text
    assert (
        "mnistbench run rf --dataset mnist-sample --seed 3 --engine sklearnex "
        "--train-size 400 --param clf__n_estimators=5 --repeat 3 --out rerun"
    ) in text


def test_the_same_files_give_the_same_bytes_but_for_the_time(
    sample, tmp_path, quick_report
):
    out = write_rows(tmp_path / "f", sample, [{}])
    made = publish(out, tmp_path / "a.zip")
    with zipfile.ZipFile(made.zip_path) as zf:
        infos = zf.infolist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    stored = {i.filename: i.compress_type for i in infos}
    assert stored["a/testsets/mnist-sample.npz"] == zipfile.ZIP_STORED
    assert stored["a/leaderboard.csv"] == zipfile.ZIP_DEFLATED


def _bad_folders(sample, tmp_path) -> dict:
    """name -> (folder, zip path, message): one bad input each."""
    ok = write_rows(tmp_path / "ok", sample, [{}])
    not_results = tmp_path / "plain"
    not_results.mkdir()
    failed = write_rows(
        tmp_path / "failed", sample, [{"status": "error", "y_pred": None}]
    )
    missing = write_rows(tmp_path / "missing", sample, [{}, {"pipeline": "svm"}])
    (missing / "predictions" / "svm-1.npy").unlink()
    other = write_rows(tmp_path / "other", sample, [{"data_sha256": "0" * 64}])
    wrong = write_rows(tmp_path / "wrong", sample, [{"accuracy": 0.5}])
    unknown = write_rows(tmp_path / "unknown", sample, [{"dataset": "no-such-set"}])
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    zips = tmp_path / "zips"
    zips.mkdir()
    return {
        "not a results folder": (not_results, zips / "a.zip", "not a results folder"),
        "no ok row": (failed, zips / "a.zip", "no successful row"),
        "a folder": (ok, zips, "is a folder"),
        "inside OUT": (ok, ok / "a.zip", "outside the folder"),
        "not a zip name": (ok, zips / "a.tar", "ending in .zip"),
        "unwritable": (ok, a_file / "a.zip", "not a folder"),
        "missing predictions": (missing, zips / "a.zip", "svm-1.npy: missing"),
        "another dataset": (other, zips / "a.zip", "not the dataset the rows"),
        "wrong scores": (wrong, zips / "a.zip", "its row says 0.5000"),
        "unknown dataset": (unknown, zips / "a.zip", "cannot load no-such-set"),
    }


def _tree(folder: Path) -> dict:
    """Each file and folder under ``folder``, with its files' times (a
    folder's changes when a file is made in it and removed)."""
    return {
        p.relative_to(folder): p.is_file() and p.stat().st_mtime_ns
        for p in folder.rglob("*")
    }


def test_bad_inputs_are_one_line_and_leave_nothing(sample, tmp_path, monkeypatch):
    staging = tmp_path / "tmp"
    staging.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(staging))
    for name, (out, target, message) in _bad_folders(sample, tmp_path).items():
        before = _tree(tmp_path)
        result = CliRunner().invoke(cli, ["publish", str(out), "--zip", str(target)])
        assert result.exit_code == 2, (name, result.output)
        assert message in result.output, (name, result.output)
        assert len(result.output.strip().splitlines()) == 1, (name, result.output)
        assert _tree(tmp_path) == before, name
        assert not any(staging.iterdir()), name


def test_a_failed_write_leaves_nothing(sample, tmp_path, monkeypatch, quick_report):
    out = write_rows(tmp_path / "f", sample, [{}])
    target = tmp_path / "new" / "deeper" / "a.zip"

    replace = os.replace

    def full(src, dst):
        if Path(dst) == target:
            raise OSError(errno.ENOSPC, "No space left on device")
        replace(src, dst)

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(WriteError, match="no space left on .* writing .*a.zip"):
        publish(out, target)
    assert not (tmp_path / "new").exists()


def test_a_report_that_cannot_be_built_is_refused(sample, tmp_path, monkeypatch):
    out = write_rows(tmp_path / "f", sample, [{}])

    def broken(folder, data_home=None):
        raise report.ReportError("no luck")

    with pytest.raises(PublishError, match="report cannot be built.*no luck"):
        monkeypatch.setattr(report, "build", broken)
        publish(out, tmp_path / "a.zip")
    assert not (tmp_path / "a.zip").exists()
