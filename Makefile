# Tagtrack: `make run` sets up and starts it (SQLite, demo catalog); `make test` runs the tests.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: setup run test test-sqlite test-postgres lint typecheck clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

run: setup
	$(VENV)/bin/tagtrack serve --demo

# The whole suite on SQLite, then on PostgreSQL (127.0.0.1:5432, or TAGTRACK_TEST_PG).
test: setup
	TAGTRACK_TEST_DB=sqlite $(PY) -m pytest
	TAGTRACK_TEST_DB=postgres $(PY) -m pytest

test-sqlite: setup
	TAGTRACK_TEST_DB=sqlite $(PY) -m pytest

test-postgres: setup
	TAGTRACK_TEST_DB=postgres $(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check server labels tests bench

typecheck: setup
	$(VENV)/bin/mypy server labels

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
