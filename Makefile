# Yongke: the two quick-start commands are `make run` and `make test`.
SHELL := /bin/bash
# 3.12 first: requirements/lock*.txt are resolved for CPython 3.12 on Linux x86_64 (`make lock`).
# A `command -v` hit is not enough (a pyenv shim answers for versions it will not run), so each
# candidate is run; 3.13 is the fallback.
PY_CANDIDATES := python3.12 $(wildcard /root/.pyenv/versions/3.12*/bin/python3) python3.13 $(wildcard /root/.pyenv/versions/3.13*/bin/python3) python3
PYTHON := $(firstword $(foreach p,$(PY_CANDIDATES),$(shell command -v $(p) >/dev/null 2>&1 && $(p) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null && echo $(p))))
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PG_PORT ?= 54329
PG_DIR ?= /tmp/yongke-pg-$(PG_PORT)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run serve test test-sqlite test-postgres venv dev pg-start pg-stop browser pdf assets lint lock lock-upgrade bench bench-server bench-faults clean

# Installs come from the lock files (exact versions and hashes, resolved by `make lock`);
# the project itself goes in afterwards without resolving anything again.
LOCK := requirements/lock.txt
LOCK_DEV := requirements/lock-dev.txt
LOCK_S3 := requirements/lock-s3.txt

$(BIN)/.installed: pyproject.toml $(LOCK)
	@test -n "$(PYTHON)" || { echo "需要 Python 3.12 或更高版本 / Python >= 3.12 is required"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r $(LOCK)
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(BIN)/.dev: $(BIN)/.installed $(LOCK_DEV)
	$(BIN)/pip install -q -r $(LOCK_DEV)
	touch $@

venv: $(BIN)/.installed
dev: $(BIN)/.dev

# Front-end assets from the npm registry, copied beside the portal's static files (served locally).
VENDOR := yongke/portal/static/vendor
$(VENDOR)/.installed: package.json
	@command -v npm >/dev/null 2>&1 || { echo "installing Node.js and npm from Debian packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm install --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/echarts/dist/echarts.min.js node_modules/axe-core/axe.min.js $(VENDOR)/
	touch $@

assets: $(VENDOR)/.installed

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Chromium from Debian packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

# The 申报书 PDF (yongke/applications/pdf.py): WeasyPrint lays it out with Debian's Pango and sets
# it in the Noto CJK fonts; the tests read it back with poppler-utils' pdftotext.
pdf:
	@{ ldconfig -p | grep -q libpangoft2-1.0 && fc-list 2>/dev/null | grep -q "Noto Sans CJK" && command -v pdftotext >/dev/null 2>&1; } || { \
	  echo "installing Pango, the Noto CJK fonts and poppler-utils from Debian packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils >/dev/null; }

# Embedded default: SQLite under var/, the bundled guide and the demo data, then serve.
run: venv assets pdf
	@mkdir -p var
	$(BIN)/yongke manage migrate --no-input -v 0
	$(BIN)/yongke demo
	@echo ""
	@echo "邕科 Yongke is running at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "with one background worker and the scheduler; Ctrl-C stops all three"
	bash scripts/run.sh dev $(HOST) $(PORT)

# Production serving: gunicorn, one worker and the scheduler against DATABASE_URL (docs/deployment.md).
serve: venv
	@test -n "$$DATABASE_URL" || { echo "需要设置 DATABASE_URL / DATABASE_URL is required (postgres://user:password@host:5432/yongke)"; exit 2; }
	$(BIN)/yongke manage migrate --no-input -v 0
	$(BIN)/yongke manage collectstatic --no-input -v 0
	bash scripts/run.sh serve $(HOST) $(PORT)

# PostgreSQL from Debian packages, a private cluster under var/pg on a loopback port.
pg-start:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "installing PostgreSQL from Debian packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; fi
	@bash scripts/pg.sh start $(PG_DIR) $(PG_PORT)

pg-stop:
	@bash scripts/pg.sh stop $(PG_DIR) $(PG_PORT)

# Each suite runs on TEST_PROCS processes (pytest-xdist; each has its own test database).
TEST_PROCS ?= 2
test-sqlite: dev assets browser pdf
	$(BIN)/pytest -q -n $(TEST_PROCS)

# Only the tests that touch the database: the others ran in the SQLite suite and cannot differ
# (the browser journeys too: their subject is the browser's side of the pages).
test-postgres: dev assets pdf pg-start
	DATABASE_URL=postgres://yongke@127.0.0.1:$(PG_PORT)/yongke YONGKE_TEST_DB_ONLY=1 $(BIN)/pytest -q -n $(TEST_PROCS)

# The checks, then the whole suite on the embedded SQLite and again on PostgreSQL.
test: dev
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# All four checks run, each reporting, and the target fails if any failed.
lint: dev
	@status=0; \
	$(BIN)/ruff check yongke bench || status=1; \
	$(BIN)/ruff format --check yongke bench || status=1; \
	$(BIN)/mypy yongke || status=1; \
	$(BIN)/lint-imports || status=1; \
	exit $$status

# Re-resolve the lock files from pyproject.toml for CPython 3.12 on Linux x86_64, keeping
# every pin that still satisfies it; `make lock-upgrade` moves every pin to the newest release.
# The dev lock (runtime + s3 + dev) is resolved first and constrains the other two, so all
# three carry the same version of every package they share: lock.txt is the runtime alone
# (`make venv`), lock-s3.txt the runtime with the `s3` extra for a deployment that keeps
# uploads in a bucket (pip install -r requirements/lock-s3.txt && pip install --no-deps .).
# uv comes from the dev lock's pin (or the newest release while there is no lock yet).
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --python-version 3.12 --python-platform x86_64-unknown-linux-gnu \
	--generate-hashes --custom-compile-command "make lock" --quiet
lock:
	@test -n "$(PYTHON)" || { echo "需要 Python 3.12 或更高版本 / Python >= 3.12 is required"; exit 2; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/pip install -q "$$(grep -hoE '^uv==[^ ]+' $(LOCK_DEV) 2>/dev/null || echo uv)"
	@mkdir -p requirements
	$(UV_COMPILE) $(LOCK_FLAGS) --extra dev -o $(LOCK_DEV)
	$(UV_COMPILE) -c $(LOCK_DEV) -o $(LOCK)
	$(UV_COMPILE) --extra s3 -c $(LOCK_DEV) -o $(LOCK_S3)

lock-upgrade:
	$(MAKE) --no-print-directory lock LOCK_FLAGS=--upgrade

bench: dev
	$(BIN)/python bench/rules.py
	$(BIN)/python bench/indicators.py

# The server benchmarks: gunicorn on the private PostgreSQL cluster (list pages at 10,000 and
# 100,000 applications; the deadline rush of 200 applicants; then the faults, bench-faults).
bench-server: dev pg-start
	YONGKE_BENCH_PG=postgres://yongke@127.0.0.1:$(PG_PORT)/postgres $(BIN)/python bench/lists.py
	YONGKE_BENCH_PG=postgres://yongke@127.0.0.1:$(PG_PORT)/postgres $(BIN)/python bench/rush.py
	$(MAKE) --no-print-directory bench-faults

# kill -9 of the web server mid-import and of the worker mid-job: 0 partial rows, jobs ended visibly (docs/benchmarks.md).
bench-faults: dev pg-start
	YONGKE_BENCH_PG=postgres://yongke@127.0.0.1:$(PG_PORT)/postgres $(BIN)/python bench/faults.py

clean:
	-bash scripts/pg.sh stop $(PG_DIR) $(PG_PORT)
	rm -rf $(VENV) var build *.egg-info
