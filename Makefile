# Tagtrack: `make run` sets up and starts it (SQLite, demo catalog); `make test` runs the tests.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: setup web-assets run test test-sqlite test-postgres lint typecheck clean

setup: $(VENV)/.installed web-assets

# The scanning page's decoder (barcode-detector + zxing-wasm, pinned by web/package-lock.json),
# copied into web/static/vendor where the server serves it; never fetched from a CDN.
web-assets: web/static/vendor/.installed

web/static/vendor/.installed: web/package.json web/package-lock.json web/copy-vendor.mjs
	cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && node copy-vendor.mjs
	touch $@

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
