"""Download, verification and caching against a loopback mirror on 127.0.0.1."""

import numpy as np
import pytest
from conftest import ROLE_FILES, make_arrays, spec_for, write_files

from mnistbench import data
from mnistbench.exceptions import (
    ChecksumError,
    DataError,
    DownloadError,
    UnknownDatasetError,
)


def _leftovers(folder):
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def test_download_success_then_cached(mirror, tiny_files, register_spec, data_home):
    register_spec(spec_for("tiny", tiny_files, [mirror.base("a")]))
    ds = data.load("tiny")
    arrays = make_arrays()
    np.testing.assert_array_equal(ds.y_train, arrays["train_labels"])
    np.testing.assert_allclose(
        ds.X_test, arrays["test_images"].reshape(20, -1) / 255, rtol=1e-6
    )
    assert sorted(p.name for p in (data_home / "tiny").glob("*.gz")) == sorted(
        ROLE_FILES.values()
    )
    n_requests = len(mirror.requests)
    assert n_requests == 4
    again = data.load("tiny", download=False)
    assert len(mirror.requests) == n_requests  # served from the cache
    np.testing.assert_array_equal(again.X_train, ds.X_train)


def test_array_cache_survives_deleting_raw_files(
    mirror, tiny_files, register_spec, data_home
):
    register_spec(spec_for("tiny", tiny_files, [mirror.base("a")]))
    data.load("tiny")
    for f in (data_home / "tiny").glob("*.gz"):
        f.unlink()
    assert data.is_cached("tiny")
    assert data.load("tiny", download=False).X_train.shape == (60, 784)


def test_checksum_mismatch_leaves_nothing(mirror, tiny_files, register_spec, data_home):
    mirror.modes["a"] = "corrupt"
    register_spec(spec_for("tiny", tiny_files, [mirror.base("a")]))
    with pytest.raises(DownloadError, match="checksum mismatch"):
        data.load("tiny")
    assert _leftovers(data_home / "tiny") == []


def test_truncated_body_leaves_nothing(mirror, tiny_files, register_spec, data_home):
    mirror.modes["a"] = "truncate"
    register_spec(spec_for("tiny", tiny_files, [mirror.base("a")]))
    with pytest.raises(DownloadError) as exc:
        data.load("tiny")
    assert mirror.base("a") in str(exc.value)
    assert _leftovers(data_home / "tiny") == []


def test_404_on_first_mirror_then_second(mirror, tiny_files, register_spec):
    mirror.modes["a"] = "404"
    register_spec(spec_for("tiny", tiny_files, [mirror.base("a"), mirror.base("b")]))
    ds = data.load("tiny")
    assert ds.X_train.shape == (60, 784)
    # the dead mirror is tried once; the other three files go straight to b
    assert mirror.requests[0] == "/a/train-images-idx3-ubyte.gz"
    assert [r[:3] for r in mirror.requests[1:]] == ["/b/"] * 4


def test_env_mirror_overrides_registry(
    mirror, tiny_files, register_spec, monkeypatch, closed_port_url
):
    register_spec(spec_for("tiny", tiny_files, [closed_port_url]))
    monkeypatch.setenv("MNISTBENCH_MIRROR", f"{mirror.url}/{{name}}-mirror/")
    assert data.load("tiny").X_train.shape == (60, 784)
    assert all(r.startswith("/tiny-mirror/") for r in mirror.requests)


def test_no_network_nothing_cached(
    tiny_files, register_spec, data_home, closed_port_url
):
    register_spec(spec_for("tiny", tiny_files, [closed_port_url]))
    with pytest.raises(DownloadError) as exc:
        data.load("tiny")
    msg = str(exc.value)
    assert "\n" not in msg
    for needed in (
        "connection refused",
        closed_port_url,
        str(data_home / "tiny"),
        "--data-home",
        "mnistbench fetch tiny",
        "--dataset mnist-sample",
    ):
        assert needed in msg
    assert not (data_home / "tiny").exists()


def test_download_false_never_connects(mirror, tiny_files, register_spec):
    register_spec(spec_for("tiny", tiny_files, [mirror.base("a")]))
    with pytest.raises(DownloadError, match="downloading is off"):
        data.load("tiny", download=False)
    assert mirror.requests == []


def test_data_home_argument_beats_env(tmp_path, tiny_files, register_spec, data_home):
    register_spec(spec_for("tiny", tiny_files))
    explicit = tmp_path / "explicit"
    write_files(explicit / "tiny", make_arrays())
    assert data.load("tiny", data_home=explicit, download=False).X_train.shape == (
        60,
        784,
    )
    assert (explicit / "tiny" / "arrays" / "meta.json").exists()
    assert not data_home.exists()
    assert data.get_data_home() == data_home
    assert data.get_data_home(explicit) == explicit


def test_system_folder_is_used_in_place(tmp_path, tiny_files, register_spec, data_home):
    import dataclasses

    spec = spec_for("tiny", tiny_files)
    register_spec(
        dataclasses.replace(spec, system_dirs=(str(tiny_files["train_images"].parent),))
    )
    ds = data.load("tiny", download=False)
    assert str(tiny_files["train_images"]) in ds.source
    assert not (data_home / "tiny" / "train-images-idx3-ubyte.gz").exists()


