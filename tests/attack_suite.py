"""Turning the attack files of ``tests/attacks/`` into real submissions (see its README):
straight into ``submitted/``, or through the course's exchange as a given unix user."""
from __future__ import annotations

import datetime
import os
import pwd
import re
import socket
import threading
from pathlib import Path

from course_copy import make_submission

ATTACKS = Path(__file__).parent / "attacks"
LEFTOVER_MARKERS = ("/grader/harness.py", "3600.4242", "marker-background-editor")


def parse_attack(text: str) -> dict:
    """Split a ``# %% <directive>`` file into ``{directive: body}``."""
    parts = re.split(r"^# %% (.+)\n", text, flags=re.MULTILINE)
    return {directive.strip(): body for directive, body in zip(parts[1::2], parts[2::2])}


def load_attack(name: str, course: Path, port: int = 0, folder: Path = ATTACKS) -> dict:
    text = (folder / f"{name}.py").read_text().replace("__COURSE__", str(course)).replace("__PORT__", str(port))
    return parse_attack(text)


def exchange_settings(sections: dict) -> dict:
    """``{"owner": ..., "student": ..., "later": ...}`` of an ``# %% exchange`` attack ({} if none)."""
    if "exchange" not in sections:
        return {}
    return dict(item.split("=", 1) for item in sections["exchange"].split())


def _answers_and_files(sections: dict, answers: dict):
    chosen = dict(answers) if "solution" in sections else {}
    files, rename, first = {}, None, ()
    plain = ("solution", "exchange", "notebook-text", "notebook-text-expr", "notebook-copy", "notebook-link",
             "nested-folders", "empty-files", "fifo", "saved-weights")
    for directive, body in sections.items():
        if directive == "first":
            first = (body,)
        elif directive.startswith("file:"):
            files[directive[5:]] = body
        elif directive.startswith("rename:"):
            rename = directive[7:]
        elif directive not in plain and not directive.startswith("inbound-link:"):
            chosen[directive] = body
    return chosen, first, files, rename


def _shape_folder(folder: Path, sections: dict, notebook: Path) -> None:
    """Apply the directives that change the submission's files after it is written."""
    if "notebook-text" in sections:
        notebook.write_text(sections["notebook-text"])
    if "notebook-text-expr" in sections:
        notebook.write_text(eval(sections["notebook-text-expr"]))  # the test's own expression
    if "notebook-copy" in sections:
        notebook.write_bytes(Path(sections["notebook-copy"].strip()).read_bytes())
    if "notebook-link" in sections:
        notebook.unlink()
        notebook.symlink_to(sections["notebook-link"].strip())
    for directive, body in sections.items():
        if directive.startswith("inbound-link:"):
            link = folder / directive[len("inbound-link:"):]
            link.unlink(missing_ok=True)
            link.symlink_to(body.strip())
    if "nested-folders" in sections:
        deep = folder
        for _ in range(int(sections["nested-folders"])):
            deep = deep / "d"
        deep.mkdir(parents=True)
    if "empty-files" in sections:
        (folder / "empty").mkdir()
        for i in range(int(sections["empty-files"])):
            (folder / "empty" / f"{i}.txt").touch()
    if "fifo" in sections:
        os.mkfifo(folder / sections["fifo"].strip())


def submit_attack(course: Path, assignment: str, name: str, sections: dict, answers: dict) -> Path:
    """Write ``submitted/<name>/<assignment>/`` from the attack's directives."""
    chosen, first, files, rename = _answers_and_files(sections, answers)
    folder = make_submission(course, assignment, name, chosen, first, files, rename)
    _shape_folder(folder, sections, folder / f"{assignment}.ipynb")
    return folder


def submit_through_exchange(course: Path, assignment: str, name: str, sections: dict, answers: dict,
                            when: datetime.datetime) -> Path:
    """Put the attack's folder in the exchange's inbound, named for ``student`` and owned by
    the unix user ``owner`` (both from the ``# %% exchange`` directive), as of ``when``."""
    settings = exchange_settings(sections)
    chosen, first, files, rename = _answers_and_files(sections, answers)
    staging = make_submission(course, assignment, f".staging-{name}", chosen, first, files, rename)
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    inbound = course / "exchange" / "cnncourse" / "inbound"
    inbound.mkdir(parents=True, exist_ok=True)
    folder = inbound / f"{settings['student']}+{assignment}+{stamp}+{name}"
    staging.rename(folder)
    staging.parent.rmdir()
    (folder / "timestamp.txt").write_text(stamp)
    _shape_folder(folder, sections, folder / f"{assignment}.ipynb")
    uid = pwd.getpwnam(settings["owner"]).pw_uid
    for path in [folder, *folder.rglob("*")]:
        os.lchown(path, uid, -1)
    return folder


def leftover_processes() -> list:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if proc.name.isdigit() and any(m in cmdline for m in LEFTOVER_MARKERS):
            found.append(cmdline)
    return found


class Listener:
    """A TCP server on the grading machine that records any connection."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.connections.append(self.sock.accept())
            except OSError:
                return
