# LeaverGuard: `make run` serves the demo, `make test` runs every test, `make bench` measures.
SHELL := /bin/sh
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app server

.PHONY: run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# npm packages the tests use (package-lock.json): Microsoft's manifest schema (@microsoft/app-manifest).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

run: $(VENV)/.runtime node_modules/.package-lock.json
	LEAVERGUARD_ENV=development $(FLASK) db upgrade
	LEAVERGUARD_ENV=development $(FLASK) demo seed
	LEAVERGUARD_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

test: $(VENV)/.dev lint node_modules/.package-lock.json
	scripts/ensure-chromium.sh
	node --test tests/addin/*.test.js  # the Outlook add-in's script (no npm package needed)
	scripts/with-postgres.sh $(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check server tests bench
	$(BIN)/ruff format --check server tests bench

format: $(VENV)/.dev
	$(BIN)/ruff check --fix server tests bench
	$(BIN)/ruff format server tests bench

bench: $(VENV)/.dev
	$(BIN)/python -m bench.check_bench && $(BIN)/python -m bench.import_bench && $(BIN)/python -m bench.admin_search_bench && \
	$(BIN)/python -m bench.retention_bench && \
	scripts/with-postgres.sh sh -c 'test -n "$$TEST_DATABASE_URL" || { echo "no PostgreSQL: skipped"; exit 0; }; \
	$(BIN)/python -m bench.import_bench --database-url "$$TEST_DATABASE_URL" && \
	$(BIN)/python -m bench.check_bench --reset --database-url "$$TEST_DATABASE_URL" && \
	$(BIN)/python -m bench.admin_search_bench --reset --database-url "$$TEST_DATABASE_URL" && \
	$(BIN)/python -m bench.retention_bench --reset --database-url "$$TEST_DATABASE_URL"'

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache node_modules
