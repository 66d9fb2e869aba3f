# Public targets: run, build, test, fuzz, serve, bench, lint. Everything else is plumbing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_STAMP := web/node_modules/.installed
NPM := $(shell command -v npm 2>/dev/null)

.PHONY: run build test fuzz serve bench bench-load lint clean lock

# The dependencies at the versions requirements.lock pins (so that builds are byte-identical
# across machines), then the project itself, editable, without resolving anything again.
$(STAMP): pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# Re-pin every dependency (pyproject.toml's, with the dev and bench extras) to its newest
# allowed version, for Python 3.11 (CI's); then run make test and commit requirements.lock.
lock: $(STAMP)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench --python-version 3.11 --upgrade -o requirements.lock

# The SPARQL editor's front end (YASGUI) from the npm registry, pinned by web/package-lock.json
# (npm ci, no install scripts). Without npm (or if npm ci fails) govsm serve offers its plain
# editor instead, and the next make tries again.
$(WEB_STAMP): web/package.json web/package-lock.json
ifeq ($(NPM),)
	@echo "make: npm not found; /sparql will offer the plain editor (install Node.js and npm for YASGUI)" >&2
else
	@if cd web && $(NPM) ci --ignore-scripts --no-audit --no-fund --loglevel=error; then \
	  touch node_modules/.installed; \
	else \
	  echo "make: npm ci failed in web/; /sparql will offer the plain editor" >&2; \
	fi
endif

# venv + install, build (prints the classification table), then serve dist/site as
# linked data on http://$(HOST):$(PORT)/ with the SPARQL endpoint at /sparql (Ctrl-C stops).
run: build $(WEB_STAMP)
	$(BIN)/govsm serve --host $(HOST) --port $(PORT)

build: $(STAMP)
	$(BIN)/govsm build

serve: $(STAMP) $(WEB_STAMP)
	$(BIN)/govsm serve --host $(HOST) --port $(PORT)

# pytest exits 5 when it collects no tests: that is a failure here, never a pass.
# The suite runs on TEST_WORKERS processes (pytest-xdist; 2 = the CI box's cores; 0 = one
# process). --dist loadfile keeps each test file on one worker, so a module's fixtures (its
# builds, servers) are made once, as in a serial run; every worker has its own temporary
# folders, free ports and Virtuoso. --no-loadscope-reorder: the files go out in collection
# order, which tests/conftest.py makes slowest first (xdist's own order, most tests first,
# left the two-minute files with few tests to the end of the run, on one worker).
TEST_WORKERS ?= 2
test: $(STAMP) $(WEB_STAMP)
	@$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: no tests collected" >&2; exit 1; fi; \
	exit $$rc

# The property-based tests (tests/test_fuzz.py: the query guard, the loader, /sparql live)
# with FUZZ random examples per test instead of the suite's fixed 60 (README, Testing).
FUZZ ?= 5000
fuzz: $(STAMP)
	GOVSM_FUZZ=$(FUZZ) $(BIN)/pytest -q -p no:cacheprovider tests/test_fuzz.py --hypothesis-show-statistics

lint: $(STAMP)
	$(BIN)/ruff check kg tests bench
	$(BIN)/ruff format --check kg tests bench

# The scale benchmark (dist/bench/results.csv, scale.svg); e.g. make bench BENCH="--large --site".
# Baseline (b) needs Apache Jena: apt-get install libapache-jena-java (skipped, with a note, if absent).
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH)

# govsm serve under 20 concurrent locust clients running the query catalogue (reuses dist/;
# 127.0.0.1 only): p50/p95/p99, errors, and ratios to a bare pyoxigraph store measured in the
# same run; e.g. make bench-load LOAD="--requests 3000 --versus ../main --rounds 3".
bench-load: $(STAMP)
	$(BIN)/python -m bench.load $(LOAD)

clean:
	rm -rf dist $(VENV) web/node_modules
