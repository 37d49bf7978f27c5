"""book/conftest.py compares the book build's outputs with the stored ones, by nbval's rules.

A throw-away book (one chapter, its own jupyter cache filled by jupyter-cache's executor as
tools/build_book.py fills the real one) under pytest: what must pass passes, and a changed
output, a changed chapter and a missing build each fail with a reason.
"""
import shutil
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]

CELLS = [
    'print("shape", (2, 3))',
    'import random\nprint(f"≈{random.random():.3f} and an exact 7")',  # masked by the sanitizer
    'import random\nprint(random.random())',                              # tagged below
]


@pytest.fixture
def book(pytester):
    """``book/chapter.ipynb`` executed into ``_build/.jupyter_cache``, outputs stored."""
    folder = pytester.path / "book"
    folder.mkdir()
    shutil.copy(ROOT / "book" / "conftest.py", folder / "conftest.py")
    shutil.copy(ROOT / "book" / "nbval-sanitize.cfg", folder / "nbval-sanitize.cfg")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.cells[2].metadata["tags"] = ["nbval-ignore-output"]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "chapter.ipynb"
    nbformat.write(notebook, path)
    cache = get_cache(pytester.path / "_build" / ".jupyter_cache")
    cache.add_nb_to_project(str(path))
    result = load_executor("local-serial", cache).run_and_cache(timeout=60)
    assert result.succeeded == [str(path)], result
    _, executed = cache.merge_match_into_notebook(nbformat.read(path, as_version=4))
    nbformat.write(executed, path)  # what refresh_notebook.py stores
    return path


def run(pytester, path):
    return pytester.runpytest_subprocess(str(path), "-p", "no:cacheprovider", "--nbval-current-env",
                                         "--nbval-sanitize-with", str(path.parent / "nbval-sanitize.cfg"))


def test_the_build_outputs_are_compared_without_running_the_chapter(pytester, book):
    run(pytester, book).assert_outcomes(passed=3)


def test_a_changed_output_fails(pytester, book):
    text = book.read_text().replace('"shape (2, 3)', '"shape (2, 4)')
    book.write_text(text)
    result = run(pytester, book)
    result.assert_outcomes(passed=2, failed=1)
    assert "shape (2, 4)" in result.stdout.str()


def test_a_chapter_changed_since_the_build_fails_with_the_remedy(pytester, book):
    notebook = nbformat.read(book, as_version=4)
    notebook.cells[0].source = 'print("shape", (2, 3))  # edited'
    nbformat.write(notebook, book)
    result = run(pytester, book)
    assert result.ret != 0 and "run `make book` first" in result.stdout.str()


def test_no_build_at_all_fails_with_the_remedy(pytester, book):
    shutil.rmtree(pytester.path / "_build")
    result = run(pytester, book)
    assert result.ret != 0 and "run `make book` first" in result.stdout.str()


def test_nbval_executes_instead_when_asked(pytester, book):
    shutil.rmtree(pytester.path / "_build")  # no build needed: nbval runs the chapter itself
    result = pytester.runpytest_subprocess(str(book), "--nbval", "-p", "no:cacheprovider", "--nbval-current-env",
                                           "--nbval-sanitize-with", str(book.parent / "nbval-sanitize.cfg"))
    result.assert_outcomes(passed=3)