def test_recompressed_copy_verified_by_payload(tmp_path, tiny_files, register_spec):
    """Debian re-compresses upstream's files: same payload, other .gz bytes."""
    import dataclasses
    import gzip
    import hashlib

    spec = spec_for("tiny", tiny_files)
    files = {}
    folder = tmp_path / "distro"
    folder.mkdir()
    for role, rf in spec.files.items():
        payload = gzip.decompress(tiny_files[role].read_bytes())
        (folder / rf.name).write_bytes(gzip.compress(payload, compresslevel=1, mtime=1))
        files[role] = dataclasses.replace(
            rf, payload_sha256=hashlib.sha256(payload).hexdigest()
        )
    register_spec(dataclasses.replace(spec, files=files, system_dirs=(str(folder),)))
    assert data.load("tiny", download=False).X_train.shape == (60, 784)


def test_local_checksum_mismatch_named(tiny_files, register_spec, data_home):
    register_spec(spec_for("tiny", tiny_files))
    folder = data_home / "tiny"
    paths = write_files(folder, make_arrays(seed=1))  # other pixels: other hashes
    with pytest.raises(ChecksumError, match="checksum mismatch") as exc:
        data.load("tiny", download=False)
    assert str(paths["train_images"]) in str(exc.value)
    assert paths["train_images"].exists()  # the user's file is not deleted


def test_bad_local_file_replaced_by_good_download(
    mirror, tiny_files, register_spec, data_home
):
    register_spec(spec_for("tiny", tiny_files, [mirror.base("a")]))
    write_files(data_home / "tiny", make_arrays(seed=1))
    assert data.load("tiny").X_train.shape == (60, 784)


def _register_local(register_spec, data_home, arrays, **kw):
    paths = write_files(data_home / "bad", arrays)
    register_spec(spec_for("bad", paths, **kw))
    return paths


def test_image_label_count_mismatch(register_spec, data_home):
    arrays = make_arrays()
    arrays["train_labels"] = arrays["train_labels"][:-1]
    paths = _register_local(register_spec, data_home, arrays)
    with pytest.raises(
        DataError, match="holds 60 images but .* holds 59 labels"
    ) as exc:
        data.load("bad", download=False)
    assert str(paths["train_images"]) in str(exc.value)


def test_labels_outside_range(register_spec, data_home):
    arrays = make_arrays()
    arrays["test_labels"][3] = 12
    paths = _register_local(register_spec, data_home, arrays)
    with pytest.raises(DataError, match="label 12 outside 0..9") as exc:
        data.load("bad", download=False)
    assert str(paths["test_labels"]) in str(exc.value)


def test_wrong_image_size(register_spec, data_home):
    arrays = make_arrays()
    arrays["train_images"] = arrays["train_images"][:, :27, :27].copy()
    _register_local(register_spec, data_home, arrays)
    with pytest.raises(DataError, match=r"shape \(n, 28, 28\)"):
        data.load("bad", download=False)


def test_labels_file_with_image_header(register_spec, data_home):
    arrays = make_arrays()
    arrays["test_labels"] = arrays["test_images"]
    _register_local(register_spec, data_home, arrays)
    with pytest.raises(DataError, match="expected uint8 labels"):
        data.load("bad", download=False)


def test_unexpected_count_for_registered_size(register_spec, data_home):
    _register_local(register_spec, data_home, make_arrays(), n_train=600)
    with pytest.raises(DataError, match="60 images, bad has 600"):
        data.load("bad", download=False)


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(
        UnknownDatasetError,
        match="valid names: mnist, fashion-mnist, kmnist, mnist-sample",
    ):
        data.load("emnist")


def test_damaged_array_cache_is_rebuilt(
    mirror, tiny_files, register_spec, data_home, caplog
):
    register_spec(spec_for("tiny", tiny_files, [mirror.base("a")]))
    data.load("tiny")
    (data_home / "tiny" / "arrays" / "X_train.npy").write_bytes(b"garbage")
    ds = data.load("tiny")
    assert ds.X_train.shape == (60, 784)
    assert "damaged array cache" in caplog.text


def test_unwritable_cache_still_loads(tiny_files, register_spec, tmp_path, caplog):
    """A data home that cannot be created (under a file, even for root) still
    lets a dataset load from a system folder, with a warning and no cache."""
    import dataclasses

    spec = spec_for("tiny", tiny_files)
    register_spec(
        dataclasses.replace(spec, system_dirs=(str(tiny_files["train_images"].parent),))
    )
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    ds = data.load("tiny", data_home=blocker / "home", download=False)
    assert ds.X_train.shape == (60, 784)
    assert ds.X_train.dtype == np.float32 and ds.X_train.flags.c_contiguous
    assert "cannot cache arrays" in caplog.text


def test_a_download_that_cannot_be_written_is_one_line(
    mirror, tiny_files, register_spec, data_home
):
    """When the download's name cannot be written (here a folder holds it),
    the error is one line naming it, and no mirror is tried (none would do
    better)."""
    from click.testing import CliRunner

    from mnistbench._io import WriteError
    from mnistbench.cli import cli

    register_spec(spec_for("tiny", tiny_files, [mirror.base("a"), mirror.base("b")]))
    target = data_home / "tiny" / "train-images-idx3-ubyte.gz"
    target.mkdir(parents=True)
    with pytest.raises(WriteError) as exc:
        data.load("tiny")
    assert str(exc.value) == f"is a directory writing {target}"
    assert mirror.requests == []
    assert _leftovers(data_home / "tiny") == [target.name]
    result = CliRunner().invoke(cli, ["fetch", "tiny"])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert lines == [f"Error: is a directory writing {target}"]
