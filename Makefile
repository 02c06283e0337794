# Rediscover — `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# PostgreSQL used by the store tests (trust auth on the local server); empty disables them.
REDISCOVER_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export REDISCOVER_TEST_DATABASE_URL

.PHONY: help demo test bench serve lint reindex clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The browser tests drive Debian's chromium through Playwright (never `playwright install`).
CHROMIUM ?= /usr/bin/chromium
export REDISCOVER_TEST_CHROMIUM := $(CHROMIUM)

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "error: $(CHROMIUM) is missing; the browser tests need Debian's chromium." >&2; \
		echo "       install it as root: apt-get install -y chromium (or set CHROMIUM=/path)" >&2; \
		exit 1; \
	fi

install: $(STAMP) | $(CHROMIUM)  ## create .venv and install the package with test extras (and chromium)

demo: $(STAMP)  ## sync the bundled sample from an in-process fake ATS, index it, serve the UI
	$(BIN)/rediscover demo

test: $(STAMP) | $(CHROMIUM)  ## run the whole test suite (SQLite, PostgreSQL, Elasticsearch via osmem)
	$(BIN)/pytest -n 2 --dist loadfile

bench: $(STAMP)  ## run the benchmarks (BENCH_SIZE=... for a larger run)
	$(BIN)/python -m bench

serve: $(STAMP)  ## serve the API and UI on the configured database
	$(BIN)/rediscover serve

reindex: $(STAMP)  ## rebuild the search index from the store
	$(BIN)/rediscover index --rebuild

lint: $(STAMP)  ## byte-compile everything (cheap syntax gate)
	$(BIN)/python -m compileall -q rediscover tests bench

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) *.egg-info .pytest_cache
