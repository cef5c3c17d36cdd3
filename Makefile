# Two commands do all set-up on a fresh machine: `make serve` and `make test`.
# Everything installs into .venv; the browser tests also need Debian's chromium, which
# `make browser` installs with apt-get when it is missing (CI runs as root).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 4242
SCENARIO ?= scenarios/default.yaml
PYTEST_ARGS ?=

.PHONY: install serve test browser bench soak fuzz lint clean

# Serving needs the runtime only; tests and lint add their extras on top.
$(RUNTIME): pyproject.toml
	@test -x $(PY) || { echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing the sandbox's runtime into $(VENV)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	@echo "installing the test and lint tools into $(VENV)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,lint]'
	touch $(STAMP)

install: $(STAMP)

serve: $(RUNTIME)
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

# Endless session creation against a small --max-sessions: RSS printed each minute, flat after warm-up.
# Loopback only; 10 minutes unless SOAK_SECONDS says otherwise (SOAK_INTERVAL, SOAK_MAX_SESSIONS).
soak: $(STAMP)
	$(PY) bench/soak.py

# The long fuzz campaign: schemathesis cases from the providers' own specs, 1,000+ per provider.
# Also the CubePay fuzz (FUZZ_CASES cases) and the action-sequence machines (FUZZ_CASES / 10 runs each).
fuzz: $(STAMP)
	FUZZ_CASES=$${FUZZ_CASES:-1000} $(PY) -m pytest -p no:cacheprovider -q tests/test_fuzz_specs.py tests/test_fuzz_machines.py

lint: $(STAMP)
	$(VENV)/bin/ruff check sandbox tests bench examples
	$(VENV)/bin/ruff format --check sandbox tests bench examples
	$(VENV)/bin/mypy --strict sandbox
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache
