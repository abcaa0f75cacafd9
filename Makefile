# Leadhouse: `make run` (whole pipeline on synthetic data) and `make test`.
# Everything installs into .venv on first use; nothing else is needed but Python 3.11+.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= data/demo
WAREHOUSE ?= warehouse
PEOPLE ?= 2000
SEED ?= 42
SCALE ?= S
REPEAT ?= 3
STEPS ?= ingest,web,dbt,runs,tutorial
# Test processes side by side (pytest-xdist); each test file runs whole in one of them,
# so a file's shared fixtures are built once. TEST_WORKERS=0 runs them in this process.
# Files are handed out in the order tests/conftest.py gives them (longest first):
# pytest-xdist would otherwise order them by their number of tests, and start the
# longest file, which has one test, last.
TEST_WORKERS ?= 2

.PHONY: help install run test lint format clean bench

help:
	@echo "make run     generate ~$(PEOPLE) synthetic people, load, build, check, summarise"
	@echo "make test    install if needed and run the whole test suite (pytest)"
	@echo "make bench   benchmark (SCALE=S|M|L, REPEAT=3, STEPS=ingest,web,dbt,runs,tutorial) into bench/results/"
	@echo "make lint    ruff, mypy and sqlfluff"
	@echo "make format  apply ruff formatting"
	@echo "make clean   remove generated data, the warehouse and the virtualenv"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/leadhouse run --generate --people $(PEOPLE) --seed $(SEED) \
		--data $(DATA) --warehouse $(WAREHOUSE)

test: $(STAMP)
	$(BIN)/pytest --numprocesses $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

bench: $(STAMP)
	$(BIN)/leadhouse bench --scale $(SCALE) --repeat $(REPEAT) --steps $(STEPS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd dbt_project && LEADHOUSE_DUCKDB=:memory: ../$(BIN)/sqlfluff lint models tests

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(DATA) $(WAREHOUSE) bench/work $(VENV) dbt_project/target dbt_project/logs
