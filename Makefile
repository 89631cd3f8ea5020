# The two commands of the README: `make demo` and `make test`. Both install what they
# need on first run: uv (into .tools/ when it is not on PATH), then the locked packages.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
# Two test workers (pytest-xdist): the suite takes about half the time on two cores.
PYTEST_ARGS ?= -n 2

.PHONY: compiled-messages demo test lint format check bench messages clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

$(BIN)/campuscode: pyproject.toml uv.lock | $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --quiet
	@touch $@

# The .mo catalogues are built from the committed .po files on every run (Babel, no gettext).
compiled-messages: $(BIN)/campuscode
	@$(BIN)/python -c "from campuscode.core.compile_messages import compile_all; compile_all(check=False)"

demo: compiled-messages
	$(BIN)/campuscode demo

test: compiled-messages
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
