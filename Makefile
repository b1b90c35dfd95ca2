# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The environment is rebuilt only when the dependency files change.
DEPS_HASH := $(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(DEPS_HASH)

.PHONY: run test lint dashboard dagster setup clean lambda-package checkov snowflake-parse

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

run: $(STAMP)
	$(BIN)/velo run

# The browser tests drive the Debian Chromium; installed here when missing (apt, with sudo
# unless already root).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	$(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver

# Two workers (this machine has 2 cores); tests sharing a fixture stay together (tests/conftest.py).
test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -n 2 --durations=25

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint src/velo/warehouse/dbt_project/models

dashboard: $(STAMP)
	$(BIN)/velo dashboard

dagster: $(STAMP)
	$(BIN)/velo dagster

# One zip per Lambda function (handler + velo + its dependencies) in lambda_dist/.
lambda-package: $(STAMP)
	$(BIN)/python -m velo.deploy.lambda_package lambda_dist

# checkov (infra/terraform), hadolint (docker/Dockerfile), actionlint (.github/workflows).
checkov: $(STAMP)
	$(BIN)/python -m velo.deploy.static_checks

# `dbt parse --target snowflake` with placeholder credentials, dbt-snowflake in its own cached venv
# (it pins certifi and filelock below constraints.txt): infra/snowflake-tools.txt.
snowflake-parse: $(STAMP)
	$(BIN)/velo dbt -- deps
	$(BIN)/python -m velo.deploy.static_checks snowflake

clean:
	rm -rf $(VENV) data lambda_dist
