"""The machine a result was measured on: versions, CPU, BLAS threads, GPU."""

from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
from typing import Any

__all__ = [
    "blas_info",
    "cpu_model",
    "environment",
    "gpu_info",
    "machine_fields",
    "package_versions",
]

_PACKAGES = (
    "mnistbench",
    "numpy",
    "scipy",
    "scikit-learn",
    "pandas",
    "joblib",
    "matplotlib",
    "pooch",
    "threadpoolctl",
    "mlxtend",
    "scikit-learn-intelex",
    "cuml-cu12",
    "cuml-cu13",
    "distributed",
)


def package_versions() -> dict[str, str | None]:
    """Installed version of each package mnistbench uses (None if absent)."""
    out: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


@functools.cache
def cpu_model() -> str:
    """The CPU's marketing name, or the architecture if it cannot be read."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            return subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine()


def blas_info() -> list[dict[str, Any]]:
    """BLAS/OpenMP libraries loaded in this process and their thread counts."""
    import numpy  # noqa: F401  (loads its BLAS so threadpoolctl can see it)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    return [
        {
            "api": lib.get("internal_api"),
            "user_api": lib.get("user_api"),
            "version": lib.get("version"),
            "num_threads": lib.get("num_threads"),
            "library": os.path.basename(lib.get("filepath", "")),
        }
        for lib in threadpool_info()
    ]


@functools.cache
def gpu_info() -> list[dict[str, str]]:
    """NVIDIA GPUs seen by ``nvidia-smi`` (empty when there is none)."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run(
            [
                smi,
                "--query-gpu=name,memory.total,driver_version",
                "--format=csv,noheader",
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.strip().splitlines():
        name, memory, driver = (part.strip() for part in line.split(",", 2))
        gpus.append({"name": name, "memory": memory, "driver": driver})
    return gpus


def environment() -> dict[str, Any]:
    """Everything above in one flat-ish dict, for ``mnistbench info`` and results."""
    import joblib

    blas = blas_info()
    gpus = gpu_info()
    return {
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "n_cores": joblib.cpu_count(),
        "n_physical_cores": joblib.cpu_count(only_physical_cores=True),
        "blas": blas,
        "blas_threads": max((b["num_threads"] or 0 for b in blas), default=0),
        "gpu": "; ".join(f"{g['name']} ({g['memory']})" for g in gpus) or "none",
        "versions": package_versions(),
    }


def machine_fields() -> dict[str, Any]:
    """The leaderboard columns that describe this machine and its software."""
    from mnistbench import __version__

    env = environment()
    # Sorted: threadpoolctl lists the libraries in the order they were loaded,
    # which follows whatever the process happened to import first.
    blas = ", ".join(
        sorted(
            f"{b['api']} {b['version'] or ''}".strip()
            for b in env["blas"]
            if b["user_api"] == "blas"
        )
    )
    return {
        "mnistbench_version": __version__,
        "sklearn_version": env["versions"]["scikit-learn"],
        "numpy_version": env["versions"]["numpy"],
        "python_version": env["python_version"],
        "cpu": env["cpu"],
        "n_cores": env["n_cores"],
        "blas": blas,
        "host": os.uname().nodename if hasattr(os, "uname") else "",
        "gpu": env["gpu"],
    }
