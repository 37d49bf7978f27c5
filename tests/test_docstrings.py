"""The NumPy reference documents itself like the book: every public function says its shapes,
every forward function its arguments and the chapter that teaches it, and the examples in
the docstrings run and print what they show."""
import doctest
import importlib
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import cnncourse.numpy.functional as F

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = {int(p.name[:2]) for p in BOOK.glob("[0-9][0-9]-*.ipynb")}
FUNCTIONAL_MODULES = ["activation", "conv", "dropout", "linear", "loss", "normalization",
                      "pooling"]
DOCUMENTED_MODULES = [f"cnncourse.numpy.functional.{m}" for m in FUNCTIONAL_MODULES] + [
    "cnncourse.numpy.models", "cnncourse.numpy.gradcheck", "cnncourse.numpy.optim",
    "cnncourse.numpy.training", "cnncourse.shapes", "cnncourse.architectures"]
FORWARD = [name for name in F.__all__ if not name.endswith("_backward")]


def _chapters_named(text):
    """The chapter numbers after every "Taught in:" of ``text``."""
    named = []
    for part in text.split("Taught in:")[1:]:
        named += [int(n) for n in re.findall(r"chapter (\d+)", part.split("\n\n")[0])]
    return named


def test_the_book_has_chapters_to_point_to():
    assert len(CHAPTERS) >= 12


@pytest.mark.parametrize("module", DOCUMENTED_MODULES)
def test_every_module_names_chapters_that_exist(module):
    named = _chapters_named(importlib.import_module(module).__doc__)
    assert named, f"{module}: no 'Taught in: chapter N' line"
    assert set(named) <= CHAPTERS, f"{module} names chapters {set(named) - CHAPTERS} the book lacks"


@pytest.mark.parametrize("name", FORWARD)
def test_forward_functions_document_arguments_shapes_and_chapter(name):
    doc = inspect.getdoc(getattr(F, name))
    assert "Args:" in doc or "Shape:" in doc, f"{name}: no Args: or Shape: section"
    assert "shape" in doc.lower(), f"{name}: says nothing about shapes"
    named = _chapters_named(doc)
    assert named and set(named) <= CHAPTERS, f"{name}: 'Taught in' missing or naming no chapter"


@pytest.mark.parametrize("name", [n for n in F.__all__ if n.endswith("_backward")])
def test_backward_functions_say_what_they_return(name):
    doc = inspect.getdoc(getattr(F, name))
    assert doc.startswith("Gradient") or "grad" in doc.split("\n")[0].lower(), name
    assert name[:-len("_backward")] in doc, f"{name} does not name its forward"


@pytest.mark.parametrize("module", DOCUMENTED_MODULES)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), extraglobs={"np": np},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
