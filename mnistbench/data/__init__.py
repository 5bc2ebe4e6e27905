"""MNIST-family datasets: registry, verified download, cache and loading, a
user's own data (IDX folders, ``.npy`` folders, ``.npz``, CSV, arrays), and
the published corrupted test sets (MNIST-C, Fashion-MNIST-C).

>>> from mnistbench import data
>>> ds = data.load("mnist-sample")          # ships with the package, no network
>>> ds.X_train.shape, ds.X_train.dtype
((4000, 784), dtype('float32'))
"""

from mnistbench.data._check import DEFAULT_TEST_FRACTION, parse_image_shape
from mnistbench.data._corrupted import (
    GENERATED,
    CorruptedSet,
    corrupted_cache_path,
    corrupted_test_set,
    generation_tag,
    images_sha256,
)
from mnistbench.data._dataset import DataRef, Dataset, is_cached
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
from mnistbench.data._load import fetch, load, load_job_data
from mnistbench.data._own import from_arrays, store
from mnistbench.data._published import (
    PublishedSet,
    check_matches,
    published_corruptions,
    published_set,
)
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
    "GENERATED",
    "CorruptedSet",
    "corrupted_cache_path",
    "corrupted_test_set",
    "generation_tag",
    "images_sha256",
    "DEFAULT_TEST_FRACTION",
    "DataRef",
    "ENV_DATA_HOME",
    "ENV_MIRROR",
    "Dataset",
    "DatasetSpec",
    "PublishedSet",
    "RemoteFile",
    "available",
    "check_matches",
    "fetch",
    "fetch_files",
    "from_arrays",
    "get_data_home",
    "get_spec",
    "has_local_files",
    "is_cached",
    "load",
    "load_job_data",
    "mirror_urls",
    "parse_image_shape",
    "published_corruptions",
    "published_set",
    "read_idx",
    "register",
    "store",
    "unregister",
    "verify",
    "write_idx",
]
