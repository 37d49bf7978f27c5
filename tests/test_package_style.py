"""The package reads in small pieces: no function or method in ``cnncourse/`` or
``autograder/`` is longer than 80 lines (CONTRIBUTING.md; ``ruff`` checks the rest)."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["cnncourse", "autograder"]
MAX_LINES = 80


def _functions(path):
    """``(name, first line, number of lines)`` of every function in the file at ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            yield node.name, node.lineno, node.end_lineno - first + 1


def test_the_packages_have_python_files():
    for package in PACKAGES:
        assert len(list((ROOT / package).rglob("*.py"))) > 10, package


@pytest.mark.parametrize("package", PACKAGES)
def test_no_function_is_longer_than_80_lines(package):
    too_long = [f"{path.relative_to(ROOT)}:{line} {name} ({lines} lines)"
                for path in sorted((ROOT / package).rglob("*.py"))
                for name, line, lines in _functions(path) if lines > MAX_LINES]
    assert not too_long, f"functions over {MAX_LINES} lines: " + "; ".join(too_long)


def test_the_check_counts_a_long_function(tmp_path):
    source = tmp_path / "long.py"
    source.write_text("def f():\n" + "    x = 1\n" * MAX_LINES + "    return x\n")
    assert [lines for _, _, lines in _functions(source)] == [MAX_LINES + 2]
