# 党建学习管理平台 — build, run and test.
#
#   make run            set up .venv, migrate, load the demo mine if the database is empty, serve on :5000
#                       (with the scheduler process beside gunicorn)
#   make test           ruff, then the whole tests/ tree on SQLite and on a throwaway PostgreSQL 15 (side by side)
#   make test-sqlite    the suite on SQLite only;  make test-postgres  on PostgreSQL only
#   make lint           ruff
#   make migrate-check  do the migrations build exactly the models' schema?
#   make clean          caches, test artefacts and .venv (never instance/ or backups/)
#   make bench          load benchmarks (QUICK=1 for a short check); see README
#
# Narrow a test run with TESTS (paths) and PYTEST_ARGS, e.g.
#   make test TESTS=tests/roster PYTEST_ARGS="-k import -x"

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2

# What `make test` collects: the whole tests/ tree (unit, e2e, security, ...) except the
# benchmarks, which only `make bench` runs.
TESTS ?= tests
PYTEST_ARGS ?=
PYTEST := $(BIN)/python -m pytest $(TESTS) --ignore=tests/bench $(PYTEST_ARGS)

# pytest exits with 5 when it collected no tests. For the full default run that means the
# suite has gone missing and is a failure; when the run was narrowed (TESTS or PYTEST_ARGS
# given) an empty selection is legitimate and counts as success.
ifeq ($(strip $(TESTS))$(strip $(PYTEST_ARGS)),tests)
ALLOW_EMPTY := no
else
ALLOW_EMPTY := yes
endif
define run_pytest
	rc=0; $(1) || rc=$$?; \
	if [ $$rc -eq 5 ] && [ "$(ALLOW_EMPTY)" = yes ]; then echo "(no tests in this selection)"; rc=0; fi; \
	exit $$rc
endef

.PHONY: help run test test-sqlite test-postgres lint migrate-check clean bench

help:
	@sed -n '3,13p' Makefile | sed 's/^# \{0,1\}//'

# --- virtualenv: rebuilt only when a requirements file changes (stamp files inside .venv) ---

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

# --- running the portal ---

run: $(VENV)/.runtime-installed
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty --activity-days 120
	$(FLASK) content sync
	@echo "党建学习管理平台: http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	@# The scheduler (period closing, reminders) runs as one process beside the web server.
	$(FLASK) scheduler start & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null || true' EXIT; \
	$(BIN)/gunicorn --workers $(WORKERS) --worker-class sync --bind $(HOST):$(PORT) \
		--limit-request-line 8190 --limit-request-field_size 16380 \
		--no-control-socket --access-logfile - wsgi:app

# --- checks ---

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

# The two runs go side by side, one per core (each is one pytest process); each writes its own log,
# printed whole once both are done, and its own pytest cache and browser-test artefacts.
test: lint
	@mkdir -p test-artifacts
	@echo "==> tests on SQLite and on a throwaway PostgreSQL cluster, side by side"
	@rc_sqlite=0; rc_postgres=0; \
	( $(call run_pytest,$(PYTEST) -o cache_dir=.pytest_cache/sqlite) ) \
		> test-artifacts/sqlite.log 2>&1 & sqlite=$$!; \
	( $(call run_pytest,bash tests/pg_cluster.sh run $(PYTEST) -o cache_dir=.pytest_cache/postgres) ) \
		> test-artifacts/postgres.log 2>&1 || rc_postgres=$$?; \
	wait $$sqlite || rc_sqlite=$$?; \
	echo "==> tests on SQLite (exit $$rc_sqlite)"; cat test-artifacts/sqlite.log; \
	echo "==> tests on PostgreSQL (exit $$rc_postgres)"; cat test-artifacts/postgres.log; \
	[ $$rc_sqlite -eq 0 ] && [ $$rc_postgres -eq 0 ]

test-sqlite: $(VENV)/.dev-installed
	@$(call run_pytest,$(PYTEST))

test-postgres: $(VENV)/.dev-installed
	@$(call run_pytest,bash tests/pg_cluster.sh run $(PYTEST))

# Builds the schema from the migrations in a scratch SQLite file and asks Alembic whether the
# models differ from it; the configured database is not touched.
migrate-check: $(VENV)/.runtime-installed
	@scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	export DATABASE_URL="sqlite:///$$scratch/check.sqlite"; \
	$(FLASK) db upgrade; \
	$(FLASK) db check

# Load benchmarks against gunicorn on SQLite and PostgreSQL, as ratios to bare-Flask ceilings
# measured in the same run. QUICK=1 for a short check; BENCH_ARGS="--db sqlite --only roster_list".
bench: $(VENV)/.runtime-installed
	$(BIN)/python -m tests.bench.run $(if $(QUICK),--quick) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts bench-results.json
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
