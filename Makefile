# Two commands: `make run` (serve the platform with demo data) and `make test` (the whole suite).
# Both create .venv, install the pinned dependencies and start an embedded PostgreSQL and Redis
# (and localstripe) under .data/ unless DATABASE_URL / REDIS_URL / STRIPE_SECRET_KEY are set.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
RUNTIME := $(PY) infra/dev/runtime.py
PORT ?= 8000
DEV_DATA ?= .data/dev
TEST_DATA ?= .data/test

# `make pytest PYTEST_ARGS=tests/x` runs tests only (no lint), for quick loops.
.PHONY: run manage test pytest lint format setup migrate benchmarks lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

setup: $(VENV)/.installed

run: setup
	$(RUNTIME) --data $(DEV_DATA) -- $(PY) infra/dev/serve.py --port $(PORT)

# `make manage ARGS="create_community --slug …"`: any manage.py command. While `make run` is running
# it uses make run's PostgreSQL, Redis and localstripe (its worker sends the e-mails) and stops none of
# them; otherwise it starts them for the command alone (queued work waits in the persistent Redis).
manage: setup
	PLATFORM_PORT=$(PORT) $(RUNTIME) --data $(DEV_DATA) -- $(PY) manage.py $(ARGS)

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(RUNTIME) --data $(TEST_DATA) --fresh -- $(BIN)/pytest $(PYTEST_ARGS)

pytest: setup
	$(RUNTIME) --data $(TEST_DATA) --fresh -- $(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

BENCHMARKS = provisioning directory_search import_rpps national_split renewal_wave annual_report site_load migrate_all
# Every benchmark in turn (each prints its figures, last line JSON); BENCH_ARGS=--quick for short runs.
benchmarks: setup
	$(RUNTIME) --data .data/bench --fresh -- sh -c '$(PY) manage.py migrate_platform > /dev/null && \
		for name in $(BENCHMARKS); do echo "== $$name"; $(PY) benchmarks/$$name.py $(BENCH_ARGS) || exit 1; done'

# Re-pin after editing pyproject.toml's dependencies.
lock: | $(BIN)/python
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf .data/test .data/bench
