"""The machine's columns of every row."""

import subprocess
import sys

CODE = """{first}
from threadpoolctl import threadpool_info
from mnistbench.envinfo import machine_fields
loaded = [f"{{l['internal_api']}} {{l['version'] or ''}}".strip()
          for l in threadpool_info() if l['user_api'] == 'blas']
print(machine_fields()['blas']); print(', '.join(loaded))
"""


def test_the_blas_column_does_not_follow_the_import_order():
    """threadpoolctl lists BLAS libraries in the order the process loaded
    them (here numpy's and scipy's OpenBLAS, in either order); the column
    lists them sorted, whatever was imported first."""
    seen = []
    for first in ("import scipy.linalg", "import joblib, sklearn"):
        out = subprocess.run(
            [sys.executable, "-c", CODE.format(first=first)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        seen.append(out)
    (column, loaded), (other_column, _) = seen
    assert column == other_column
    assert column.split(", ") == sorted(loaded.split(", "))
