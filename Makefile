# Two commands matter: `make demo` (set up, run the whole graph on the demo site, publish v1)
# and `make test` (set up, run the whole suite). Everything else is a convenience.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.gleaner/dagster

.PHONY: setup demo test dev lint chromium system-deps clean label-studio

setup: $(VENV)/.installed chromium

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	$(BIN)/python -m compileall -q gleaner dagster_project  # bytecode even where PYTHONDONTWRITEBYTECODE is set
	$(BIN)/python -m gleaner.dedup.precompile  # numba's compile at install, not in the first ingest
	$(BIN)/python -m gleaner.extract.langid_model  # the language model unpacked once, its kernels compiled
	touch $@

chromium:
	@scripts/install-chromium.sh $(BIN)/python

system-deps:  # PostgreSQL and a Java runtime for tests/infra and the Spark tests, each only when missing
	@scripts/install-system-deps.sh

demo: setup
	@mkdir -p $(DAGSTER_HOME)
	$(BIN)/gleaner demo

test: setup system-deps
	@mkdir -p $(DAGSTER_HOME)
	$(BIN)/pytest

dev: setup
	@$(BIN)/python -m dagster_project.instance $(DAGSTER_HOME) >/dev/null
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

label-studio:  # Label Studio in its own cached virtualenv, on 127.0.0.1:8080 (docs/label-studio.md)
	scripts/label-studio.sh start

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/dg check defs

clean:
	rm -rf .gleaner
