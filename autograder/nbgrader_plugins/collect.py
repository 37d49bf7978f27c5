"""``SafeCollect``: nbgrader's collect, safe against the students who write to the exchange.

In nbgrader 0.9.6 every student may create folders in the shared exchange's
``inbound``. Stock collect then (1) copies with ``shutil.copytree(symlinks=False)``, so
a *link* to the instructor's ``source/`` notebook, or to another student's notebook,
arrives in ``submitted/`` as a plain file; and (2) only *warns* when a folder named
``alice+a1+<time>`` is owned by someone else, so a forged, newer folder replaces Alice's
submission on ``collect --update``.

This plugin (``c.ExchangeFactory.collect``) keeps nbgrader's bookkeeping (timestamps,
``--update``, ``--before-duedate``, ignore patterns, size limits) and changes what is
accepted. A submission folder is refused, with an error in the log, when the folder or
anything in it is a link, FIFO, socket or device, is not owned by the unix user the
folder names (``check_owner``, on by default), the tree is too large, or a notebook in
it holds the instructor's solution or hidden-test markers. Each accepted folder is
first copied to a private staging folder by ``tree_copy.copy_tree`` (race-free: what is
checked is what is copied); nbgrader then collects from that copy. A refused folder
never hides an older, acceptable one of the same student.
"""
from __future__ import annotations

import fnmatch
import os
import pwd
import shutil
import stat
import tempfile
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from traitlets import Int

from autograder.judge.notebook import instructor_content, read_notebook
from autograder.judge.tree_copy import TreeLimits, copy_tree
from autograder.judge.untrusted import Refused


def student_uid(student: str) -> int:
    """The uid of the unix user named like the student (nbgrader's own convention)."""
    try:
        return pwd.getpwnam(student).pw_uid
    except KeyError:
        raise Refused(f"there is no unix user named {student!r} on this machine") from None


class SafeCollect(ExchangeCollect):
    """Collect that refuses links, foreign-owned folders and copies of the instructor's notebook."""

    max_entries = Int(1000, help="Most files and folders one submission may hold.").tag(config=True)
    max_depth = Int(16, help="Deepest nesting of folders in one submission.").tag(config=True)

    def _owner(self, student: str):
        return student_uid(student) if self.check_owner else None

    def _folder_refusal(self, path: str, student: str) -> str:
        """Why the inbound folder itself is refused ('' if it is not): checked on ``lstat``."""
        try:
            info = os.lstat(path)
            owner = self._owner(student)
        except Refused as err:
            return str(err)
        except OSError as err:
            return f"cannot be read ({err.strerror})"
        if not stat.S_ISDIR(info.st_mode):
            return "it is not a folder (a link or a file)"
        if owner is not None and info.st_uid != owner:
            return f"the folder is owned by uid {info.st_uid}, not by {student} (uid {owner})"
        return ""

    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        record["refusal"] = self._folder_refusal(path, record["username"])
        if record["refusal"]:
            self._log_refusal(record)
        return record

    def _log_refusal(self, record: dict) -> None:
        self.log.error("Refused submission %s: %s (nothing of it was collected)", record["filename"],
                       record["refusal"])

    def _sort_by_timestamp(self, records):
        ordered = super()._sort_by_timestamp(records)
        accepted = [r for r in ordered if not r["refusal"]]
        return accepted or ordered  # only refused ones: copy_files reports them

    def _ignored(self, name: str, is_dir: bool) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.coursedir.ignore)

    def _stage(self, record: dict, staging: str) -> str:
        """Copy one submission to ``staging``; '' when accepted, else the reason."""
        src = os.path.join(self.inbound_path, record["filename"])
        dest = Path(staging) / record["filename"]
        limits = TreeLimits(max_bytes=1000 * self.coursedir.max_dir_size, max_entries=self.max_entries,
                            max_depth=self.max_depth)
        try:
            copy_tree(Path(src), dest, limits, owner=self._owner(record["username"]), skip=self._ignored)
        except Refused as err:
            return str(err)
        for notebook in sorted(dest.rglob("*.ipynb")):
            try:
                copied = instructor_content(read_notebook(notebook), notebook.name)
            except Refused:  # a broken notebook is collected; grading gives the reason
                continue
            if copied:
                return copied
        return ""

    def copy_files(self):
        staging = tempfile.mkdtemp(prefix="nbgrader-collect-")
        try:
            kept = []
            for record in self.src_records:
                if record["refusal"]:
                    continue  # logged when it was listed
                record["refusal"] = self._stage(record, staging)
                if record["refusal"]:
                    self._log_refusal(record)
                else:
                    kept.append(record)
            self.src_records = kept
            # nbgrader collects from the checked copies; ownership was checked strictly above
            inbound, check_owner = self.inbound_path, self.check_owner
            self.inbound_path, self.check_owner = staging, False
            try:
                super().copy_files()
            finally:
                self.inbound_path, self.check_owner = inbound, check_owner
        finally:
            shutil.rmtree(staging)
