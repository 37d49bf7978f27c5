"""Finding dataset files on disk and downloading missing ones safely.

Search order: the ``root`` argument, ``$CNNCOURSE_DATA``, the user cache
(``$XDG_CACHE_HOME/cnncourse`` or ``~/.cache/cnncourse``), system copies, then a download.
Downloads go to a temporary file in the destination folder, are checked against the
published MD5 and only then renamed into place with ``os.replace``: a crash or a bad
checksum never leaves a half file under the final name.
"""
import contextlib
import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

CHUNK = 1 << 20


class DatasetNotFoundError(FileNotFoundError):
    """No copy of a dataset could be found or downloaded; the message lists every place tried."""


class ChecksumError(ValueError):
    """A downloaded file does not match its published checksum."""


def user_cache_dir():
    """``$XDG_CACHE_HOME/cnncourse``, else ``~/.cache/cnncourse``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cnncourse"


def search_dirs(spec, root=None):
    """Folders that may hold ``spec``'s files, in search order, as (where-from, path) pairs.

    Under a data root both ``<root>/<folder>`` and ``<root>`` itself are accepted, so
    ``--root`` can point at the dataset folder or at its parent.
    """
    dirs = []
    for label, base in (("root argument", root), ("$CNNCOURSE_DATA", os.environ.get("CNNCOURSE_DATA")),
                        ("user cache", user_cache_dir())):
        if base:
            dirs += [(label, Path(base) / spec.folder), (label, Path(base))]
    dirs += [("system copy", Path(d)) for d in spec.system_dirs]
    return dirs


def download_dir(spec, root=None):
    """Where downloads go: the root argument, else ``$CNNCOURSE_DATA``, else the user cache."""
    base = root or os.environ.get("CNNCOURSE_DATA") or user_cache_dir()
    return Path(base) / spec.folder


# Indirection so tests can fake the network without a server.
urlopen = urllib.request.urlopen


@contextlib.contextmanager
def atomic_write(path):
    """Yield a temporary path next to ``path``; rename it to ``path`` only if the block succeeds.

    Readers see either the old file or the complete new one, never a partial write; on
    any exception (or interrupt) the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def download(url, dest, md5, timeout=60):
    """Fetch ``url`` into ``dest`` atomically, verifying ``md5``; returns ``dest``.

    The bytes are hashed as they arrive; only a verified file is renamed to ``dest``. Any
    failure, including an interrupt, leaves an existing ``dest`` untouched.
    """
    with atomic_write(dest) as tmp:
        digest = hashlib.md5(usedforsecurity=False)
        with open(tmp, "wb") as out, urlopen(url, timeout=timeout) as response:
            for block in iter(lambda: response.read(CHUNK), b""):
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != md5:
            raise ChecksumError(
                f"{url}: MD5 {digest.hexdigest()} does not match the published {md5}; file discarded"
            )
    return Path(dest)
