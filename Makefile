# casework: the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
HOST ?= 127.0.0.1
PORT ?= 8000
PIP := $(PY) -m pip install -qq --disable-pip-version-check

.PHONY: install run test lint audit bench bench-quick prod-smoke load messages clean

# Everything: the product with the development and test tools (tests, lint, benchmarks).
install: $(STAMP)

# Each installs again only when pyproject.toml changed since. pip's own chatter (and the build
# backend's notice about the editable install) stays out of the way; errors still show.
$(STAMP): pyproject.toml
	@echo "casework: installing with the development tools into $(VENV) (once; a minute or two) ..."
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PIP) --upgrade pip
	@$(PIP) -e '.[dev]'
	@touch $(STAMP) $(RUN_STAMP)

# `make run` needs only the product and the demo's extras: a first run installs less.
$(RUN_STAMP): pyproject.toml
	@echo "casework: installing into $(VENV) (once; about half a minute) ..."
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PIP) --upgrade pip
	@$(PIP) -e '.[demo]'
	@touch $(RUN_STAMP)

# The demo is exempt from the second factor (the login page says so); set it to 0 to try two factors.
# A few lines of progress, then the logins and the address; then the server's and the sweeper's log.
run: export CASEWORK_TWO_FACTOR_DEMO_EXEMPT ?= 1
run: $(RUN_STAMP)
	@echo "casework: preparing the database ..."
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py seed_demo --if-empty
	@echo ""
	@echo "casework runs at http://$(HOST):$(PORT)/  (stop with Ctrl-C)"
	@echo ""
	@# The deadline sweeper runs beside the server and stops with it. bin/serve is uvicorn with its
	@# access log through the redacting log filter (no tokens, no query strings).
	@$(PY) manage.py sweep_deadlines --loop --interval 60 & sweeper=$$!; \
	trap "kill $$sweeper 2>/dev/null" EXIT INT TERM; \
	$(PY) bin/serve -b $(HOST) -p $(PORT) casework.asgi:application

test: install
	@bin/test-all

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

# Benchmarks against baselines in the same run, on PostgreSQL + Redis (its own database).
BENCH_DB ?= postgres://postgres@127.0.0.1:5432/casework_bench
BENCH_REDIS ?= redis://127.0.0.1:6379/9
bench: install
	DATABASE_URL=$(BENCH_DB) REDIS_URL=$(BENCH_REDIS) $(PY) -m bench.run

bench-quick: install
	DATABASE_URL=$(BENCH_DB) REDIS_URL=$(BENCH_REDIS) $(PY) -m bench.run --quick

# The production topology on this machine: 2 ASGI workers, Celery worker + beat, PostgreSQL + Redis.
prod-smoke: install
	$(PY) bin/prod-smoke

# A bounded load test on loopback (docs/performance.md): by default the inbox p95 at 40 % of the
# measured capacity against idle (open loop); LOAD_MODE=overload: 64 clients, websockets, errors.
load: install
	$(PY) bin/load

# Known vulnerabilities in the installed dependencies (pip-audit; needs its data source, see docs/operations.md).
audit: install
	$(VENV)/bin/pip-audit --progress-spinner off --strict

# Refresh the Dutch translations after changing user-facing strings.
messages: install
	$(PY) manage.py makemessages -l nl -i "$(VENV)/*" -i "tests/*" -i "bench/*"
	$(PY) manage.py compilemessages -l nl -i "$(VENV)"

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles .pytest_cache
