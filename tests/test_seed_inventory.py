"""notes/seed-inventory.md stays true: its counts match its rows, and every row says where or why."""
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("inventory_counts", ROOT / "tools" / "inventory_counts.py")
inventory = importlib.util.module_from_spec(spec)
spec.loader.exec_module(inventory)

TEXT = inventory.INVENTORY.read_text()
CHAPTERS = {int(p.name[:2]) for p in (ROOT / "book").glob("[0-9][0-9]-*.ipynb")}


def test_counts_tables_match_the_rows():
    assert inventory.rewrite(TEXT) == TEXT, "run tools/inventory_counts.py --write"


def test_ids_are_unique_and_every_seed_has_items():
    ids = [item for _, _, item, _ in inventory.rows(TEXT)]
    assert len(ids) == len(set(ids))
    assert {seed for seed, *_ in inventory.rows(TEXT)} == {"S0", "S1", "S2", "S3"}


@pytest.mark.parametrize("seed, kind, item, cells", inventory.rows(TEXT), ids=lambda v: v if isinstance(v, str)
                         and re.fullmatch(r"S\d-[A-Z]\d+", v) else "")
def test_every_item_says_where_or_why(seed, kind, item, cells):
    status, where, note = inventory.status_of(cells[4]), cells[3], cells[5]
    if status in ("covered", "partly"):
        named = {int(n) for n in re.findall(r"ch(\d\d)", where)}
        assert named, f"{item}: status {status} but no chapter named in {where!r}"
        assert named <= CHAPTERS, f"{item}: {where!r} names a chapter the book does not have"
    if status != "covered":
        assert note, f"{item} ({status}): the last column must say what is missing or why not"
