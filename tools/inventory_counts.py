"""Recount notes/seed-inventory.md: the Counts tables from the status of every Part A row.

    .venv/bin/python tools/inventory_counts.py          # print the tables
    .venv/bin/python tools/inventory_counts.py --write  # rewrite them in the file

Writers change a row's status when a chapter covers its item; this keeps the tables at the
top of the file in step (tests/test_seed_inventory.py fails when they disagree).
"""
import re
import sys
from collections import Counter
from pathlib import Path

INVENTORY = Path(__file__).resolve().parents[1] / "notes" / "seed-inventory.md"
KINDS = {"T": "topic", "N": "worked number", "F": "figure", "L": "code listing", "E": "exercise"}
STATUSES = ("covered", "partly", "missing", "not covered")
ROW = re.compile(r"^\| (S[0-3])-([A-Z])(\d+) \|")


def status_of(cell):
    """The status column's word: covered, partly, missing or not covered."""
    text = cell.strip().strip("*").strip()
    for status in ("not covered", "covered", "partly", "missing"):
        if text.startswith(status):
            return status
    raise ValueError(f"unknown status {cell.strip()!r}")


def rows(text):
    """``(seed, kind, id, cells)`` of every Part A item row."""
    out = []
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]  # "\|" is text
            out.append((match.group(1), KINDS[match.group(2)], cells[0], cells))
    return out


def counts(text):
    """``{(group, status): n}`` by kind and by seed, plus the ``"all"`` group."""
    tally = Counter()
    for seed, kind, _, cells in rows(text):
        status = status_of(cells[4])
        for group in (kind, seed, "all"):
            tally[group, status] += 1
    return tally


def table(groups, tally, first, bold_last=False):
    lines = [f"| {first} | covered | partly | missing | not covered | total |",
             "|---|---:|---:|---:|---:|---:|"]
    for group in groups:
        values = [tally[group, s] for s in STATUSES]
        cells = [str(v) for v in values + [sum(values)]]
        name = group
        if bold_last and group == "all":
            name, cells = "**all**", [f"**{c}**" for c in cells]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def tables(text):
    """The two Counts tables (by kind, by seed) as the file shows them."""
    tally = counts(text)
    by_kind = table(list(KINDS.values()) + ["all"], tally, "kind", bold_last=True)
    by_seed = table(["S0", "S1", "S2", "S3"], tally, "seed")
    return by_kind, by_seed


def rewrite(text):
    """``text`` with its two Counts tables replaced by fresh counts."""
    lines = text.splitlines()
    for new in tables(text):
        header = new[0].split("|")[1].strip()
        start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} | covered"))
        stop = start
        while stop < len(lines) and lines[stop].startswith("|"):
            stop += 1
        lines[start:stop] = new
    return "\n".join(lines) + "\n"


def main(argv):
    text = INVENTORY.read_text()
    if "--write" in argv:
        INVENTORY.write_text(rewrite(text))
    for new in tables(text):
        print("\n".join(new), end="\n\n")


if __name__ == "__main__":
    main(sys.argv[1:])
