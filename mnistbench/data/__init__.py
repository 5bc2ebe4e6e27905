"""MNIST-family datasets: registry, verified download, cache and loading.

>>> from mnistbench import data
>>> ds = data.load("mnist-sample")          # ships with the package, no network
>>> ds.X_train.shape, ds.X_train.dtype
((4000, 784), dtype('float32'))
"""

from mnistbench.data._dataset import Dataset, fetch, is_cached, load
from mnistbench.data._fetch import (
    ENV_DATA_HOME,
    ENV_MIRROR,
    fetch_files,
    get_data_home,
    has_local_files,
    mirror_urls,
    verify,
)
from mnistbench.data._idx import read_idx, write_idx
from mnistbench.data._registry import (
    FASHION_MNIST,
    KMNIST,
    MNIST,
    DatasetSpec,
    RemoteFile,
    available,
    get_spec,
    register,
    unregister,
)
from mnistbench.data._sample import MNIST_SAMPLE

for _spec in (MNIST, FASHION_MNIST, KMNIST, MNIST_SAMPLE):
    register(_spec, overwrite=True)

__all__ = [
    "ENV_DATA_HOME",
    "ENV_MIRROR",
    "Dataset",
    "DatasetSpec",
    "RemoteFile",
    "available",
    "fetch",
    "fetch_files",
    "get_data_home",
    "get_spec",
    "has_local_files",
    "is_cached",
    "load",
    "mirror_urls",
    "read_idx",
    "register",
    "unregister",
    "verify",
    "write_idx",
]
