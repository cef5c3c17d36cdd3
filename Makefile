# Two commands do all set-up on a fresh machine: `make serve` and `make test`.
# Everything installs into .venv; the browser tests also need Debian's chromium, which
# `make browser` installs with apt-get when it is missing (CI runs as root).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 4242
SCENARIO ?= scenarios/default.yaml
PYTEST_ARGS ?=

.PHONY: install serve test browser bench lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/sandbox serve --host $(HOST) --port $(PORT) --scenario $(SCENARIO)

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "could not install chromium: browser tests will be skipped"; }

test: $(STAMP) browser
	$(PY) -m pytest $(PYTEST_ARGS)

# wrk is the load generator (a Python client would be slower than the server it measures).
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk for the benchmark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check sandbox tests bench
	$(VENV)/bin/ruff format --check sandbox tests bench

clean:
	rm -rf $(VENV) .pytest_cache
