"""Re-execute book chapters and store their outputs: what nbval's strict mode compares with.

    .venv/bin/python tools/refresh_notebook.py book/07-lenet.ipynb [more.ipynb ...]

Run it after changing a chapter, or code whose results a chapter prints, then read the
diff of the outputs before committing: every changed number should be one you expected.
Uses the environment the book builds with (this Python's kernel, TensorFlow quiet) and
records no timing metadata, so unchanged cells give unchanged JSON.

The stored outputs are what nbval compares on every other machine, so a changed output
should only ever be exact text, or a float printed at the precision its prose needs. A
result the CPU may change (training, float32 sums, framework differences, timings) goes in
a cell tagged ``nbval-ignore-output`` or after a "≈", with an ``assert`` of the claim the
text makes about it (README: "Outputs that hold on any machine"); then check the chapter
as another CPU would: ``.venv/bin/python tools/check_portability.py book/<chapter>.ipynb``.
"""
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def refresh(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute()
    nbformat.write(notebook, path)


def main(argv):
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    for path in argv:
        if not Path(path).is_file():
            print(f"refresh_notebook: {path}: no such file", file=sys.stderr)
            return 1
        refresh(path)
        print(f"refresh_notebook: {path}: executed, outputs stored")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
