# The two set-up commands are `make demo` and `make test`; both create the environment first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: env demo test test-fast lint format bench bench-wandb lock clean

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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info demo.duckdb
