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
SCENARIO ?= default
PYTEST_ARGS ?= -n auto  # pytest-xdist: the suite is parallel-safe (namespaces, tenants, free ports)

.PHONY: install serve test browser nginx node bench bench-million bench-dashboards soak fuzz lint clean

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

# nginx for the fleet test: two sandboxes behind the shipped deploy/nginx.conf.
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  echo "installing Debian's nginx for the fleet test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null) \
	  || echo "could not install nginx: the fleet test will be skipped"; }

# Coinbase's TypeScript client for tests/providers/test_cdp_typescript.py: `npm ci` from the
# committed lockfile, again only when the lockfile changes. Without node the test skips.
NODE_TESTS := tests/node
NODE_STAMP := $(NODE_TESTS)/node_modules/.installed

$(NODE_STAMP): $(NODE_TESTS)/package.json $(NODE_TESTS)/package-lock.json
	@echo "installing Coinbase's TypeScript client into $(NODE_TESTS)/node_modules (npm ci)"
	cd $(NODE_TESTS) && npm ci --silent --no-audit --no-fund
	touch $(NODE_STAMP)

node:
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
	  $(MAKE) -s --no-print-directory $(NODE_STAMP); \
	else \
	  echo "node/npm not found: Coinbase's TypeScript client test (tests/node) will be skipped"; \
	fi

test: $(STAMP) browser nginx node
	$(PY) -m pytest $(PYTEST_ARGS)

# wrk is the load generator (a Python client would be slower than the server it measures).
# Payviox, CDP (a signed JWT per request) and CubePay creates against a bare route, memory, and
# nginx to two shards (needs nginx: `make nginx`). 4-5 minutes on a 2-vCPU machine.
bench: $(STAMP) nginx
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk for the benchmark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run.py

# In-process: CPU per POST /payviox/session and memory per session at 0 to 1,000,000 stored
# sessions (2-5 minutes with the neighbours, 2.2 GB of RAM at most).
bench-million: $(STAMP)
	$(PY) bench/million.py

# The API's figures with and without ten open dashboards' event streams, and an idle dashboard's CPU.
bench-dashboards: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/dashboards.py

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
