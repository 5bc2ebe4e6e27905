"""Hostile files given as a dataset: refused in one line, quickly, before the
memory is spent and without opening what is not a regular file."""

from __future__ import annotations

import gzip
import os
import resource
import socket
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import make_arrays, write_files

from mnistbench import data
from mnistbench._io import WriteError
from mnistbench.cli import cli
from mnistbench.data import _csv, _files, _memory
from mnistbench.exceptions import DataError

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="needs /proc and resource limits"
)


def invoke(args: list[str], timeout: float = 30, fifos=()):
    """Run the command line in a thread; fail (and unblock any reader of
    ``fifos``) if it has not finished after ``timeout`` seconds."""
    out = {}
    thread = threading.Thread(
        target=lambda: out.setdefault("result", CliRunner().invoke(cli, args)),
        daemon=True,
    )
    start = time.perf_counter()
    thread.start()
    thread.join(timeout)
    seconds = time.perf_counter() - start
    if thread.is_alive():
        for fifo in fifos:  # a writer that comes and goes: the reader sees EOF
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(10)
        pytest.fail(f"mnistbench {' '.join(args)} still running after {timeout} s")
    return out["result"], seconds


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def write_csv(path: Path, n: int = 140) -> Path:
    a = make_arrays(n_train=n)
    frame = pd.DataFrame(a["train_images"].reshape(n, -1))
    frame.insert(0, "label", a["train_labels"])
    frame.to_csv(path, index=False, header=False)
    return path


