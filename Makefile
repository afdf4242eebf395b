# ExoTrack. `make run`: the whole system on this machine. `make test`: every check CI runs.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# The suite runs against real servers, never the embedded ones.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/exotrack
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=
TEST_ENV := DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
	DJANGO_SETTINGS_MODULE=config.settings.test

# Root installs system packages directly; anyone else through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test lint fmt services browser migrations-check pytest clean-local

help:
	@echo "make run    start ExoTrack at http://127.0.0.1:8000 (private PostgreSQL, demo data)"
	@echo "make test   linters, migration check and the whole test suite (CI runs this)"
	@echo "make lint   ruff, hadolint and mypy only      make fmt   format the code with ruff"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# A stamp per requirement set: pip runs again only when a requirements file changes.
$(VENV)/.local-installed: requirements.txt requirements-local.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-local.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-local.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.local-installed
	$(BIN)/python -m exotrack.local.run

test: $(VENV)/.dev-installed browser services lint migrations-check pytest

browser:
	@command -v chromium >/dev/null || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends chromium; }

services: $(VENV)/.dev-installed
	$(BIN)/python -m exotrack.local.services --database "$(TEST_DATABASE_URL)" --broker "$(TEST_BROKER_URL)"

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile
	$(TEST_ENV) $(BIN)/mypy

fmt: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(VENV)/.dev-installed
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

# Tests that start a Celery worker share one broker queue, so they run one at a time after
# the rest, which runs on two processes (browser tests included: each process has its own
# database, live server and Chromium). Both parts run, so one report shows every failure.
pytest: $(VENV)/.dev-installed
	status=0; \
	$(TEST_ENV) $(BIN)/pytest --create-db -n 2 -m "not integration" $(PYTEST_ARGS) \
	  || status=$$?; \
	$(TEST_ENV) $(BIN)/pytest --create-db -m integration $(PYTEST_ARGS) || status=$$?; \
	exit $$status

# Forget the local data of `make run` (private database, queued tasks, e-mails).
VAR_DIR ?= var
clean-local:
	rm -rf $(addprefix $(VAR_DIR)/,pgdata database_url broker mail run celerybeat-schedule*)
