# The two set-up commands are `make demo` and `make test`; both create the environment first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: env demo test test-fast lint format bench bench-report bench-wandb lock clean fuzz lake-env lake-test lake-bench lock-lake bi bi-env bi-test bi-lock

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

# Property tests, randomized and long (tests/property/conftest.py, profile "fuzz"): rounds of
# fresh random examples until FUZZ_MINUTES have passed (a round takes ~15 min on 2 cores;
# FUZZ_SCALE multiplies its example counts). Failures are kept in .hypothesis/ (git-ignored)
# and replayed first by the next run; the first failing round stops the loop.
FUZZ_MINUTES ?= 30
FUZZ_SCALE   ?= 1
fuzz: env
	@end=$$(( $$(date +%s) + $(FUZZ_MINUTES) * 60 )); round=1; \
	while [ $$(date +%s) -lt $$end ]; do \
	  echo "fuzz round $$round"; \
	  HYPOTHESIS_PROFILE=fuzz FUZZ_SCALE=$(FUZZ_SCALE) $(PY) -m pytest -q -x -p no:cacheprovider \
	    --timeout=0 --hypothesis-show-statistics tests/property || exit 1; \
	  round=$$((round + 1)); \
	done

lint: env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: env
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Results go to bench/results/ (not tracked); the tracked BENCHMARKS.md changes only on request.
bench: env
	$(PY) -m bench.run

bench-report: env
	$(PY) -m bench.run --render latest --markdown BENCHMARKS.md

# W&B: a full pull of the bench world vs the SDK user's script, no-op, incremental (bench/results/).
bench-wandb: env
	$(PY) -m bench.wandb_run $(BENCH_ARGS)

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

# --- BI: Superset dashboards on the serving copy (see README "Dashboards") -------------------
BI_VENV ?= .venv-superset
BI_DIR  ?= .bi
BI_PORT ?= 8088

# The pinned Superset environment (its own venv: Superset pins versions that clash with ours).
bi-env:
	@PYTHON=$(PYTHON) sh deploy/superset/install.sh $(BI_VENV)

# Superset on http://127.0.0.1:$(BI_PORT) with the dashboards, provisioned by the same
# deploy/superset/bootstrap.sh as docker compose, on a throwaway metadata DB. Reads
# SUPERSET_ADMIN_USER/SUPERSET_ADMIN_PASSWORD (and optionally SUPERSET_SECRET_KEY) from the
# environment or ./superset.env. SWANSYNC_SERVING=/abs/serving.duckdb shows your own data;
# without it a demo serving copy is pulled from the simulated cloud into $(BI_DIR)/.
bi: env bi-env
	@set -a; [ ! -f superset.env ] || . ./superset.env; set +a; \
	serving="$${SWANSYNC_SERVING:-}"; \
	if [ -z "$$serving" ]; then \
		echo "bi: no SWANSYNC_SERVING given: pulling the demo world into $(BI_DIR)/"; \
		serving=$$($(PY) deploy/superset/demo_data.py $(BI_DIR)) || exit 1; \
	fi; \
	home=$$(mktemp -d); trap 'rm -rf "$$home"' EXIT INT TERM; \
	echo "bi: Superset on http://127.0.0.1:$(BI_PORT) (first start: about a minute)"; \
	SWANSYNC_SERVING="$$serving" SUPERSET_HOME="$$home" SUPERSET_BIND=127.0.0.1:$(BI_PORT) \
	SUPERSET_SECRET_KEY="$${SUPERSET_SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')}" \
	PATH="$(CURDIR)/$(BI_VENV)/bin:$$PATH" sh deploy/superset/bootstrap.sh

# The browser test (needs Debian's chromium and chromium-driver); `make test` skips it.
bi-test: env
	$(PY) -m pytest -q -m bi --durations=5 tests/bi

# Re-resolve deploy/superset/constraints.txt from deploy/superset/requirements.txt.
bi-lock:
	rm -rf .venv-superset-lock
	$(PYTHON) -m venv .venv-superset-lock
	.venv-superset-lock/bin/pip install -q -r deploy/superset/requirements.txt
	{ echo "# Pinned Superset environment (generated by \`make bi-lock\` from requirements.txt; do not edit)."; \
	  .venv-superset-lock/bin/pip freeze; } > deploy/superset/constraints.txt
	rm -rf .venv-superset-lock
