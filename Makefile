# Event Planner — the two commands that matter: `make run` and `make test`.
# Every value in deploy/env.sh can be overridden from the environment or the command line, e.g.
#   make test EP_DATA=/tmp/ep PG_PORT=57432 KAFKA_PORT=59292 KAFKA_CONTROLLER_PORT=59293 GATEWAY_PORT=28000
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help bootstrap run test unit integration api e2e lint lint-code lint-types lint-fix lint-report bench infra \
  replay stop clean

TEST_PATHS ?= libs services ops tests
PYTEST_ARGS ?=
PROFILE ?= run
LINT_PATHS ?= libs services ops deploy tests bench conftest.py
MYPY_PACKAGES ?= contracts spine webkit authkit planner_ops \
  users_service events_service bookings_service payments_service notifications_service
# `make test` lints first (ruff, then mypy) and stops at the first finding; SKIP_LINT=1 runs the suite alone.
SKIP_LINT ?=

help:  ## Show the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

bootstrap:  ## Install uv if missing, sync the virtualenv from uv.lock, fetch Kafka jars
	@bash deploy/bootstrap.sh

run: bootstrap  ## Start everything (PostgreSQL, Kafka, gateway, SMTP sink, services) in the foreground
	@EP_PROFILE=run bash deploy/run.sh

test: bootstrap  ## ruff and mypy (SKIP_LINT=1: not), then the whole suite on fresh test infrastructure, stopped afterwards
	@if [ -z "$(SKIP_LINT)" ]; then $(MAKE) --no-print-directory lint-code lint-types; fi
	@EP_PROFILE=test bash deploy/run_tests.sh --fresh --stop -- -q $(TEST_PATHS) $(PYTEST_ARGS)

unit: bootstrap  ## Domain tests only (no I/O, no infrastructure)
	@EP_PROFILE=test bash deploy/run_tests.sh --no-infra -- -q -m unit $(TEST_PATHS) $(PYTEST_ARGS)

integration: bootstrap  ## Tests against real PostgreSQL and Kafka (test infrastructure left running)
	@EP_PROFILE=test bash deploy/run_tests.sh -- -q -m integration $(TEST_PATHS) $(PYTEST_ARGS)

api: bootstrap  ## Each service's HTTP API against real PostgreSQL (test infrastructure left running)
	@EP_PROFILE=test bash deploy/run_tests.sh -- -q -m api $(TEST_PATHS) $(PYTEST_ARGS)

e2e: bootstrap  ## The whole system through the gateway (test infrastructure left running)
	@EP_PROFILE=test bash deploy/run_tests.sh -- -q -m e2e $(TEST_PATHS) $(PYTEST_ARGS)

lint: bootstrap  ## ruff and mypy, configured in pyproject.toml (the same as .pre-commit-config.yaml)
	@$(MAKE) --no-print-directory lint-code lint-types

lint-code:  ## ruff alone (rules and import order from pyproject.toml)
	@.venv/bin/ruff check $(LINT_PATHS)

lint-types:  ## mypy alone, over every workspace package
	@.venv/bin/mypy $(addprefix -p ,$(MYPY_PACKAGES))

lint-fix: bootstrap  ## Apply ruff's safe fixes in place (import order, unused imports, pyupgrade); review the diff
	@.venv/bin/ruff check --fix --exit-zero --quiet $(LINT_PATHS)
	@.venv/bin/ruff check --statistics $(LINT_PATHS) || echo "(left for a person: the findings above)"

lint-report: bootstrap  ## What is left to fix: ruff and mypy findings counted per file (does not fail)
	@echo "ruff findings per file:"
	@.venv/bin/ruff check --output-format concise $(LINT_PATHS) | grep -E '^[^ ]+:[0-9]+:[0-9]+: ' \
	  | cut -d: -f1 | sort | uniq -c | sort -rn || true
	@echo "mypy errors per file:"
	@.venv/bin/mypy $(addprefix -p ,$(MYPY_PACKAGES)) | grep -E '^[^ ]+:[0-9]+: error: ' \
	  | cut -d: -f1 | sort | uniq -c | sort -rn || true

bench: bootstrap  ## Run every bench/*.py against the test infrastructure
	@EP_PROFILE=test bash deploy/bench.sh

infra: bootstrap  ## Only PostgreSQL and Kafka (PROFILE=run by default, or PROFILE=test)
	@EP_PROFILE=$(PROFILE) bash deploy/postgres.sh up
	@EP_PROFILE=$(PROFILE) bash deploy/kafka.sh up

replay: bootstrap  ## Rebuild every view from Kafka while the system serves (PROFILE=run by default, or PROFILE=test)
	@EP_PROFILE=$(PROFILE) bash -c 'source deploy/env.sh && cd "$$EP_ROOT" && .venv/bin/planner-ops replay --all'

stop:  ## Stop PostgreSQL, Kafka and a leftover gateway of both profiles
	@for p in run test; do \
	  EP_PROFILE=$$p bash deploy/kafka.sh down; \
	  EP_PROFILE=$$p bash deploy/postgres.sh down; \
	  EP_PROFILE=$$p bash deploy/gateway.sh stop; \
	done

clean: stop  ## Stop everything and delete all local data (.data)
	rm -rf .data
