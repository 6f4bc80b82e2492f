# The two set-up commands are `make demo` and `make test`; both create the environment first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: env demo test test-fast lint format bench lock clean fuzz

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

bench: env
	$(PY) -m bench.run

# Re-resolve the pinned versions (run after changing dependencies in pyproject.toml).
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install -q -e ".[dev]"
	.venv-lock/bin/pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info demo.duckdb
