"""How pytest tests the book's chapters: the build's own run, compared by nbval's rules.

Two ways to test a chapter, with the same rules (nbval's cell tags and
``book/nbval-sanitize.cfg``):

- ``pytest`` (what ``make test`` runs after ``make book``): every chapter's outputs *from
  the build* (the jupyter cache ``_build/.jupyter_cache`` that ``tools/build_book.py``
  fills and the HTML is made from) are compared with the outputs stored in
  ``book/*.ipynb``. The chapters are not executed a second time, and a claim checked by an
  ``assert`` in a chapter has already failed the build if it does not hold.
- ``pytest --nbval book/07-lenet.ipynb``: nbval executes the chapter in a fresh kernel and
  compares. ``tools/check_portability.py`` runs this over every chapter with settings that
  make the hardware round differently (``make test`` runs it too).

What is compared exactly and what is not is decided in the notebooks, cell by cell; see
"Outputs that hold on any machine" in the README's maintainer section.
"""
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache
from nbval.plugin import IPyNbCell, IPyNbFile, coalesce_streams

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"


def _nbval_executes(config):
    """True when nbval itself was asked to run notebooks (``--nbval`` or ``--nbval-lax``)."""
    return config.option.nbval or config.option.nbval_lax


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".ipynb" and not _nbval_executes(parent.config):
        return BuiltChapter.from_parent(parent, path=file_path)
    return None


class BuiltChapter(IPyNbFile):
    """A chapter whose outputs come from the book build instead of a kernel of our own."""

    def setup(self):
        self.setup_sanitize_files()
        stored = nbformat.read(self.path, as_version=4)
        try:
            _, built = get_cache(CACHE).merge_match_into_notebook(stored)
        except KeyError:  # no execution of this code in the cache (or no cache at all)
            pytest.fail(f"the book build has not executed this version of {self.path.relative_to(ROOT)}: "
                        f"run `make book` first, or execute the chapter here with "
                        f"`pytest --nbval {self.path.relative_to(ROOT)}`", pytrace=False)
        self.built_cells = [c for c in built.cells if c.cell_type == "code"]

    def collect(self):
        # nbval's collector builds its own cell class; build ours from the same options.
        for item in super().collect():
            yield BuiltCell.from_parent(self, name=item.name, cell_num=item.cell_num,
                                        cell=item.cell, options=item.options)

    def teardown(self):
        pass  # no kernel was started


class BuiltCell(IPyNbCell):
    """One code cell: the build's outputs against the stored ones, as nbval compares them."""

    def runtest(self):
        if self.options["skip"]:
            pytest.skip()
        built = self.parent.built_cells[self.cell_num]  # the cache matched this very code
        errors = [o for o in built.outputs if o.output_type == "error"]
        if errors:
            self.raise_cell_error("Cell execution caused an exception",
                                  "\n".join(errors[0].get("traceback", [errors[0].evalue])))
        if self.cell.execution_count is None and self.cell.outputs:
            self.raise_cell_error("Unrun reference cell has outputs")
        if self.options["check"] and self.cell.execution_count is not None:
            if not self.compare_outputs(coalesce_streams(built.outputs),
                                        coalesce_streams(self.cell.outputs)):
                self.raise_cell_error("Cell outputs differ", "\n".join(self.comparison_traceback))
