"""The command line: click's CliRunner for most, real subprocesses for the shell."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import spec_for

from mnistbench.cli import cli


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps tables to the terminal
    return CliRunner()


def one_line_error(result, *needles):
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def test_help(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("datasets", "fetch", "info"):
        assert command in result.output


def test_datasets_lists_all_with_readiness(runner):
    result = runner.invoke(cli, ["datasets"])
    assert result.exit_code == 0, result.output
    for name in ("mnist", "fashion-mnist", "kmnist", "mnist-sample"):
        assert name in result.output
    assert "ships in a package" in result.output
    assert "not ready offline" in result.output
    assert "60,000" in result.output and "11.6 MB" in result.output


def test_fetch_from_loopback_mirror(
    runner, mirror, tiny_files, register_spec, data_home
):
    register_spec(spec_for("tiny", tiny_files, [mirror.base("a")]))
    result = runner.invoke(cli, ["fetch", "tiny"])
    assert result.exit_code == 0, result.output
    assert "tiny: ready, 60 train / 20 test" in result.stdout
    assert (data_home / "tiny" / "arrays" / "meta.json").exists()
    again = runner.invoke(cli, ["fetch", "tiny"])
    assert "already cached" in again.stdout


def test_fetch_unknown(runner):
    one_line_error(
        runner.invoke(cli, ["fetch", "emnist"]),
        "unknown dataset 'emnist'",
        "mnist, fashion-mnist, kmnist, mnist-sample",
    )


def test_fetch_mnist_without_network(runner, monkeypatch, closed_port_url, data_home):
    monkeypatch.setenv("MNISTBENCH_MIRROR", closed_port_url)
    line = one_line_error(
        runner.invoke(cli, ["fetch", "mnist"]),
        "connection refused",
        "--data-home",
        "mnistbench fetch mnist",
        "--dataset mnist-sample",
    )
    assert closed_port_url in line
    assert not (data_home / "mnist").exists()


def test_fetch_checksum_mismatch(runner, mirror, tiny_files, register_spec, data_home):
    mirror.modes["a"] = "corrupt"
    register_spec(spec_for("tiny", tiny_files, [mirror.base("a")]))
    one_line_error(runner.invoke(cli, ["fetch", "tiny"]), "checksum mismatch")
    assert not (data_home / "tiny").exists()


def test_bad_local_file_one_line(runner, tmp_path, register_spec):
    from conftest import make_arrays, write_files

    home = tmp_path / "home"
    paths = write_files(home / "tiny", make_arrays())
    paths["test_labels"].write_bytes(b"<html>rate limited</html>")
    register_spec(spec_for("tiny", paths))
    one_line_error(
        runner.invoke(cli, ["fetch", "tiny", "--data-home", str(home)]),
        str(paths["test_labels"]),
        "not a gzip file",
    )


def test_info_json(runner):
    result = runner.invoke(cli, ["info", "--json"])
    assert result.exit_code == 0
    env = json.loads(result.stdout)
    assert env["n_cores"] >= 1
    assert env["versions"]["scikit-learn"]
    assert "blas_threads" in env and "gpu" in env


def test_info_table(runner):
    result = runner.invoke(cli, ["info"])
    assert result.exit_code == 0
    assert "scikit-learn" in result.output and "n_cores" in result.output


def _run(*args, **env):
    exe = os.path.join(os.path.dirname(sys.executable), "mnistbench")
    return subprocess.run(
        [exe, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_console_script_fetch_sample_offline():
    proc = _run("fetch", "mnist-sample")
    assert proc.returncode == 0, proc.stderr
    assert "mnist-sample: ready, 4,000 train / 1,000 test" in proc.stdout


def test_console_script_error_has_no_traceback(closed_port_url):
    proc = _run("fetch", "kmnist", MNISTBENCH_MIRROR=closed_port_url)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith("Error: kmnist: no verified copy")


def test_console_script_usage_error():
    proc = _run("fetch")
    assert proc.returncode == 2
    assert "Missing argument" in proc.stderr


@pytest.mark.parametrize(
    "command", [["run"], ["bench", "peer"], ["bench", "scaling"], ["bench", "engines"]]
)
def test_timeout_default_is_the_runners(command):
    from mnistbench.runner import DEFAULT_TIMEOUT

    ctx = cli.make_context("mnistbench", [*command, "--help"], resilient_parsing=True)
    sub = ctx.command
    for name in command:
        sub = sub.get_command(ctx, name)
    (option,) = [p for p in sub.params if p.name == "timeout"]
    assert option.default == DEFAULT_TIMEOUT
