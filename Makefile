# Two commands on a fresh machine: `make demo` and `make test`. Python 3.11+ is all they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
DEMO_ARGS ?=

.PHONY: demo test install dev lint bench clean screenshots

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Studio needs Python 3.11+, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/studio demo --host $(HOST) --port $(PORT) $(DEMO_ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

bench: $(VENV)/.installed-dev
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/catalog_import.py --record
	$(BIN)/python benchmarks/plan_arrange.py --record
	$(BIN)/python benchmarks/live_fanout.py --record
	$(BIN)/python benchmarks/live_ingest.py --record
	$(BIN)/python benchmarks/live_scale.py --record
	$(BIN)/python benchmarks/clip_render.py --record
	$(BIN)/python benchmarks/clip_batch.py --record
	$(BIN)/python benchmarks/replay.py --record

# Every page in both languages into docs/screenshots/ (not committed): the browser tests with
# STUDIO_SCREENSHOTS set. Needs Chromium (apt-get install chromium).
screenshots: $(VENV)/.installed-dev
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) studio-data .pytest_cache build dist
