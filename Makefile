# Two commands for a newcomer: `make book` and `make test`.
# Both first run the idempotent set-up (Debian packages + .venv), and stop at the first error.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PY := .venv/bin/python

.PHONY: setup book test portability clean

setup:
	bash tools/setup.sh

book: setup
	$(PY) tools/build_book.py

test: book
	$(PY) -m ruff check .
	$(PY) -m pytest
	$(PY) tools/check_portability.py

# Every chapter executed again as another CPU would round it (see tools/check_portability.py).
portability: setup
	$(PY) tools/check_portability.py

clean:
	rm -rf _build .pytest_cache .hypothesis
