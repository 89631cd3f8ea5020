# The two commands of the README: `make demo` and `make test`. Both install what they
# need on first run: uv (into .tools/ when it is not on PATH), then the locked packages.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint format check bench messages clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

$(BIN)/campuscode: pyproject.toml uv.lock | $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --quiet
	@touch $@

demo: $(BIN)/campuscode
	$(BIN)/campuscode demo

test: $(BIN)/campuscode
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/campuscode makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/campuscode
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(BIN)/campuscode
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

bench: $(BIN)/campuscode
	$(BIN)/python bench/run_all.py

messages: $(BIN)/campuscode
	$(BIN)/campuscode makemessages -l zh_Hans -l en --ignore=.venv --ignore=.tools --ignore=data
	$(BIN)/python -m campuscode.core.compile_messages

clean:
	rm -rf .venv .tools data/test-*
