"""Finding a dataset's files: cache, system folders, then the mirrors (pooch)."""

from __future__ import annotations

import errno
import gzip
import hashlib
import logging
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import platformdirs

from mnistbench._io import WriteError, write_error
from mnistbench.data._files import open_regular
from mnistbench.data._registry import ROLES, DatasetSpec, RemoteFile
from mnistbench.exceptions import ChecksumError, DataError, DownloadError

__all__ = ["ENV_DATA_HOME", "ENV_MIRROR", "fetch_files", "get_data_home", "mirror_urls"]

logger = logging.getLogger(__name__)

#: Errors of the disk a download is written to, which another mirror would
#: meet as well.
_WRITE_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.EFBIG,
        errno.EISDIR,
    }
)

ENV_DATA_HOME = "MNISTBENCH_DATA_HOME"
ENV_MIRROR = "MNISTBENCH_MIRROR"
_CHUNK = 1 << 20
# No MNIST-style payload comes near this; it bounds the work a gzip bomb can cause.
_MAX_PAYLOAD = 256 << 20

#: Makes a pooch-compatible progress bar for one file (or returns None).
ProgressFactory = Callable[[RemoteFile], Any]


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The folder datasets are cached in.

    ``data_home`` if given, else ``$MNISTBENCH_DATA_HOME``, else the user cache
    folder of the platform (``~/.cache/mnistbench`` on Linux).
    """
    if data_home is not None:
        return Path(data_home).expanduser()
    env = os.environ.get(ENV_DATA_HOME)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("mnistbench"))


def mirror_urls(spec: DatasetSpec) -> tuple[str, ...]:
    """Base URLs to download ``spec``'s files from, in the order tried.

    ``$MNISTBENCH_MIRROR`` (one URL, or several separated by commas) replaces the
    registry's list; ``{name}`` in it is replaced by the dataset name.
    """
    env = os.environ.get(ENV_MIRROR, "").strip()
    bases = [u.strip() for u in env.split(",") if u.strip()] if env else spec.mirrors
    return tuple(b.replace("{name}", spec.name) for b in bases)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks (a regular file only: never
    a FIFO or a device)."""
    h = hashlib.sha256()
    with open_regular(path) as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _payload_sha256(path: Path) -> str | None:
    """SHA-256 of a file's decompressed content; None if it does not inflate."""
    h = hashlib.sha256()
    n = 0
    try:
        with open_regular(path) as raw, gzip.GzipFile(fileobj=raw, mode="rb") as f:
            while chunk := f.read(_CHUNK):
                n += len(chunk)
                if n > _MAX_PAYLOAD:
                    return None
                h.update(chunk)
    except (OSError, EOFError, zlib.error, DataError):
        return None
    return h.hexdigest()


def verify(path: Path, rf: RemoteFile) -> None:
    """Check ``path`` is the published ``rf`` or the same data re-compressed.

    An uncompressed copy (named without ``.gz``) is checked against the payload
    hash. Raises ChecksumError naming the file otherwise.
    """
    got = file_sha256(path)
    if got == rf.sha256 or (rf.payload_sha256 and got == rf.payload_sha256):
        return
    recompressed = rf.payload_sha256 and path.suffix == ".gz"
    if recompressed and _payload_sha256(path) == rf.payload_sha256:
        return
    raise ChecksumError(
        f"{path}: checksum mismatch (sha256 {got[:16]}…, expected {rf.sha256[:16]}…)"
    )


def _local_candidates(spec: DatasetSpec, rf: RemoteFile, home: Path) -> list[Path]:
    folders = [home / spec.name, *(Path(d) for d in spec.system_dirs)]
    names = [rf.name]
    if rf.payload_sha256 and rf.name.endswith(".gz"):
        names.append(rf.name[: -len(".gz")])
    return [folder / name for folder in folders for name in names]


def _short_reason(exc: BaseException) -> str:
    """A few words for a requests/pooch failure instead of its long repr."""
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    text = str(exc)
    if isinstance(exc, ValueError) and "hash" in text:
        return "checksum mismatch (download discarded)"
    for needle, words in (
        ("NameResolution", "cannot resolve host (no network?)"),
        ("Failed to resolve", "cannot resolve host (no network?)"),
        ("Connection refused", "connection refused"),
        ("IncompleteRead", "connection closed before the whole file arrived"),
        ("Read timed out", "timed out"),
        ("ConnectTimeout", "timed out"),
    ):
        if needle in text or needle in type(exc).__name__:
            return words
    if isinstance(exc, requests.ConnectionError):
        return "cannot connect"
    return f"{type(exc).__name__}: {text.splitlines()[0][:120] if text else ''}"