def make_socket(path: Path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    return s


# --- not a regular file: refused by its kind, never opened ------------------------


def fifo_given(tmp_path):
    os.mkfifo(tmp_path / "data")
    return tmp_path / "data", "data: a FIFO (named pipe), not a file or folder"


def fifo_named_npz(tmp_path):
    os.mkfifo(tmp_path / "d.npz")
    return tmp_path / "d.npz", "d.npz: a FIFO (named pipe), not a file or folder"


def fifo_train_csv_in_folder(tmp_path):
    os.mkfifo(tmp_path / "train.csv")
    return tmp_path, "train.csv: a FIFO (named pipe), not a file or folder"


def fifo_prefixed_train_csv(tmp_path):
    os.mkfifo(tmp_path / "mnist_train.csv")
    return tmp_path, "mnist_train.csv: a FIFO (named pipe)"


def fifo_test_csv_beside_train(tmp_path):
    write_csv(tmp_path / "train.csv")
    os.mkfifo(tmp_path / "test.csv")
    return tmp_path, "test.csv: a FIFO (named pipe), not a file or folder"


def fifo_idx_file(tmp_path):
    folder = tmp_path / "idx"
    paths = write_files(folder, make_arrays())
    paths["test_images"].unlink()
    os.mkfifo(paths["test_images"])
    return folder, "t10k-images-idx3-ubyte.gz: a FIFO (named pipe)"


def fifo_raw_idx_beside_gz(tmp_path):
    folder = tmp_path / "idx"
    write_files(folder, make_arrays())
    os.mkfifo(folder / "train-labels-idx1-ubyte")
    return folder, "train-labels-idx1-ubyte: a FIFO (named pipe)"


def fifo_classes_txt(tmp_path):
    write_csv(tmp_path / "train.csv")
    os.mkfifo(tmp_path / "classes.txt")
    return tmp_path, "classes.txt: a FIFO (named pipe), not a file or folder"


def fifo_test_of_a_pair(tmp_path):
    write_csv(tmp_path / "a.csv")
    os.mkfifo(tmp_path / "b.csv")
    pair = f"{tmp_path / 'a.csv'},{tmp_path / 'b.csv'}"
    return pair, "b.csv: a FIFO (named pipe), not a file or folder"


def fifo_train_of_a_pair(tmp_path):
    os.mkfifo(tmp_path / "a.csv")
    write_csv(tmp_path / "b.csv")
    pair = f"{tmp_path / 'a.csv'},{tmp_path / 'b.csv'}"
    return pair, "a.csv: a FIFO (named pipe), not a file or folder"


def symlink_to_fifo(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "train.csv").symlink_to(tmp_path / "pipe")
    return tmp_path / "train.csv", "train.csv: a FIFO (named pipe)"


SPECIAL = [
    fifo_given,
    fifo_named_npz,
    fifo_train_csv_in_folder,
    fifo_prefixed_train_csv,
    fifo_test_csv_beside_train,
    fifo_idx_file,
    fifo_raw_idx_beside_gz,
    fifo_classes_txt,
    fifo_test_of_a_pair,
    fifo_train_of_a_pair,
    symlink_to_fifo,
]


@pytest.mark.parametrize("make", SPECIAL, ids=lambda f: f.__name__)
def test_a_fifo_anywhere_is_refused_by_its_kind(make, tmp_path, data_home):
    path, needle = make(_folder(tmp_path))
    fifos = [p for p in (tmp_path / "in").rglob("*") if _is_fifo(p)]
    result, seconds = invoke(["datasets", str(path)], fifos=fifos)
    line = one_line_error(result)
    assert needle in line, line
    assert seconds < 5
    assert not (data_home / "own").exists()


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    return folder


def _is_fifo(path: Path) -> bool:
    import stat

    return stat.S_ISFIFO(os.lstat(path).st_mode)


def test_run_refuses_a_fifo_in_a_dataset_folder(tmp_path):
    os.mkfifo(tmp_path / "train.csv")
    out = tmp_path / "results"
    result, _ = invoke(
        ["run", "knn", "-d", str(tmp_path), "--out", str(out)],
        fifos=[tmp_path / "train.csv"],
    )
    assert "train.csv: a FIFO (named pipe)" in one_line_error(result)
    assert not (out / "leaderboard.csv").exists()


@linux_only
@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_a_character_device_is_refused(device, tmp_path):
    result, seconds = invoke(["datasets", device])
    line = one_line_error(result)
    assert f"{device}: a character device, not a file or folder" in line
    # inside a folder too, under a dataset file's name
    (tmp_path / "train.csv").symlink_to(device)
    result, _ = invoke(["datasets", str(tmp_path)])
    assert "train.csv: a character device" in one_line_error(result)


def test_a_socket_is_refused(tmp_path):
    if len(str(tmp_path / "train.csv")) > 100:
        pytest.skip("a socket's path must fit in 108 bytes")
    with make_socket(tmp_path / "s.csv"):
        result, _ = invoke(["datasets", str(tmp_path / "s.csv")])
        assert "s.csv: a socket, not a file or folder" in one_line_error(result)
        with make_socket(tmp_path / "train.csv"):
            result, _ = invoke(["datasets", str(tmp_path)])
            assert "train.csv: a socket" in one_line_error(result)


def test_folders_named_like_files_are_passed_over_or_refused(tmp_path):
    """Kaggle's MNIST has a folder train-images-idx3-ubyte/ beside the file
    train-images.idx3-ubyte: the folder is passed over, as before. A folder
    given as a file of a TRAIN.csv,TEST.csv pair is refused."""
    folder = tmp_path / "kaggle"
    a = make_arrays()
    for role, name in (
        ("train_images", "train-images.idx3-ubyte"),
        ("train_labels", "train-labels.idx1-ubyte"),
        ("test_images", "t10k-images.idx3-ubyte"),
        ("test_labels", "t10k-labels.idx1-ubyte"),
    ):
        (folder / name.replace(".idx", "-idx")).mkdir(parents=True)
        data.write_idx(a[role], folder / name.replace(".idx", "-idx") / "x")
        data.write_idx(a[role], folder / name)
    (folder / "classes.txt").mkdir()
    assert data.load(folder).X_train.shape == (60, 784)
    write_csv(tmp_path / "a.csv")
    (tmp_path / "b.csv").mkdir()
    result, _ = invoke(["datasets", f"{tmp_path / 'a.csv'},{tmp_path / 'b.csv'}"])
    assert "b.csv: a folder, not a file" in one_line_error(result)


def test_symlinks_to_regular_files_keep_working(tmp_path):
    real = write_csv(tmp_path / "real.csv")
    folder = tmp_path / "linked"
    folder.mkdir()
    (folder / "train.csv").symlink_to(real)
    (tmp_path / "alias.csv").symlink_to(real)
    a = data.load(folder)
    b = data.load(tmp_path / "alias.csv")
    assert a.sha256 == b.sha256 == data.load(real).sha256


def test_a_file_swapped_for_a_fifo_after_the_check_is_not_waited_on(
    tmp_path, monkeypatch
):
    """Between the stat and the open, a regular file became a FIFO: the open
    does not block, and the kind is checked again on what was opened."""
    os.mkfifo(tmp_path / "train.csv")
    monkeypatch.setattr(_files, "regular_file", lambda path: True)
    start = time.perf_counter()
    with pytest.raises(DataError, match="a FIFO \\(named pipe\\), not a file"):
        _files.open_regular(tmp_path / "train.csv")
    assert time.perf_counter() - start < 1


def test_a_path_read_again_by_a_job_is_checked_again(tmp_path, data_home):
    """A job reads a dataset again from its path when the cache is gone: the
    file has become a FIFO there."""
    import shutil

    path = write_csv(tmp_path / "digits.csv")
    ds = data.load(path)
    shutil.rmtree(data_home / "own")
    path.unlink()
    os.mkfifo(path)
    result = {}

    def load():
        try:
            data.load_job_data(ds.name, ds.origin)
        except DataError as exc:
            result["error"] = str(exc)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("the job's load waits on the FIFO")
    assert "digits.csv: a FIFO (named pipe)" in result["error"]


def test_a_fifo_in_the_array_cache_is_not_opened(tmp_path, data_home):
    path = write_csv(tmp_path / "digits.csv")
    ds = data.load(path)
    meta = data_home / "own" / ds.sha256 / "meta.json"
    meta.unlink()
    os.mkfifo(meta)
    again = data.load(path)
    assert again.sha256 == ds.sha256
    assert meta.is_file()  # rebuilt: the FIFO replaced by the file


# --- gzip and .npz bombs: judged by their headers, before anything is read -----


def gz_of_zeros(path: Path, header: bytes, n_zeros: int) -> Path:
    """``header`` then ``n_zeros`` zero bytes, as concatenated gzip members
    (one compressed block repeated), written in milliseconds."""
    block = 1 << 24
    member = gzip.compress(b"\0" * block, compresslevel=9, mtime=0)
    full, rest = divmod(n_zeros, block)
    with open(path, "wb") as f:
        f.write(gzip.compress(header, mtime=0))
        for _ in range(full):
            f.write(member)
        if rest:
            f.write(gzip.compress(b"\0" * rest, compresslevel=9, mtime=0))
    return path


def idx_header(*dims: int) -> bytes:
    return bytes([0, 0, 8, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def bomb_folder(folder: Path, n: int = 200_000, side: int = 64) -> Path:
    """An IDX folder whose images inflate to n x side x side zeros, from a
    gzip whose size agrees with its header (deflate's ~1030:1)."""
    folder.mkdir()
    images = gz_of_zeros(
        folder / "train-images-idx3-ubyte.gz", idx_header(n, side, side), n * side**2
    )
    labels = np.arange(n, dtype=np.uint8) % 10
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_header(n) + labels.tobytes(), mtime=0)
    )
    assert images.stat().st_size < 1_000_000
    return folder


CHILD = """
import resource, sys, time
import numpy, pandas  # noqa: F401 (loaded before the limit)
from mnistbench.cli import cli

status = open("/proc/self/status").read().splitlines()
used = int(next(ln.split()[1] for ln in status if ln.startswith("VmSize"))) * 1024
hard = resource.getrlimit(resource.RLIMIT_AS)[1]
resource.setrlimit(resource.RLIMIT_AS, (used + (1 << 30), hard))
start = time.perf_counter()
try:
    cli(["datasets", sys.argv[1]], prog_name="mnistbench")
finally:
    print(f"seconds {time.perf_counter() - start:.3f}", flush=True)
"""


@linux_only
def test_a_gzip_bomb_under_an_address_space_limit_is_refused_at_once(
    tmp_path, data_home
):
    """200,000 64x64 images of zeros (819 MB, 3.3 GB as float32, as much
    again for the split) from a 0.8 MB file, in a process allowed 1 GiB
    more than it uses: refused from the header, in one line, at once."""
    folder = bomb_folder(tmp_path / "bomb")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MNISTBENCH_DATA_HOME": str(data_home)},
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "train-images-idx3-ubyte.gz: the images need 7.4 GB in memory" in lines[0]
    assert "is available (RLIMIT_AS)" in lines[0]
    seconds = float(proc.stdout.split("seconds")[-1])
    assert seconds < 1.5, proc.stdout


def test_decompression_stops_past_the_declared_size(tmp_path):
    """A header declaring 16 bytes, then 1 GiB of zeros: refused after
    inflating about a buffer more, in far less time than the whole takes."""
    path = gz_of_zeros(tmp_path / "x.gz", idx_header(16), 16 + (1 << 30))
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(DataError, match="longer than its header declares"):
            data.read_idx(path)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seconds < 0.5  # inflating 1 GiB takes seconds
    assert peak < 2_000_000


def test_idx_headers_are_judged_together_before_any_payload(
    tmp_path, monkeypatch, data_home
):
    folder = write_files(tmp_path / "idx", make_arrays())["train_images"].parent
    monkeypatch.setattr(
        _memory, "available_memory", lambda: _memory.Available(100_000, "a test")
    )
    read = []
    monkeypatch.setattr("mnistbench.data._formats.read_idx", read.append)
    result, _ = invoke(["datasets", str(folder)])
    line = one_line_error(result)
    # 60 + 20 images of 784 bytes, as float32, and the labels
    assert "train-images-idx3-ubyte.gz: the images need 314 kB in memory" in line
    assert "100 kB is available (a test)" in line
    assert read == []


def npz_with(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def small_npz(tmp_path: Path) -> Path:
    a = make_arrays()
    return npz_with(
        tmp_path / "d.npz",
        x_train=a["train_images"],
        y_train=a["train_labels"],
        x_test=a["test_images"],
        y_test=a["test_labels"],
    )


def test_npz_members_are_judged_by_their_headers_before_loading(tmp_path, monkeypatch):
    path = small_npz(tmp_path)
    monkeypatch.setattr(
        _memory, "available_memory", lambda: _memory.Available(100_000, "a test")
    )

    def read_array(*args, **kwargs):
        raise AssertionError("an array was read")

    monkeypatch.setattr(np.lib.format, "read_array", read_array)
    with pytest.raises(DataError, match=r"d.npz: the arrays need 314 kB in memory"):
        data.load(path)


def test_an_npz_member_declaring_more_than_it_holds(tmp_path):
    """A member whose .npy header declares a huge array over a few bytes."""
    header = {"descr": "|u1", "fortran_order": False, "shape": (10**6, 4096, 4096)}
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("x_train.npy", "w") as f:
            np.lib.format.write_array_header_2_0(f, header)
            f.write(b"\0" * 1000)
        with zf.open("y_train.npy", "w") as f:
            np.save(f, np.zeros(10, np.uint8))
    start = time.perf_counter()
    with pytest.raises(DataError) as exc:
        data.load(path)
    assert time.perf_counter() - start < 1
    assert "bomb.npz (x_train): header declares shape (1000000, 4096, 4096)" in str(
        exc.value
    )
    assert "the member holds only 1000" in str(exc.value)


def test_an_npz_of_pickles_is_refused_from_its_header(tmp_path, monkeypatch):
    X = np.empty(60, dtype=object)
    X[:] = [np.zeros(784)] * 60
    path = npz_with(tmp_path / "p.npz", x_train=X, y_train=np.arange(60) % 2)
    monkeypatch.setattr(np.lib.format, "read_array", None)  # never reached
    with pytest.raises(DataError, match="p.npz \\(x_train\\): holds pickled"):
        data.load(path)


def test_arrays_from_python_are_judged_before_the_float32_copy(monkeypatch):
    monkeypatch.setattr(
        _memory, "available_memory", lambda: _memory.Available(1_000, "a test")
    )
    with pytest.raises(DataError, match="x X_train: the images as float32 need"):
        data.from_arrays(np.zeros((60, 784), np.uint8), np.arange(60) % 2, name="x")


# --- available memory ------------------------------------------------------------


def fake_proc(tmp_path: Path, cgroup: str, meminfo: str = "MemAvailable: 8000 kB"):
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "meminfo").write_text(f"MemTotal: 16000 kB\n{meminfo}\n")
    (proc / "self" / "cgroup").write_text(cgroup)
    return proc


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_memory_available_in_a_cgroup_v2(tmp_path):
    proc = fake_proc(tmp_path, "0::/jobs/one\n")
    root = write_tree(
        tmp_path / "cg",
        {
            "cgroup.controllers": "cpu memory",
            "jobs/memory.max": "3000000\n",
            "jobs/memory.current": "100000\n",
            "jobs/one/memory.max": "2000000\n",
            "jobs/one/memory.current": "1500000\n",
            "jobs/one/memory.stat": "anon 1000000\ninactive_file 250000\n",
        },
    )
    # its own limit, less what it uses, its reclaimable file cache counted free
    assert _memory._cgroup(proc, root) == (750_000, "cgroup memory limit")
    # a parent's limit binds too
    (root / "jobs" / "memory.current").write_text("2500000\n")
    assert _memory._cgroup(proc, root) == (500_000, "cgroup memory limit")
    # no limit anywhere: MemAvailable decides
    for f in ("jobs/memory.max", "jobs/one/memory.max"):
        (root / f).write_text("max\n")
    assert _memory._cgroup(proc, root) is None
    assert _memory._meminfo(proc) == (8000 * 1024, "MemAvailable")


def test_memory_available_in_a_cgroup_v1_and_hybrid(tmp_path):
    proc = fake_proc(tmp_path, "4:memory:/box\n0::/\n3:cpu:/box\n")
    root = write_tree(
        tmp_path / "cg",
        {
            "memory/box/memory.limit_in_bytes": "4000000\n",
            "memory/box/memory.usage_in_bytes": "1000000\n",
            "memory/memory.limit_in_bytes": "9223372036854771712\n",
            "unified/cgroup.controllers": "",
        },
    )
    assert _memory._cgroup(proc, root) == (3_000_000, "cgroup memory limit")
    # inside a container, the group's path is not there: its root is
    (root / "memory" / "box").rename(root / "gone")
    write_tree(
        root,
        {"memory/memory.limit_in_bytes": "5000", "memory/memory.usage_in_bytes": "0"},
    )
    assert _memory._cgroup(proc, root) == (5000, "cgroup memory limit")


@linux_only
def test_memory_available_respects_rlimit_data():
    if resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY:
        pytest.skip("an address space limit is set")
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    status = Path("/proc/self/status").read_text().splitlines()
    used = int(next(ln.split()[1] for ln in status if ln.startswith("VmData"))) * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (used + (200 << 20), hard))
    try:
        free = _memory.available_memory()
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
    assert free.limit == "RLIMIT_DATA"
    assert 100 << 20 < free.bytes <= 200 << 20


