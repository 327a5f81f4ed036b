# Set-up and checks. Needs only Python 3.11+, git and make: every environment is made here.
PYTHON ?= python3
VENV := .venv
VENV2 := .venv-airflow2
PIP_FLAGS := --quiet --disable-pip-version-check
# (a variable: a comma inside $(call ...) would split the argument)
DEV_INSTALL := -e ".[test,lint]"

.PHONY: help demo test lint test-airflow3 test-airflow2 emulator lock clean bench

help:
	@echo "make demo   - run a notebook through Airflow against the local Datalore emulator"
	@echo "make test   - lint, type-check and run the tests on Airflow 3.3 and on Airflow 2.11"
	@echo "make bench  - import cost and triggerer scale vs the dbt Cloud provider (docs/benchmarks.md)"

define make_venv
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required; set PYTHON=python3.11")'
	test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install $(PIP_FLAGS) --upgrade pip
	$(1)/bin/python -m pip install $(PIP_FLAGS) -c $(2) $(3)
	touch $(1)/.installed
endef

$(VENV)/.installed: pyproject.toml constraints/airflow-3.3.txt
	$(call make_venv,$(VENV),constraints/airflow-3.3.txt,$(DEV_INSTALL))

$(VENV2)/.installed: pyproject.toml constraints/airflow-2.11.txt
	$(call make_venv,$(VENV2),constraints/airflow-2.11.txt,$(DEV_INSTALL))

demo: $(VENV)/.installed
	$(VENV)/bin/python scripts/demo.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test-airflow3: $(VENV)/.installed
	$(VENV)/bin/python -m pytest

test-airflow2: $(VENV2)/.installed
	$(VENV2)/bin/python -m pytest

test: lint test-airflow3 test-airflow2 test-system

.PHONY: test-system screenshots

# A real Airflow 3.3 (api-server, scheduler, dag-processor, triggerer) on loopback, with the emulator.
test-system: $(VENV)/.installed
	DATALORE_SYSTEM_TESTS=1 $(VENV)/bin/python -m pytest tests/system -m system

# README screenshots from the real UI with Debian's chromium: tests/system/test_screenshots.py rewrites
# docs/images on the system suite's deployment (skipped by `make test`, which does not set DATALORE_SCREENSHOTS).
screenshots: $(VENV)/.installed
	DATALORE_SYSTEM_TESTS=1 DATALORE_SCREENSHOTS=1 $(VENV)/bin/python -m pytest tests/system -m screenshots

emulator: $(VENV)/.installed
	$(VENV)/bin/python -m airflow_provider_datalore.emulator --port 8765

# Re-pin the test environments after changing dependencies (the constraints files are the lock).
lock: $(VENV)/.installed $(VENV2)/.installed
	$(VENV)/bin/pip freeze --exclude-editable > constraints/airflow-3.3.txt
	$(VENV2)/bin/pip freeze --exclude-editable > constraints/airflow-2.11.txt

clean:
	rm -rf $(VENV) $(VENV2) .venv-bench build *.egg-info

# Benchmarks against the dbt Cloud provider (docs/benchmarks.md), in their own environment: the dbt Cloud
# provider is installed there only, never a dependency. Re-pin it with:
#   .venv-bench/bin/pip freeze --exclude-editable > constraints/bench.txt
VENV_BENCH := .venv-bench

$(VENV_BENCH)/.installed: pyproject.toml constraints/bench.txt benchmarks/requirements.txt
	$(call make_venv,$(VENV_BENCH),constraints/bench.txt,-e . -r benchmarks/requirements.txt)

bench: $(VENV_BENCH)/.installed
	$(VENV_BENCH)/bin/python benchmarks/run.py
