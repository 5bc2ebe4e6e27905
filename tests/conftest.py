"""Shared fixtures: an isolated data home, a tiny generated MNIST-like dataset,
and a loopback HTTP mirror on 127.0.0.1 that can misbehave on request."""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from mnistbench import data
from mnistbench.data import DatasetSpec, RemoteFile, write_idx
from mnistbench.jobs import use_job_server

ROLE_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own empty data home and no mirror override."""
    home = tmp_path / "data_home"
    monkeypatch.setenv("MNISTBENCH_DATA_HOME", str(home))
    monkeypatch.delenv("MNISTBENCH_MIRROR", raising=False)
    return home


@pytest.fixture(autouse=True)
def jobs_start_as_new_pythons():
    """The library's default, whatever a command run in process turned on."""
    yield
    use_job_server(False)


@pytest.fixture(params=["new python", "fork server"])
def job_start(request):
    """Each way a job process can start."""
    use_job_server(request.param == "fork server")
    return request.param


def make_arrays(n_train=60, n_test=20, seed=0):
    """Tiny MNIST-like arrays: uint8 images whose mean brightness encodes the label."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = rng.integers(0, 40, size=(n, 28, 28), dtype=np.uint8)
        images += (labels * 20)[:, None, None].astype(np.uint8)
        out[f"{split}_images"], out[f"{split}_labels"] = images, labels
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_files(folder: Path, arrays: dict) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        role: write_idx(arrays[role], folder / name)
        for role, name in ROLE_FILES.items()
    }


def spec_for(name: str, paths: dict[str, Path], mirrors=(), n_train=60, n_test=20):
    files = {
        role: RemoteFile(p.name, sha256(p), size=p.stat().st_size)
        for role, p in paths.items()
    }
    return DatasetSpec(
        name=name,
        description="generated for tests",
        class_names=tuple("abcdefghij"),
        n_train=n_train,
        n_test=n_test,
        files=files,
        mirrors=tuple(mirrors),
    )


@pytest.fixture
def tiny_files(tmp_path) -> dict[str, Path]:
    """The four gzipped IDX files of a tiny dataset, outside any data home."""
    return write_files(tmp_path / "published", make_arrays())


@pytest.fixture
def register_spec():
    """Register specs for one test only."""
    names = []

    def _register(spec):
        data.register(spec, overwrite=True)
        names.append(spec.name)
        return spec

    yield _register
    for name in names:
        data.unregister(name)


class Mirror:
    """A loopback HTTP server; ``modes[prefix]`` picks how ``/prefix/...`` answers:
    ``ok``, ``404``, ``truncate`` (half the body, then hang up) or ``corrupt``."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.modes: dict[str, str] = {}
        self.requests: list[str] = []
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                mirror.requests.append(self.path)
                prefix, _, name = self.path.strip("/").partition("/")
                mode = mirror.modes.get(prefix, "ok")
                body = mirror.files.get(name)
                if body is None or mode == "404":
                    self.send_error(404)
                    return
                if mode == "corrupt":
                    body = body[:-8] + b"\x00" * 8
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if mode == "truncate":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def base(self, prefix: str) -> str:
        return f"{self.url}/{prefix}/"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirror(tiny_files):
    m = Mirror({p.name: p.read_bytes() for p in tiny_files.values()})
    yield m
    m.close()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL nothing listens on: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def plugin_env(tmp_path):
    """An environment whose processes see the misbehaving pipelines of
    ``helpers`` as an entry-point plugin (``sleepy``, ``hang``, ``boom``...)."""
    from helpers import write_plugin

    site = write_plugin(tmp_path / "site")
    tests = Path(__file__).parent
    path = os.pathsep.join([str(site), str(tests), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "COLUMNS": "200"}


@pytest.fixture
def fresh_plugins(monkeypatch):
    """The pipeline registry as it was, and its plugins loaded again on demand."""
    from mnistbench import pipelines

    before = dict(pipelines._REGISTRY)
    monkeypatch.setattr(pipelines, "_plugins_loaded", False)
    yield
    pipelines._REGISTRY.clear()
    pipelines._REGISTRY.update(before)
