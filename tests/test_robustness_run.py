"""``mnistbench run --corruptions``: the corrupted test sets made once and
cached, one robustness row per job and set, paired images across pipelines,
``--resume`` for missing sets, own data, and bad input in one line."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from test_cli import one_line_error

from mnistbench import data, results, runner
from mnistbench.cli import cli


@pytest.fixture(autouse=True)
def fast_jobs(use_fork_server):
    """Jobs forked from a server that has imported scikit-learn once."""


@pytest.fixture
def use_fork_server():
    from mnistbench.jobs import use_job_server

    use_job_server(True)
    yield
    use_job_server(False)


def run(out, names=("knn", "logreg"), **kw):
    kw.setdefault("datasets", ["mnist-sample"])
    kw.setdefault("train_size", 300)
    kw.setdefault("plots", False)
    return runner.run(list(names), out=out, **kw)


def test_rows_per_job_and_set_on_the_same_images(tmp_path, data_home):
    summary = run(tmp_path, corruptions="shear,shot_noise", severity="1,4")
    assert summary.ok and len(summary.rows) == 2
    rob = results.read_robustness(tmp_path)
    assert len(rob) == 2 * 4 and (rob["status"] == "ok").all()
    assert len(summary.robustness) == 8
    assert set(zip(rob["corruption"], rob["severity"])) == {
        ("shear", 1),
        ("shear", 4),
        ("shot_noise", 1),
        ("shot_noise", 4),
    }
    assert (rob["source"] == data.GENERATED).all()
    # every pipeline saw the same images of a set
    per_set = rob.groupby(["corruption", "severity"])["images_sha256"].nunique()
    assert (per_set == 1).all()
    ds = data.load("mnist-sample")
    board = results.read_leaderboard(tmp_path)
    for r in rob.itertuples():
        y_pred = np.load(tmp_path / r.predictions)
        assert y_pred.shape == (1000,)
        assert r.accuracy == pytest.approx(np.mean(y_pred == ds.y_test))
        X = data.corrupted_test_set(ds, r.corruption, int(r.severity), 0)
        assert data.images_sha256(X) == r.images_sha256
        clean = board.loc[board["job_key"] == r.job_key, "accuracy"].item()
        assert r.accuracy < clean + 0.05  # corrupted is no easier
    # the leaderboard's columns keep meaning the clean test set
    for r in board.itertuples():
        y_pred = np.load(tmp_path / r.predictions)
        assert r.accuracy == pytest.approx(np.mean(y_pred == ds.y_test))
    # made once, cached in the data home, read by later runs
    cached = sorted((data_home / "corrupted").rglob("*.npy"))
    assert len(cached) == 4
    stamps = [p.stat().st_mtime_ns for p in cached]
    run(tmp_path / "again", names=["knn"], corruptions="shear", severity=1)
    assert [p.stat().st_mtime_ns for p in cached] == stamps


def test_resume_scores_only_the_missing_sets(tmp_path):
    run(tmp_path, names=["knn"])
    board = results.read_leaderboard(tmp_path)
    seen = []
    summary = run(
        tmp_path,
        names=["knn"],
        corruptions="rotate",
        severity="2",
        resume=True,
        on_result=lambda job, row: seen.append(row["status"]),
    )
    assert seen == ["rescored"] and summary.skipped == [] and summary.ok
    assert len(results.read_leaderboard(tmp_path)) == len(board)  # no new clean row
    rob = results.read_robustness(tmp_path)
    assert list(rob["corruption"]) == ["rotate"]
    assert rob["job_key"].item() == board["job_key"].item()
    again = run(tmp_path, names=["knn"], corruptions="rotate", severity=2, resume=True)
    assert len(again.skipped) == 1 and len(again.robustness) == 0
    assert len(results.read_robustness(tmp_path, newest=False)) == 1


def test_own_data_of_another_image_shape(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.arange(400) % 4
    images = rng.integers(0, 60, size=(400, 20, 24)).astype(np.uint8)
    images[:, :, :] += (labels * 50)[:, None, None].astype(np.uint8)
    ds = data.from_arrays(
        images[:300], labels[:300], images[300:], labels[300:], name="wide"
    )
    summary = run(
        tmp_path,
        names=["knn"],
        datasets=[ds],
        train_size=None,
        corruptions="rotate,canny_edges",
        severity=5,
    )
    assert summary.ok
    rob = results.read_robustness(tmp_path)
    assert list(rob["corruption"]) == ["rotate", "canny_edges"]
    assert (rob["n_test"] == 100).all() and (rob["status"] == "ok").all()


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--corruptions", "smudge"], ["--corruptions", "unknown corruption 'smudge'"]),
        (["--corruptions", "severity_x"], ["--corruptions: unknown corruption"]),
        (["--corruptions", "shear", "--severity", "7"], ["--severity", "1 to 5"]),
        (["--corruptions", "shear", "--severity", "x"], ["--severity"]),
        (["--severity", "2"], ["--severity needs --corruptions"]),
        (["--corruptions-from", "no/such/folder"], ["no/such/folder"]),
    ],
)
def test_bad_input_one_line_nothing_written(tmp_path, args, needles):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["run", "knn", "-d", "mnist-sample", *args, "--out", str(out)]
    )
    one_line_error(result, *needles)
    assert not out.exists()


def test_a_corruption_registered_in_the_callers_script(tmp_path):
    """Registered here only, unknown to the job processes: they read the set
    that the runner made, from the cache, by its generation tag."""
    from mnistbench import corruptions

    def blackout(images, severity, rng):  # a closure: no job can import it
        out = images.copy()
        out[:, 10 : 10 + 2 * severity, :] = 0
        return out

    corruptions.register("blackout", blackout)
    try:
        summary = run(tmp_path, names=["knn"], corruptions="blackout", severity=4)
    finally:
        corruptions.unregister("blackout")
    rob = summary.robustness
    assert summary.ok and list(rob["corruption"]) == ["blackout"]
    assert 0.1 < rob["accuracy"].item() < 0.95


def test_the_corruptions_command_lists_every_one(monkeypatch):
    from mnistbench import corruptions

    monkeypatch.setenv("COLUMNS", "250")
    result = CliRunner().invoke(cli, ["corruptions"])
    assert result.exit_code == 0, result.output
    for name in corruptions.available():
        assert name in result.output
    assert "MNIST-C corruptions.py shear" in result.output


def test_the_run_command_says_where_the_rows_are(tmp_path):
    out = tmp_path / "out"
    args = ["run", "knn", "-d", "mnist-sample", "--train-size", "200"]
    args += ["--corruptions", "stripe,inverse", "--severity", "all", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "corrupted: mean" in result.output and "over 10 sets" in result.output
    assert "robustness.csv (10 rows" in result.output.replace("\n", "")
    assert len(results.read_robustness(out)) == 10


def test_a_robustness_row_the_disk_cuts_short_then_resume(tmp_path):
    """A corrupted set's row finds no room: one line, exit 2, robustness.csv
    as it was and no predictions file without its row; the job's clean row
    is in; --resume scores the missing set only."""
    import subprocess

    from helpers import mnistbench
    from test_cli_run import _file_size_limit

    out = tmp_path / "out"
    base = ["-d", "mnist-sample", "--train-size", "300", "--out", str(out)]
    first = CliRunner().invoke(
        cli, ["run", "knn", *base, "--corruptions", "all", "--severity", "1"]
    )
    assert first.exit_code == 0, first.output
    rob = out / "robustness.csv"
    before = rob.read_bytes()
    run = mnistbench("run", "logreg", *base, "--corruptions", "shear")
    cut = subprocess.run(
        run,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_file_size_limit(len(before) + 100),  # part of the next row
    )
    assert cut.returncode == 2, cut.stderr
    assert cut.stderr.strip().splitlines()[-1] == (
        f"Error: file too large (a file size limit) writing {rob}; the shear row "
        "of mnist-sample/logreg seed 0 was not recorded; free space (or make it "
        "writable) and run again with --resume"
    )
    assert "Traceback" not in cut.stderr and rob.read_bytes() == before
    logreg = out / "predictions" / "mnist-sample" / "logreg"
    assert [p.name for p in logreg.iterdir() if "shear" in p.name] == []
    board = results.read_leaderboard(out)
    assert sorted(board["pipeline"]) == ["knn", "logreg"]
    again = subprocess.run(
        [*run, "--resume"], capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert len(results.read_leaderboard(out)) == 2
    rows = results.read_robustness(out)
    assert len(rows) == 18 and (rows["status"] == "ok").all()
    assert list(rows[rows["pipeline"] == "logreg"]["corruption"]) == ["shear"]


def _published(folder, ds, sets: dict, labels=None):
    """An MNIST-C-like folder: a sub-folder per set, its test pair as uint8
    (n, 28, 28, 1) images and labels (the train pair is not needed)."""
    for name, X in sets.items():
        sub = folder / name
        sub.mkdir(parents=True)
        images = np.rint(np.asarray(X) * 255).astype(np.uint8)
        np.save(sub / "test_images.npy", images.reshape(-1, 28, 28, 1))
        np.save(sub / "test_labels.npy", (ds.y_test if labels is None else labels))
    return folder


def test_corruptions_from_a_published_folder(tmp_path):
    """Published sets are scored beside generated ones: here the published
    shear set is our own generation written in MNIST-C's layout, so both
    give the same predictions."""
    ds = data.load("mnist-sample")
    sheared = data.corrupted_test_set(ds, "shear", 3, 0)
    folder = _published(
        tmp_path / "mnist_c", ds, {"identity": ds.X_test, "shear": sheared}
    )
    summary = run(
        tmp_path / "out",
        names=["knn"],
        corruptions="shear",
        severity=3,
        corruptions_from=folder,
    )
    assert summary.ok
    rob = results.read_robustness(tmp_path / "out")
    assert list(zip(rob["corruption"], rob["source"])) == [
        ("shear", data.GENERATED),
        ("identity", str(folder / "identity")),
        ("shear", str(folder / "shear")),
    ]
    assert rob["severity"].isna().tolist() == [False, True, True]
    gen, ident, pub = (np.load(tmp_path / "out" / p) for p in rob["predictions"])
    assert np.array_equal(gen, pub)
    board = results.read_leaderboard(tmp_path / "out")
    clean = np.load(tmp_path / "out" / board["predictions"].item())
    assert np.array_equal(ident, clean)  # identity is the clean test set


def test_corruptions_from_other_labels_refused_before_any_job(tmp_path):
    ds = data.load("mnist-sample")
    shuffled = np.roll(ds.y_test, 1)
    folder = _published(tmp_path / "mnist_c", ds, {"shear": ds.X_test}, shuffled)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["run", "knn", "-d", "mnist-sample", "--corruptions-from", str(folder)]
        + ["--out", str(out)],
    )
    one_line_error(result, "not those of mnist-sample's test set")
    assert not out.exists()


def test_a_corruption_that_fails_stops_the_run_before_any_job(tmp_path):
    """A broken corruption (a plugin's, say) is one line, before any job is
    started or anything is written to the results folder."""
    from mnistbench import corruptions

    def broken(images, severity, rng):
        raise ValueError("broken on purpose")

    corruptions.register("broken", broken)
    try:
        with pytest.raises(corruptions.CorruptionError) as caught:
            run(tmp_path / "out", names=["knn"], corruptions="shear,broken")
    finally:
        corruptions.unregister("broken")
    assert str(caught.value) == (
        "--corruptions: making broken (severity 3) of mnist-sample's test set "
        "(seed 0) failed: ValueError: broken on purpose"
    )
    assert not (tmp_path / "out").exists()
