# Yongke: the two quick-start commands are `make run` and `make test`.
SHELL := /bin/bash
PY_CANDIDATES := python3.13 python3.12 $(wildcard /root/.pyenv/versions/3.1[23]*/bin/python3) python3
PYTHON := $(firstword $(foreach p,$(PY_CANDIDATES),$(shell command -v $(p) >/dev/null 2>&1 && $(p) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null && echo $(p))))
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PG_PORT ?= 54329
PG_DIR ?= /tmp/yongke-pg-$(PG_PORT)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-sqlite test-postgres venv dev pg-start pg-stop browser assets lint bench clean

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "需要 Python 3.12 或更高版本 / Python >= 3.12 is required"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(BIN)/.dev: $(BIN)/.installed pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
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

# Embedded default: SQLite under var/, the bundled guide and the demo data, then serve.
run: venv assets
	@mkdir -p var
	$(BIN)/yongke manage migrate --no-input -v 0
	$(BIN)/yongke demo
	@echo ""
	@echo "邕科 Yongke is running at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	$(BIN)/yongke manage runserver $(HOST):$(PORT)

# PostgreSQL from Debian packages, a private cluster under var/pg on a loopback port.
pg-start:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "installing PostgreSQL from Debian packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; fi
	@bash scripts/pg.sh start $(PG_DIR) $(PG_PORT)

pg-stop:
	@bash scripts/pg.sh stop $(PG_DIR) $(PG_PORT)

test-sqlite: dev assets browser
	$(BIN)/pytest -q

test-postgres: dev assets browser pg-start
	DATABASE_URL=postgres://yongke@127.0.0.1:$(PG_PORT)/yongke $(BIN)/pytest -q

# The whole suite on the embedded SQLite and again on PostgreSQL.
test: dev
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

lint: dev
	$(BIN)/ruff check yongke bench

bench: dev
	$(BIN)/python bench/rules.py

clean:
	-bash scripts/pg.sh stop $(PG_DIR) $(PG_PORT)
	rm -rf $(VENV) var build *.egg-info