def _download(
    rf: RemoteFile,
    bases: list[str],
    folder: Path,
    progress: ProgressFactory | None,
    tried: list[str],
) -> Path | None:
    """Try each base URL in turn; the one that works moves to the front of
    ``bases``, so the dataset's other files skip mirrors already found dead.

    Raises
    ------
    WriteError
        The download could not be written into ``folder``: no mirror would
        do better.
    """
    import pooch
    import requests

    for base in list(bases):
        url = base.rstrip("/") + "/" + rf.name
        bar = progress(rf) if progress is not None else None
        if url.startswith(("http://", "https://")):
            downloader = pooch.HTTPDownloader(progressbar=bar or False, timeout=30)
        else:
            downloader = pooch.downloaders.choose_downloader(
                url, progressbar=bar or False
            )
        try:
            # pooch writes to a temporary file in `folder`, checks the hash, and
            # only then renames it into place: a failure leaves nothing behind.
            path = pooch.retrieve(
                url,
                known_hash=f"sha256:{rf.sha256}",
                fname=rf.name,
                path=folder,
                downloader=downloader,
            )
        except OSError as exc:
            if exc.errno in _WRITE_ERRNOS:  # the disk, not the mirror: no
                raise write_error(folder / rf.name, exc) from None  # other helps
            reason, detail = _short_reason(exc), str(exc)
            tried.append(f"{url} ({reason})")
            logger.info("download of %s failed: %s", url, detail)
            continue
        except (ValueError, requests.RequestException) as exc:
            # Only words outlive the except block: the exception's frames
            # would hold the failed connection open until a garbage collection.
            reason, detail = _short_reason(exc), str(exc)
            tried.append(f"{url} ({reason})")
            logger.info("download of %s failed: %s", url, detail)
            continue
        finally:
            if bar is not None and hasattr(bar, "close"):
                bar.close()
        logger.info("downloaded %s", url)
        bases.remove(base)
        bases.insert(0, base)
        return Path(path)
    return None


def _fix_hint(spec: DatasetSpec) -> str:
    return (
        f"to fix: put the four files in a folder and pass --data-home DIR "
        f"(or set {ENV_DATA_HOME}), run `mnistbench fetch {spec.name}` where the "
        f"network is reachable (or set {ENV_MIRROR}=URL), or use --dataset mnist-sample"
    )


def fetch_files(
    spec: DatasetSpec,
    *,
    data_home: str | os.PathLike | None = None,
    download: bool = True,
    progress: ProgressFactory | None = None,
) -> dict[str, Path]:
    """Return a verified local path for each of the dataset's four files.

    Looks in the data home, then the system folders, then downloads into the
    data home from the mirrors. Every file used is checked against its SHA-256.

    Raises
    ------
    DownloadError
        A file is nowhere local and could not be downloaded; the message says
        what was tried and how to fix it.
    ChecksumError
        A local file is corrupt and no good copy could be found elsewhere.
    """
    home = get_data_home(data_home)
    bases = list(mirror_urls(spec))
    paths: dict[str, Path] = {}
    for role in ROLES:
        rf = spec.files[role]
        looked: list[str] = []  # local copies that were found but rejected
        bad: list[ChecksumError] = []
        for candidate in _local_candidates(spec, rf, home):
            if not candidate.is_file():
                continue
            try:
                verify(candidate, rf)
            except ChecksumError as exc:
                logger.warning("%s", exc)
                bad.append(exc)
                looked.append(f"{candidate} (checksum mismatch)")
                continue
            except OSError as exc:
                looked.append(f"{candidate} ({exc.strerror or exc})")
                continue
            paths[role] = candidate
            break
        if role in paths:
            continue
        tried: list[str] = []
        if download:
            folder = home / spec.name
            created = not folder.exists()
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DownloadError(
                    f"{spec.name}: cannot create the data folder {folder} "
                    f"({exc.strerror or exc}); "
                    f"pass --data-home DIR or set {ENV_DATA_HOME}"
                ) from None
            try:
                got = _download(rf, bases, folder, progress, tried)
            except WriteError:  # no mirror would do better
                if created and not any(folder.iterdir()):
                    folder.rmdir()
                raise
            if got is not None:
                paths[role] = got
                continue
            if created and not any(folder.iterdir()):
                folder.rmdir()
        if bad and not download:
            raise bad[0]
        folders = " or ".join([str(home / spec.name), *spec.system_dirs])
        parts = [f"{spec.name}: no verified copy of {rf.name}"]
        parts.append("rejected " + "; ".join(looked) if looked else f"not in {folders}")
        if not download:
            parts.append("downloading is off")
        elif tried:
            parts.append("download failed from " + "; ".join(tried))
        else:
            parts.append("no mirror to download from")
        raise DownloadError("; ".join([*parts, _fix_hint(spec)]))
    return paths


def has_local_files(spec: DatasetSpec, data_home: str | os.PathLike | None) -> bool:
    """Whether every file of ``spec`` is on disk and verified (no download)."""
    try:
        fetch_files(spec, data_home=data_home, download=False)
    except (DownloadError, DataError):
        return False
    return True
