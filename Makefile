# Developer shortcuts. README quick start: `make demo` and `make test`; CI runs .ci/run.
PY ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
DEMO_HOME ?= .demo

.PHONY: install test lint demo bench

$(BIN)/soleflip: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/soleflip

install: $(BIN)/soleflip

# SQLite always; PostgreSQL too when SOLEFLIP_TEST_DATABASE_URL points at a throwaway database.
test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check soleflip_cli tests bench
	$(BIN)/mypy

# The main job on the embedded SQLite default, in a throwaway SOLEFLIP_HOME: import the shipped
# sample purchases and StockX sales, then what you own, how old it is, and what you earned after fees.
SAMPLES = soleflip_cli/samples
demo: install
	rm -rf $(DEMO_HOME)
	SOLEFLIP_HOME=$(DEMO_HOME) $(BIN)/soleflip import csv $(SAMPLES)/demo-purchases.csv $(SAMPLES)/demo-stockx-sales.csv
	SOLEFLIP_HOME=$(DEMO_HOME) $(BIN)/soleflip inventory list --status in_stock
	SOLEFLIP_HOME=$(DEMO_HOME) $(BIN)/soleflip inventory aging
	SOLEFLIP_HOME=$(DEMO_HOME) $(BIN)/soleflip price breakeven --cost 180
	SOLEFLIP_HOME=$(DEMO_HOME) $(BIN)/soleflip report summary

bench: install
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/sync_stockx.py
	$(BIN)/python bench/import_contest.py
