# Two commands: `make run` (set up, demo data when empty, serve on :8050) and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8050

.PHONY: run test install install-dev system-deps lint fmt bench demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

system-deps:
	bash scripts/ensure-system-deps.sh

run: install
	$(BIN)/mauzo demo --if-empty
	$(BIN)/mauzo serve --host $(HOST) --port $(PORT)

demo: install
	$(BIN)/mauzo demo

# Tests wait on servers, browsers and subprocesses much of the time, so more workers than cores pay.
TEST_WORKERS ?= 3

test: install-dev system-deps
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

lint: install-dev
	$(BIN)/ruff check .

ROWS ?= 1000000,10000000

bench: install-dev
	$(BIN)/python -m bench --rows $(ROWS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/artifacts
