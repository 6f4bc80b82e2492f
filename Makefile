# The two set-up commands are `make demo` and `make test`; both create the environment first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: env demo test test-fast lint format bench lock clean lake-env lake-test lake-bench lock-lake

env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: env
	$(PY) -m swansync demo --db ./demo.duckdb

test: env
	$(PY) -m pytest -q

test-fast: env
	$(PY) -m pytest -q -m "not contract and not integration and not slow"

lint: env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: env
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: env
	$(PY) -m bench.run

# Re-resolve the pinned versions (run after changing dependencies in pyproject.toml).
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install -q -e ".[dev]"
	.venv-lock/bin/pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt
	rm -rf .venv-lock

# -- DuckLake (issue 13) ----------------------------------------------------------------------
# The lake suite runs in its own pinned environment: the ducklake/postgres/httpfs extensions load
# offline only from their PyPI wheels, which exist for DuckDB 1.5.5 (not 2.x) and pin it.
LAKE_VENV     := .venv-lake
LAKE_PY       := $(LAKE_VENV)/bin/python
LAKE_STAMP    := $(LAKE_VENV)/.installed
# The S3 stand-in is moto's server; "moto[s3]" + flask + flask-cors is what it needs for S3
# (moto[server] would add ~55 packages for every other AWS service).
LAKE_PACKAGES := duckdb==1.5.5 duckdb-extension-ducklake==1.5.5 \
                 duckdb-extension-postgres-scanner==1.5.5 duckdb-extension-httpfs==1.5.5 \
                 "moto[s3]" flask flask-cors

lake-env: $(LAKE_STAMP)

$(LAKE_STAMP): pyproject.toml constraints-lake.txt
	$(PYTHON) -m venv $(LAKE_VENV)
	$(LAKE_PY) -m pip install -q --upgrade pip
	$(LAKE_PY) -m pip install -q -c constraints-lake.txt -e ".[dev]" $(LAKE_PACKAGES)
	touch $(LAKE_STAMP)

# Needs PostgreSQL's server binaries (Debian: apt-get install postgresql); starts its own
# PostgreSQL and S3 stand-in on 127.0.0.1.
lake-test: lake-env
	SWANSYNC_LAKE_SUITE=1 $(LAKE_PY) -m pytest -q -p no:cacheprovider --durations=5 tests/lake

# Per-commit cost of a lake with 1, 2 and 4 writers (docs/ducklake.md); starts its own PostgreSQL.
lake-bench: lake-env
	$(LAKE_PY) -m bench.lake_commits

# Re-resolve constraints-lake.txt: the main pins (constraints.txt) except DuckDB, plus the lake's.
lock-lake:
	rm -rf .venv-lock-lake
	$(PYTHON) -m venv .venv-lock-lake
	grep -v '^duckdb==' constraints.txt > .venv-lock-lake/main-pins.txt
	.venv-lock-lake/bin/pip install -q -c .venv-lock-lake/main-pins.txt -e ".[dev]" $(LAKE_PACKAGES)
	.venv-lock-lake/bin/pip freeze --exclude-editable | grep -v '^-e ' > constraints-lake.txt
	rm -rf .venv-lock-lake

clean:
	rm -rf $(VENV) $(LAKE_VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info demo.duckdb