def test_memory_available_elsewhere(tmp_path, monkeypatch):
    """No /proc: psutil, else the physical memory."""
    monkeypatch.setattr(sys, "platform", "darwin")
    free = _memory.available_memory(proc=tmp_path, cgroup_root=tmp_path)
    assert free is not None and free.bytes > 0


# --- CSV: the column count, from a bounded prefix of line 1 ------------------------


def test_a_million_columns_on_one_line_are_refused_at_once(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("0," * 999_999 + "0\n")  # 2 MB
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(DataError) as exc:
            data.load(path)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "wide.csv: line 1 has at least 524,289 columns" in str(exc.value)
    assert "a 2,000,000-byte file has room for 1 line of that many numbers" in str(
        exc.value
    )
    assert "a dataset needs at least 2 images" in str(exc.value)
    assert seconds < 1
    assert peak < 10_000_000  # pandas took 2.6 GB
    result, seconds = invoke(["datasets", str(path)])
    assert "room for 1 line" in one_line_error(result) and seconds < 5


def test_a_test_csv_wider_than_the_training_csv_is_refused_before_parsing(tmp_path):
    write_csv(tmp_path / "train.csv")
    (tmp_path / "test.csv").write_text(("0," * 999_999 + "0\n") * 3)
    start = time.perf_counter()
    with pytest.raises(DataError, match="test.csv: at least 524,289 columns, the tr"):
        data.load(tmp_path)
    assert time.perf_counter() - start < 2


def test_csv_parse_that_needs_more_memory_than_is_available(tmp_path, monkeypatch):
    path = tmp_path / "x.csv"
    path.write_text(("1," + "0," * 19_999 + "0\n") * 20)  # 20 lines, 20,001 columns
    monkeypatch.setattr(
        _memory, "available_memory", lambda: _memory.Available(50_000_000, "a test")
    )
    with pytest.raises(DataError) as exc:
        data.load(path)
    assert str(exc.value) == (
        f"{path}: parsing 20,001 columns would need 90 MB in memory, 50 MB is "
        "available (a test)"
    )


def test_a_first_line_that_runs_on_without_fields(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("1" * 3_000_000 + "\n" + "1,2\n" * 10)
    with pytest.raises(DataError, match="line 1 runs on for at least"):
        data.load(path)


def test_more_pixel_columns_than_the_largest_image(monkeypatch):
    monkeypatch.setattr(
        _memory, "available_memory", lambda: _memory.Available(1 << 50, "a test")
    )
    rules = _csv._Rules()
    with pytest.raises(DataError, match="more than 16,777,216 pixel columns, the lar"):
        _csv._refuse(Path("x.csv"), 4096**2 + 2, 10**12, 4096**2 * 2, rules)
    _csv._refuse(Path("x.csv"), 4096**2 + 1, 10**8, 4096**2 * 2, rules)


def test_the_memory_estimate_follows_the_length_of_the_lines(tmp_path, monkeypatch):
    """Float pixels take 20 bytes, not 2: a file holds fewer lines of them,
    and the estimate follows the first line of data."""
    a = make_arrays(n_train=300)
    frame = pd.DataFrame(a["train_images"].reshape(300, -1) / 255)
    frame.insert(0, "label", a["train_labels"])
    path = tmp_path / "floats.csv"
    frame.to_csv(path, index=False)
    seen = []
    real = _csv._refuse

    def spy(*args, **kwargs):
        seen.append(kwargs.get("rows"))
        return real(*args, **kwargs)

    monkeypatch.setattr(_csv, "_refuse", spy)
    data.load(path)
    room = path.stat().st_size // (2 * 785)  # two bytes a number: 10 times more
    assert 250 <= seen[-1] <= 350 < room / 5


# --- writes: whole or not at all ----------------------------------------------------


def test_write_idx_is_atomic(tmp_path, monkeypatch):
    path = data.write_idx(np.arange(10, dtype=np.uint8), tmp_path / "x.idx.gz")
    before = path.read_bytes()

    def full(self, data):
        import errno

        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(gzip.GzipFile, "write", full)
    with pytest.raises(WriteError, match=r"^no space left on .* writing .*x.idx.gz$"):
        data.write_idx(np.arange(20, dtype=np.uint8), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.idx.gz"]


def test_write_idx_into_what_cannot_be_written(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(WriteError) as exc:
        data.write_idx(np.arange(3, dtype=np.uint8), tmp_path / "a-file" / "x.idx")
    assert "\n" not in str(exc.value) and "a-file/x.idx" in str(exc.value)


def test_storing_arrays_from_python_where_nothing_can_be_written(tmp_path):
    (tmp_path / "a-file").write_text("")
    a = make_arrays(n_train=140)
    ds = data.from_arrays(a["train_images"], a["train_labels"], name="digits")
    with pytest.raises(WriteError) as exc:
        data.store(ds, data_home=tmp_path / "a-file" / "home")
    message = str(exc.value)
    assert "\n" not in message and str(tmp_path / "a-file") in message
    assert message.endswith(
        "job processes read arrays from Python only from the data home"
    )


def test_the_sources_index_is_written_atomically_or_warned_about(
    tmp_path, data_home, caplog
):
    path = write_csv(tmp_path / "digits.csv")
    data.load(path)
    index = list((data_home / "own" / "sources").iterdir())
    assert len(index) == 1 and index[0].suffix == ".json"
    # a cache that cannot be written is a warning, not an error
    for p in index:
        p.unlink()
    (data_home / "own" / "sources").rmdir()
    (data_home / "own" / "sources").write_text("")
    assert data.load(path).n_classes == 10
    assert "cannot cache" in caplog.text
