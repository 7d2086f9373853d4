# chainwatch: `make demo` runs the 3CX scenario on real downloaded artifacts; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup system-deps demo test lint bench clean

setup: system-deps $(STAMP)

system-deps:
	@bash scripts/install-system-deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: setup
	$(BIN)/python demo/run_demo.py

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check chainwatch tests bench demo
	$(BIN)/mypy chainwatch

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache demo/out
