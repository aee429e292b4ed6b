# Tanfang — the commands a developer needs. `make help` lists them.
#
# Everything runs from a private toolchain: uv (pinned) lives in .uv/, the project and its
# dev tools in .venv/, both made from uv.lock by `make install`.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
UV_STAMP := .uv/.uv-$(UV_VERSION)
INSTALLED := .venv/.tanfang-installed
PYTEST_ARGS ?=
# The suite runs on two workers, a test file each at a time (pytest-xdist, --dist loadfile):
# most of its time is waiting on real brokers, databases and wall-clock timeouts.
TEST_WORKERS ?= 2
DEMO_ARGS ?=

# Use the Python we were given, never one that uv downloads.
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install demo test lint bench clean

help:
	@echo "make demo    everything on this machine (broker, database, gateway, API, simulated homes)"
	@echo "make test    the test suite against a real Mosquitto and PostgreSQL it starts itself"
	@echo "make lint    ruff check, ruff format --check, mypy --strict, import-linter (the rooms)"
	@echo "make bench   the ingest benchmark (bench/ingest.py)"
	@echo "make install .venv with the project, its demo and sim extras and dev tools, from uv.lock"
	@echo "make clean   remove .venv, .uv and caches"

install: $(INSTALLED)

# uv in a venv of its own, so that no system package manager is touched.
$(UV_STAMP):
	@PYTHON="$(PYTHON)" UV_VERSION="$(UV_VERSION)" scripts/bootstrap-uv.sh
	@touch $@

# Re-synced only when the project's requirements change; the stamp lives in .venv so that
# deleting .venv is enough to force a fresh install.
$(INSTALLED): pyproject.toml uv.lock $(UV_STAMP)
	@python_path="$$($(PYTHON) -c 'import sys; print(sys.executable)')"; \
	$(UV) sync --frozen --all-extras --python "$$python_path" \
	|| { echo "uv sync failed; trying again from uv's cache only (offline)"; \
	     $(UV) sync --frozen --all-extras --offline --python "$$python_path"; }
	@touch $@

demo: install
	.venv/bin/tanfang demo $(DEMO_ARGS)

test: install
	scripts/ensure-test-services.sh
	TEST_WORKERS=$(TEST_WORKERS) scripts/run-tests.sh $(PYTEST_ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports

bench: install
	scripts/ensure-test-services.sh
	.venv/bin/python bench/ingest.py

clean:
	rm -rf .venv .uv .mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
