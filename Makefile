# One entry point for people and CI. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := data/synthetic/small
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: install demo test test-fast check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

install: $(STAMP)

## demo: generate + validate the small world, train (MLflow run), register and promote the champion,
##       then serve it on 127.0.0.1:3000 (prints a curl per route; Ctrl-C stops)
demo: install
	$(BIN)/pathfinder generate --size small --seed 42 --out $(DEMO)
	$(BIN)/pathfinder validate $(DEMO)
	$(BIN)/pathfinder train --config experiments/demo.toml
	$(BIN)/pathfinder promote
	bash serving/demo.sh

## test: the whole suite (what CI runs)
test: install
	$(BIN)/python -m pytest

## test-fast: skip the slow and integration tiers while iterating
test-fast: install
	$(BIN)/python -m pytest -m "not slow and not integration"

## check: lint and type check
check: install
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy

## bench: every benchmark script on the medium world (about an hour here; the figures they print
##        go to benchmarks/RESULTS.md by hand)
bench: install
	for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(DEMO) mlflow.db mlruns .demo models
