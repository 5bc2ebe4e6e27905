"""The dataset registry: each name maps to its files, their SHA-256 and mirrors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from mnistbench.exceptions import UnknownDatasetError

__all__ = ["DatasetSpec", "RemoteFile", "available", "get_spec", "register"]

#: The four files of an MNIST-style dataset, by role.
ROLES = ("train_images", "train_labels", "test_images", "test_labels")


@dataclass(frozen=True)
class RemoteFile:
    """One published file.

    Parameters
    ----------
    name : str
        File name, as on every mirror (``train-images-idx3-ubyte.gz``).
    sha256 : str
        SHA-256 of the file exactly as published.
    payload_sha256 : str or None
        SHA-256 of the decompressed content. Lets a re-compressed copy of the
        same data (Debian's packages re-compress) be verified too.
    size : int or None
        Size in bytes as published, for progress bars and ``datasets``.
    """

    name: str
    sha256: str
    payload_sha256: str | None = None
    size: int | None = None


#: A function returning (X_train, y_train, X_test, y_test) as uint8 images of
#: shape (n, 28, 28) and integer labels, for datasets that ship in a package.
Builder = Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class DatasetSpec:
    """Everything mnistbench needs to know to get a dataset and check it.

    A dataset either lists four IDX ``files`` with ``mirrors`` (base URLs the
    file names are appended to), or has a ``builder`` that makes its arrays
    from something already installed.
    """

    name: str
    description: str
    class_names: tuple[str, ...]
    n_train: int
    n_test: int
    files: dict[str, RemoteFile] = field(default_factory=dict)
    mirrors: tuple[str, ...] = ()
    system_dirs: tuple[str, ...] = ()
    builder: Builder | None = None
    homepage: str = ""
    license: str = ""

    def __post_init__(self):
        if (self.builder is None) == (not self.files):
            raise ValueError(f"dataset {self.name!r}: give either files or a builder")
        if self.files and set(self.files) != set(ROLES):
            raise ValueError(f"dataset {self.name!r}: files must be exactly {ROLES}")

    @property
    def download_size(self) -> int:
        """Bytes to download (0 for datasets that ship in a package)."""
        return sum(f.size or 0 for f in self.files.values())


_REGISTRY: dict[str, DatasetSpec] = {}


def register(spec: DatasetSpec, *, overwrite: bool = False) -> DatasetSpec:
    """Add a dataset to the registry, so ``load(spec.name)`` finds it."""
    if spec.name in _REGISTRY and not overwrite:
        raise ValueError(f"dataset {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a dataset from the registry (a no-op for unknown names)."""
    _REGISTRY.pop(name, None)


def available() -> list[str]:
    """Names of the registered datasets, in registration order.

    Returns
    -------
    list of str
        The built-in ``mnist``, ``fashion-mnist``, ``kmnist`` and
        ``mnist-sample`` first, then those added with :func:`register`.

    See Also
    --------
    get_spec : A registered dataset's files, sizes and class names.
    load : Load a dataset by name.

    Examples
    --------
    >>> from mnistbench import data
    >>> data.available()
    ['mnist', 'fashion-mnist', 'kmnist', 'mnist-sample']
    >>> data.get_spec("mnist-sample").n_train
    4000
    """
    return list(_REGISTRY)


def get_spec(name: str) -> DatasetSpec:
    """Return the registered spec of ``name``, or raise a one-line error."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownDatasetError(
            f"unknown dataset {name!r}; valid names: {', '.join(_REGISTRY)}"
        ) from None


def _idx_files(sizes_hashes: dict[str, tuple[int, str, str | None]]):
    names = {
        "train_images": "train-images-idx3-ubyte.gz",
        "train_labels": "train-labels-idx1-ubyte.gz",
        "test_images": "t10k-images-idx3-ubyte.gz",
        "test_labels": "t10k-labels-idx1-ubyte.gz",
    }
    return {
        role: RemoteFile(names[role], sha, payload, size)
        for role, (size, sha, payload) in sizes_hashes.items()
    }


# Sizes and SHA-256 of the published .gz files: TensorFlow Datasets'
# url_checksums (mnist.txt, fashion_mnist.txt, kmnist.txt). Fashion-MNIST's
# payload hashes are of the decompressed files of Debian's dataset-fashion-mnist
# (0.0~git20200523.55506a9-1); see "Data provenance" in docs/guide/datasets.md.
MNIST = DatasetSpec(
    name="mnist",
    description="handwritten digits (LeCun et al. 1998)",
    class_names=tuple(str(d) for d in range(10)),
    n_train=60_000,
    n_test=10_000,
    files=_idx_files(
        {
            "train_images": (
                9912422,
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                None,
            ),
            "train_labels": (
                28881,
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                None,
            ),
            "test_images": (
                1648877,
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                None,
            ),
            "test_labels": (
                4542,
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                None,
            ),
        }
    ),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    system_dirs=("/usr/share/datasets/mnist",),
    homepage="https://yann.lecun.com/exdb/mnist/",
    license="CC BY-SA 3.0",
)

FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    description="Zalando clothing images (Xiao et al. 2017)",
    class_names=(
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    n_train=60_000,
    n_test=10_000,
    files=_idx_files(
        {
            "train_images": (
                26421880,
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            ),
            "train_labels": (
                29515,
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            ),
            "test_images": (
                4422102,
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            ),
            "test_labels": (
                5148,
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ),
        }
    ),
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    system_dirs=("/usr/share/datasets/fashion-mnist",),
    homepage="https://github.com/zalandoresearch/fashion-mnist",
    license="MIT",
)

KMNIST = DatasetSpec(
    name="kmnist",
    description="cursive Japanese, Kuzushiji (Clanuwat et al. 2018)",
    class_names=("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
    n_train=60_000,
    n_test=10_000,
    files=_idx_files(
        {
            "train_images": (
                18165135,
                "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
                None,
            ),
            "train_labels": (
                29497,
                "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
                None,
            ),
            "test_images": (
                3041136,
                "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
                None,
            ),
            "test_labels": (
                5120,
                "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
                None,
            ),
        }
    ),
    mirrors=(
        "https://codh.rois.ac.jp/kmnist/dataset/kmnist/",
        "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
    ),
    system_dirs=("/usr/share/datasets/kmnist",),
    homepage="https://github.com/rois-codh/kmnist",
    license="CC BY-SA 4.0",
)
