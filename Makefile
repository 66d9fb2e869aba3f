# Public targets: run, build, test, serve, bench, lint. Everything else is plumbing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run build test serve bench lint clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# venv + install, build (prints the classification table), then serve dist/site as
# linked data on http://$(HOST):$(PORT)/ (Ctrl-C stops).
run: build
	$(BIN)/govsm serve --host $(HOST) --port $(PORT)

build: $(STAMP)
	$(BIN)/govsm build

serve: $(STAMP)
	$(BIN)/govsm serve --host $(HOST) --port $(PORT)

# pytest exits 5 when it collects no tests: that is a failure here, never a pass.
test: $(STAMP)
	@$(BIN)/pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: no tests collected" >&2; exit 1; fi; \
	exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check kg tests bench
	$(BIN)/ruff format --check kg tests bench

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf dist $(VENV)
