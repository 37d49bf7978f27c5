"""Reading a submitted notebook in the grader (never executing it), and refusing copies
of the instructor's notebook.

The file is read once, without following links, and hashed and parsed from the same
bytes. A malformed notebook (invalid or too deeply nested JSON, a cell whose source is
not text) is refused with a reason instead of raising somewhere later. A notebook that
holds the instructor's solution or hidden-test markers is the source notebook (a link
collected as a file, a copied file): it is refused, and ``nbgrader_plugins/preprocessors.py`` blanks its
answer cells so that neither the autograded copy nor the feedback shows them.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.judge.untrusted import Refused, parse_json, read_regular

MAX_NOTEBOOK_BYTES = 20 * 2**20
# nbgrader's delimiters in the instructor's source; the released notebook has none of them
INSTRUCTOR_MARKER = re.compile(
    r"^[ \t]*#+[ \t]*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\b|^[ \t]*#[ \t]*autograder-check:", re.MULTILINE)
INSTRUCTOR_CONTENT = "holds the instructor's solution or hidden-test markers"


@dataclass(frozen=True)
class Notebook:
    sha256: str
    code_cells: tuple  # sources of the code cells, in order
    sources: tuple  # sources of every cell


def _source(cell, index: int, name: str) -> str:
    if not isinstance(cell, dict):
        raise Refused(f"{name}: cell {index} is not a notebook cell")
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    if isinstance(source, str):
        return source
    raise Refused(f"{name}: cell {index} has a source that is not text")


def parse_notebook(data: bytes, name: str) -> Notebook:
    """The cells of notebook bytes ``data``, or ``Refused`` saying what is wrong."""
    nb = parse_json(data, name, "notebook JSON")
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise Refused(f"{name} has no list of cells")
    sources = [_source(cell, i, name) for i, cell in enumerate(cells)]
    code = [src for cell, src in zip(cells, sources) if cell.get("cell_type") == "code"]
    return Notebook(hashlib.sha256(data).hexdigest(), tuple(code), tuple(sources))


def read_notebook(path: Path) -> Notebook:
    """Read and parse ``path`` (a regular file, not a link, at most ``MAX_NOTEBOOK_BYTES``)."""
    name = Path(path).name
    return parse_notebook(read_regular(path, MAX_NOTEBOOK_BYTES, name), name)


def instructor_content(notebook: Notebook, name: str) -> str:
    """A refusal reason when the notebook carries the instructor's markers, else ''."""
    for index, source in enumerate(notebook.sources):
        if INSTRUCTOR_MARKER.search(source):
            return f"{name} {INSTRUCTOR_CONTENT} (cell {index}): it is not your own notebook"
    return ""
