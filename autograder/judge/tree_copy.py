"""Copy a student's folder without following anything the student could have planted.

Used where a submission crosses into the instructor's world: nbgrader's collect (from the
shared exchange into ``submitted/``, see ``nbgrader_plugins/collect.py``) and the grader's working copy
of a submission. The copy *is* the check, so it cannot be raced: every entry is opened
relative to its already-open parent (``dir_fd``) with ``O_NOFOLLOW``, and what was opened
is checked with ``fstat`` — a symbolic link, FIFO, socket or device, an entry owned by
someone other than ``owner``, or a tree over the limits refuses the whole folder.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from autograder.judge.untrusted import Refused

_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_KINDS = {stat.S_IFLNK: "a symbolic link", stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket",
          stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


@dataclass(frozen=True)
class TreeLimits:
    """How big a submission folder may be (entries are files and folders)."""

    max_bytes: int = 50 * 2**20
    max_entries: int = 1000
    max_depth: int = 16


class _Budget:
    def __init__(self, limits: TreeLimits):
        self.limits, self.bytes, self.entries = limits, 0, 0

    def entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise Refused(f"the submission holds more than {self.limits.max_entries} files and folders")

    def data(self, size: int) -> None:
        self.bytes += size
        if self.bytes > self.limits.max_bytes:
            raise Refused(f"the submission holds more than {self.limits.max_bytes} bytes")


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file or folder")


def _check(info: os.stat_result, shown: str, owner: int | None) -> None:
    if owner is not None and info.st_uid != owner:
        raise Refused(f"{shown} is owned by uid {info.st_uid}, not by the student (uid {owner})")


def _copy_file(parent_fd: int, name: str, dest: Path, shown: str, owner, budget: _Budget) -> None:
    fd = os.open(name, _OPEN_FILE, dir_fd=parent_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped for a FIFO since it was listed
            raise Refused(f"{shown} is {_kind(info.st_mode)}")
        _check(info, shown, owner)
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            while chunk := os.read(fd, 1 << 20):
                budget.data(len(chunk))
                os.write(out, chunk)
        finally:
            os.close(out)
    finally:
        os.close(fd)


def _copy_dir(dir_fd: int, dest: Path, shown: str, owner, budget: _Budget, depth: int, skip) -> None:
    if depth > budget.limits.max_depth:
        raise Refused(f"the submission's folders are nested more than {budget.limits.max_depth} deep")
    dest.mkdir(mode=0o755)
    for name in sorted(os.listdir(dir_fd)):
        child, path = f"{shown}/{name}", dest / name
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if skip(name, stat.S_ISDIR(info.st_mode)):
            continue
        budget.entry()
        if stat.S_ISDIR(info.st_mode):
            sub = os.open(name, _OPEN_DIR, dir_fd=dir_fd)  # ELOOP if swapped for a link
            try:
                _check(os.fstat(sub), child, owner)
                _copy_dir(sub, path, child, owner, budget, depth + 1, skip)
            finally:
                os.close(sub)
        elif stat.S_ISREG(info.st_mode):
            _copy_file(dir_fd, name, path, child, owner, budget)
        else:
            raise Refused(f"{child} is {_kind(info.st_mode)}")


def copy_tree(src: Path, dest: Path, limits: TreeLimits = TreeLimits(), owner: int | None = None,
              skip=lambda name, is_dir: False) -> None:
    """Copy folder ``src`` to the new folder ``dest``, or raise ``Refused`` with the reason.

    ``owner``: the uid every entry must belong to (``None``: anyone). ``skip(name,
    is_dir)`` leaves an entry out (nbgrader's ignore patterns). On refusal ``dest`` may
    hold a partial copy: the caller copies to a scratch folder and removes it.
    """
    try:
        top = os.open(src, _OPEN_DIR)
    except OSError as err:
        raise Refused(f"{Path(src).name} is not a folder ({'a symbolic link' if os.path.islink(src) else err.strerror})"
                      ) from None
    try:
        _check(os.fstat(top), Path(src).name, owner)
        _copy_dir(top, Path(dest), Path(src).name, owner, _Budget(limits), 0, skip)
    except OSError as err:  # an entry vanished or was swapped for a link while copied
        raise Refused(f"the submission changed while it was copied ({err.strerror})") from None
    finally:
        os.close(top)
