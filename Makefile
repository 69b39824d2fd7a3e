# WardGate: make help lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
export TEST_DATABASE_URL

.DEFAULT_GOAL := help
.PHONY: help install run test test-sqlite lint format bench bench-profile lock

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/wardgate: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

install: $(BIN)/wardgate ## create .venv from the lock file

run: install ## migrate and start all three services on SQLite (embedded default)
	$(BIN)/wardgate run

test: install ## the full suite: SQLite and PostgreSQL ($$TEST_DATABASE_URL)
	$(BIN)/pytest

test-sqlite: install ## the suite on SQLite only
	TEST_DATABASE_URL= $(BIN)/pytest

lint: install ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services

format: install ## apply ruff formatting and fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install ## benchmarks on PostgreSQL as ratios to same-run baselines, next to ../shared/lean
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench $(BENCH)

BENCH_PROFILED := screening_status discharge_checks
bench-profile: install ## focused benches with py-spy CPU profiles (raw in bench/out/); BENCH= to choose
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	WARDGATE_BENCH_PROFILE=1 $(BIN)/python -m bench $(or $(BENCH),$(BENCH_PROFILED))

lock: ## re-pin requirements.lock from pyproject.toml (needs uv)
	uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11

.PHONY: fuzz
FUZZ_EXAMPLES ?= 200
fuzz: install ## longer Schemathesis, booking state machine and kill -9 runs with a fresh seed
	WARDGATE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) WARDGATE_FUZZ_STEPS=50 WARDGATE_FUZZ_SEED=random \
	WARDGATE_STATE_MACHINE_EXAMPLES=100 WARDGATE_STATE_MACHINE_STEPS=40 WARDGATE_CRASH_KILLS=5 \
	$(BIN)/pytest -p no:cacheprovider --timeout=3600 tests/reliability/test_openapi_fuzz.py \
	  tests/reliability/test_booking_state_machine.py tests/reliability/test_crash_safety.py
