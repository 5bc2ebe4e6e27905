import gzip
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mnistbench.data import read_idx, write_idx
from mnistbench.data._idx import read_idx_header
from mnistbench.exceptions import DataError

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    array=st.sampled_from(DTYPES).flatmap(
        lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=4, max_side=6))
    ),
    compressed=st.booleans(),
)
def test_round_trip(tmp_path, array, compressed):
    path = tmp_path / ("a.idx.gz" if compressed else "a.idx")
    write_idx(array, path)
    back = read_idx(path)
    assert back.dtype == array.dtype.newbyteorder("=")
    assert back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    header_dtype, header_shape = read_idx_header(path)
    assert header_dtype.newbyteorder("=") == back.dtype
    assert header_shape == array.shape


def test_matches_lecun_layout(tmp_path):
    """The bytes are exactly the IDX layout: magic 0x00000803, big-endian dims."""
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = write_idx(images, tmp_path / "x.idx").read_bytes()
    assert raw[:16] == struct.pack(">IIII", 0x803, 2, 3, 4)
    assert raw[16:] == images.tobytes()


def test_gzip_is_deterministic(tmp_path):
    a = write_idx(np.zeros(5, np.uint8), tmp_path / "a.gz").read_bytes()
    b = write_idx(np.zeros(5, np.uint8), tmp_path / "b.gz").read_bytes()
    assert a == b


def _raw(tmp_path, payload: bytes, name="bad.idx"):
    path = tmp_path / name
    path.write_bytes(payload)
    return path


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "not an IDX file"),
        (b"\x00\x00\x08\x00", "not an IDX file"),
        (b"\x00\x00", "not an IDX file"),
        (b"", "empty file"),
        (
            b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00",
            "unknown IDX type code 0x07",
        ),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 1), "header cut short"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"\x00" * 3, "holds only 3"),
        (
            b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"\x00" * 3,
            "longer than its header",
        ),
        (b"\x00\x00\x08\x02" + struct.pack(">II", 70000, 70000), "more than a"),
    ],
)
def test_malformed_raw(tmp_path, payload, message):
    path = _raw(tmp_path, payload)
    with pytest.raises(DataError, match=message) as exc:
        read_idx(path)
    text = str(exc.value)
    assert str(path) in text and "\n" not in text


def test_truncated_gzip(tmp_path):
    good = write_idx(np.arange(1000, dtype=np.int32), tmp_path / "good.gz").read_bytes()
    path = _raw(tmp_path, good[: len(good) // 2], "cut.gz")
    with pytest.raises(DataError, match="truncated gzip") as exc:
        read_idx(path)
    assert str(path) in str(exc.value)


def test_html_named_gz(tmp_path):
    path = _raw(tmp_path, b"<!DOCTYPE html><html><body>Not found</body></html>", "x.gz")
    with pytest.raises(DataError, match="not a gzip file.*DOCTYPE"):
        read_idx(path)


def test_corrupt_gzip(tmp_path):
    good = bytearray(
        write_idx(np.arange(1000, dtype=np.int32), tmp_path / "g.gz").read_bytes()
    )
    good[20:40] = b"\xff" * 20
    path = _raw(tmp_path, bytes(good), "corrupt.gz")
    with pytest.raises(DataError, match=str(path)):
        read_idx(path)


def test_gzip_bomb_is_capped(tmp_path):
    """A header declaring 16 bytes followed by 200 MB of zeros: refused, and
    decompression stops near the declared size (memory stays small)."""
    path = tmp_path / "bomb.gz"
    header = b"\x00\x00\x08\x01" + struct.pack(">I", 16)
    with gzip.open(path, "wb") as f:
        f.write(header)
        zeros = b"\x00" * (1 << 20)
        for _ in range(200):
            f.write(zeros)
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="longer than its header"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # the whole stream would be 200 MB


def test_write_refuses_unsupported_dtype(tmp_path):
    with pytest.raises(DataError, match="cannot store dtype"):
        write_idx(np.zeros(3, np.uint16), tmp_path / "x.idx")
