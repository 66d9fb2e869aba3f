# Public targets: run, build, test, serve, bench, lint. Everything else is plumbing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run build test serve bench lint clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: build serve

build: $(STAMP)
	$(BIN)/govsm build

serve: $(STAMP)
	$(BIN)/govsm serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check kg tests bench
	$(BIN)/ruff format --check kg tests bench

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf dist $(VENV)
