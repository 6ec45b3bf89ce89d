# Seawall — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: set up, start the gateway on the simulator, drive traffic, print a report, keep serving
demo: $(STAMP)
	$(VENV)/bin/seawall demo

## test: set up, lint, type-check and run every test
test: $(STAMP) lint typecheck
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench examples scripts
	$(VENV)/bin/ruff format --check src tests bench examples scripts

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

## bench: gateway overhead against the simulator (figures go to docs/benchmarks.md)
bench: $(STAMP)
	$(PY) bench/gateway_overhead.py

clean:
	rm -rf $(VENV) .seawall .mypy_cache .ruff_cache
