# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PIP := $(VENV)/bin/pip
PY := $(VENV)/bin/python
CONSTRAINTS := constraints.txt

.PHONY: install install-dev demo test lint typecheck format bench clean

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

demo: install
	$(PY) -m eoforge demo --out demo-output --overwrite

test: install-dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n 2 -m "not slow"

lint: install-dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: install-dev
	$(VENV)/bin/mypy

format: install-dev
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

bench: install-dev
	$(PY) benchmarks/sampling.py --json benchmarks/_work/sampling.json
	$(PY) benchmarks/indexing.py --json benchmarks/_work/indexing.json
	$(PY) benchmarks/training.py --json benchmarks/_work/training.json

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
