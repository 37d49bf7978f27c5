"""The book's rules for outputs that hold on any machine, checked on the stored notebooks.

- A cell whose output the hardware may change is tagged ``nbval-ignore-output``; a single
  such number in an otherwise exact output is printed after a "≈" (the sanitizer masks it).
  Either way the claim the prose makes about it is an ``assert``: in that cell, or in the
  claims cell right after it (a code cell tagged ``remove-cell``, not shown in the HTML).
- Everything else is compared exactly, so no stored output holds a number printed at
  more digits than a claim can need (a float's full ``repr`` is the sign of a
  hardware-dependent value compared digit by digit).
- One marking mechanism: nbval's cell tags, not its ``# NBVAL_*`` comment markers.
"""
import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
IGNORE = "nbval-ignore-output"
APPROX = "≈"  # book/nbval-sanitize.cfg masks the number after it
# A decimal number: digits, a point, digits, an optional exponent (commas group thousands);
# not one printed after the approximation sign.
DECIMAL = re.compile(r"(?<![\w.≈])(?<!≈ )\d[\d,]*\.\d+(?:[eE][-+]?\d+)?")
MAX_SIGNIFICANT = 6


def code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def tags(cell):
    return set(cell.metadata.get("tags", []))


def has_assert(cell):
    source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
    return any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(source)))


def output_text(cell):
    """The text nbval compares: streams, plain-text results and glue records."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        for mime, value in output.get("data", {}).items():
            if mime.endswith("text/plain"):
                parts.append(value)
    return "\n".join(parts)


def significant_digits(number):
    mantissa = number.replace(",", "").split("e")[0].split("E")[0]
    return len(mantissa.replace(".", "").lstrip("0"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_uncompared_outputs_have_their_claims_asserted(path):
    cells = code_cells(path)
    unchecked = []
    for i, cell in enumerate(cells):
        uncompared = IGNORE in tags(cell) or APPROX in output_text(cell)
        if not uncompared or has_assert(cell):
            continue
        following = cells[i + 1] if i + 1 < len(cells) else None
        if following is None or "remove-cell" not in tags(following) or not has_assert(following):
            unchecked.append(i)
    assert not unchecked, (f"{path.name}: code cells {unchecked} have uncompared outputs ({IGNORE} or "
                           f"'{APPROX}') but neither they nor a claims cell (tagged remove-cell) right "
                           "after them assert anything")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_compared_outputs_print_no_full_precision_floats(path):
    found = []
    for i, cell in enumerate(code_cells(path)):
        if tags(cell) & {IGNORE, "nbval-skip"}:
            continue
        long_numbers = [n for n in DECIMAL.findall(output_text(cell)) if significant_digits(n) > MAX_SIGNIFICANT]
        if long_numbers:
            found.append((i, long_numbers[:3]))
    assert not found, (f"{path.name}: compared cells print numbers at more than {MAX_SIGNIFICANT} significant "
                       f"digits (round them to what the prose needs, or tag the cell {IGNORE} and assert "
                       f"its claim): {found}")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_cells_are_marked_with_tags_not_comments(path):
    marked = [i for i, cell in enumerate(code_cells(path)) if re.search(r"#\s*NBVAL_", cell.source)]
    assert not marked, f"{path.name}: code cells {marked} use a '# NBVAL_...' comment; use the cell tag instead"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_glued_values_are_plain_python_values(path):
    """A NumPy scalar glues as 'np.float64(0.5)', which the prose's format spec cannot read."""
    bad = [output.metadata["scrapbook"]["name"] for cell in code_cells(path) for output in cell.outputs
           if "scrapbook" in output.get("metadata", {})
           and re.match(r"(np|numpy)\.|array\(", output.data.get("application/papermill.record/text/plain", ""))]
    assert not bad, f"{path.name}: glue float(...) or int(...) of these NumPy values: {bad}"


def test_the_rules_see_what_they_check():
    """The helpers above recognise an assert, a long float and a short one."""
    cell = nbformat.v4.new_code_cell("%matplotlib inline\nx = 1\nassert x > 0")
    assert has_assert(cell) and not has_assert(nbformat.v4.new_code_cell("x = 1"))
    numbers = DECIMAL.findall("max difference 1.9073486328125e-06, accuracy 0.817, 3,563,296.378604719, "
                              "measured ≈1.9073486328125e-06")
    assert [significant_digits(n) for n in numbers] == [14, 3, 16]
