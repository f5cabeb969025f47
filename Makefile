# Frontier Review Portal. `make run` for the portal with demo data, `make test` for the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Django 6.1 needs Python 3.12 or newer: take the newest one found.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { command -v $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: help install uswds run test e2e screenshots lint typecheck migrations-check bench load-test prod-smoke clean

help:
	@echo "make run    - install, migrate, seed demo data, serve on http://localhost:$(PORT)/ with a Celery worker and beat"
	@echo "make test   - run the whole test suite"
	@echo "make e2e    - only the browser journeys and accessibility checks (Chromium + Playwright)"
	@echo "make lint   - ruff, import contracts and mypy"
	@echo "make prod-smoke - nginx, two web nodes, a worker and beat on loopback, production settings (deploy/README.md)"
	@echo "make bench  - seed a large data set and measure pages, transfers and the sweep (BENCH_SCALE=smoke: tiny)"

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (Django 6.1); set PYTHON=/path/to/python3.12"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

uswds: node_modules/.installed

run: install uswds
	DEBUG=true $(PY) manage.py migrate --noinput
	@# A demo key that signs the audit log's checkpoints (var/audit-signing-key.pem).
	DEBUG=true $(PY) manage.py audit_key --create >/dev/null
	@# A demo key that signs the model snapshots' manifests (var/manifest-signing-key.pem).
	DEBUG=true $(PY) manage.py manifest_key --create >/dev/null
	DEBUG=true SITE_URL=http://localhost:$(PORT) $(PY) manage.py seed_demo
	@echo
	@echo "  Frontier Review Portal: http://localhost:$(PORT)/"
	@echo "  Sign in as admin, coordinator, reviewer, reviewer2, submitter, submitter2, operator or operator2"
	@echo "  with the demo password (README; DEMO_PASSWORD overrides it). Ctrl-C stops everything."
	@echo
	@# Ctrl-C reaches the whole process group; the trap also stops the worker
	@# if the web server exits on its own.
	export DEBUG=true SITE_URL=http://localhost:$(PORT); trap 'kill $$(jobs -p) 2>/dev/null; wait' EXIT; \
	$(VENV)/bin/celery -A portal worker --beat --loglevel=INFO --concurrency=2 \
		--schedule var/celerybeat-schedule & \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install uswds
	$(VENV)/bin/pytest

# The browser journeys alone (make test runs them too): Debian's chromium, no browser download.
e2e: install uswds
	$(VENV)/bin/pytest tests/e2e

# Refresh the README's screenshots (docs/screenshots/) from the browser journeys.
screenshots: install uswds
	E2E_SCREENSHOTS=true $(VENV)/bin/pytest tests/e2e

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(MAKE) --no-print-directory typecheck

typecheck: install
	DEBUG=true $(VENV)/bin/mypy

migrations-check: install
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

# The bench uses a database of its own: DATABASE_URL (PostgreSQL) if set, else
# SQLite under var/bench. Full size takes several minutes and ~2 GiB of disk.
BENCH_SCALE ?= full
bench: install uswds
	mkdir -p var/bench
	DEBUG=true VAR_DIR=var/bench LOG_LEVEL=WARNING $(PY) manage.py migrate --noinput -v0
	DEBUG=true VAR_DIR=var/bench LOG_LEVEL=WARNING $(PY) -m portal.bench run --scale $(BENCH_SCALE) \
		$(if $(filter full,$(BENCH_SCALE)),--write docs/benchmarks.md)

# wrk on loopback, 16 connections, 30 s each: the reviewer queue and downloads (after make bench).
load-test: install
	DEBUG=true VAR_DIR=var/bench LOG_LEVEL=WARNING $(PY) -m portal.bench load-test --write docs/benchmarks.md

# The production reference (deploy/README.md) on loopback: moto's S3, nginx in front of
# two gunicorn nodes, a worker and beat, DEBUG off; a journey across the nodes, then
# everything stops. PostgreSQL and Redis must run; PROD_SMOKE_* in deploy/smoke.py.
prod-smoke: install uswds
	$(PY) deploy/smoke.py

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
