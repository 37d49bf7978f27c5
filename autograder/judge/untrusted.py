"""Reading student-controlled bytes in the grader's process without trusting them.

Every file the grader reads from a submission is opened here: never through a symbolic
link (``O_NOFOLLOW``), never blocking (a FIFO would hang the run), regular files only,
and never more than a stated number of bytes. JSON is parsed with every way it can fail
turned into one ``Refused`` reason (a 100,000-deep array raises ``RecursionError``, not
``ValueError``).
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path


class Refused(ValueError):
    """Student-controlled input the grader will not use; the message is the reason."""


def open_regular(path: Path, max_bytes: int, what: str | None = None):
    """A binary file object for ``path``: a regular file of at most ``max_bytes``, not a link."""
    what = what or Path(path).name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise Refused(f"{what} is missing") from None
    except OSError as err:  # ELOOP: the last component is a symbolic link
        raise Refused(f"{what} cannot be opened ({'a symbolic link' if _is_link(path) else err.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise Refused(f"{what} is not a regular file")
    if info.st_size > max_bytes:
        os.close(fd)
        raise Refused(f"{what} is {info.st_size} bytes, over the {max_bytes}-byte limit")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def read_regular(path: Path, max_bytes: int, what: str | None = None) -> bytes:
    """The bytes of ``path`` (see ``open_regular``); a file that grows while read is refused."""
    with open_regular(path, max_bytes, what) as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise Refused(f"{what or Path(path).name} grew over the {max_bytes}-byte limit while read")
    return data


def parse_json(data: bytes | str, what: str, kind: str = "JSON"):
    """The JSON value in ``data``, or ``Refused`` naming what is wrong with it (``kind``:
    how the reason calls the format, e.g. 'notebook JSON')."""
    try:
        return json.loads(data)
    except RecursionError:
        raise Refused(f"{what} is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as err:  # JSONDecodeError is a ValueError
        raise Refused(f"{what} is not valid {kind} ({type(err).__name__})") from None
