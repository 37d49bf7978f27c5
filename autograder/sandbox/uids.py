"""Leases of unprivileged uids for sandboxes (root mode): one uid per running sandbox,
unique on the whole machine.

A fixed uid per worker slot would be shared by every grader process on the machine (two
courses graded at once, or a second run started by mistake), and whatever the kernel
keeps per uid (process counts, inotify watches, ...) would mix their students. A lease is
an ``flock`` on ``<LEASE_DIR>/<uid>.lock``: the kernel drops it when the holder exits,
so a crashed grader never keeps a uid. A uid is skipped while it has a passwd entry or
any process runs as it.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import stat
from pathlib import Path

UID_FIRST, UID_COUNT = 61000, 2000
LEASE_DIR = Path("/run/autograder-uids") if Path("/run").is_dir() else Path("/tmp/autograder-uids")


def _lease_dir() -> Path:
    LEASE_DIR.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(LEASE_DIR)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise PermissionError(f"{LEASE_DIR} must be a folder owned by uid {os.geteuid()} and writable only by it")
    return LEASE_DIR


def _uids_in_use() -> set:
    used = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                used.add(entry.stat().st_uid)
            except OSError:
                continue
    return used


def _has_passwd_entry(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False


@contextlib.contextmanager
def leased_uid():
    """A uid no other sandbox on this machine holds while the ``with`` block runs."""
    folder = _lease_dir()
    busy = _uids_in_use()
    for uid in range(UID_FIRST, UID_FIRST + UID_COUNT):
        if uid in busy or _has_passwd_entry(uid):
            continue
        fd = os.open(folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield uid
        finally:
            os.close(fd)  # releases the lock
        return
    raise RuntimeError(f"no free sandbox uid in {UID_FIRST}..{UID_FIRST + UID_COUNT - 1}")
