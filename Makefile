# Set-up and checks. Needs only Python 3.11+, git and make: every environment is made here, with uv
# (installed from PyPI into .venv-tools), which makes and fills a virtualenv in seconds.
PYTHON ?= python3
TOOLS := .venv-tools
UV := $(TOOLS)/bin/uv
VENV := .venv
VENV_BENCH := .venv-bench
VENV_DOCS := .venv-docs
UV_FLAGS := --quiet
# (a variable: a comma inside $(call ...) would split the argument)
DEV_INSTALL := -e ".[test,lint,topology,s3]"

.PHONY: help demo docs test lint test-dev test-dist test-matrix test-s3 test-system test-topology dist emulator lock clean bench screenshots

help:
	@echo "make demo   - run a notebook through Airflow against the local Datalore emulator"
	@echo "make test   - lint, build the package, run the tests on every supported Airflow line and Python"
	@echo "              (scripts/matrix.py --list), on the lowest dependencies, on a real deployment, and on"
	@echo "              the production topology (Postgres, Celery workers, two triggerers: tests/topology)"
	@echo "make docs   - build the documentation site (MkDocs, strict) into site/; open site/index.html"
	@echo "make bench  - import cost and triggerer scale vs the dbt Cloud provider (docs/benchmarks.md)"

$(TOOLS)/.installed: constraints/tools.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required; set PYTHON=python3.11")'
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check -r constraints/tools.txt
	touch $@

# $(1) the environment, $(2) its constraints file, $(3) what to install
define make_venv
	$(UV) venv $(UV_FLAGS) --clear --python $(PYTHON) $(1)
	VIRTUAL_ENV=$(1) $(UV) pip install $(UV_FLAGS) -c $(2) $(3)
	touch $(1)/.installed
endef

# The development environment (Airflow 3.3, editable): the demo, lint, the system and topology suites.
$(VENV)/.installed: $(TOOLS)/.installed pyproject.toml constraints/airflow-3.3.txt
	$(call make_venv,$(VENV),constraints/airflow-3.3.txt,$(DEV_INSTALL))

demo: $(VENV)/.installed
	$(VENV)/bin/python scripts/demo.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint docs test-dist test-matrix test-s3 test-system test-topology

# The sdist and the wheel that would be published, checked as a package index would (twine).
dist: $(TOOLS)/.installed
	rm -rf dist
	$(UV) build $(UV_FLAGS) --build-constraint constraints/build.txt --out-dir dist
	$(TOOLS)/bin/twine check --strict dist/*

# What dist/ holds, against the source tree (tests/test_distributions.py): the matrix runs these tests
# in a copy without the package, so only here are the shipped files compared with the source.
test-dist: $(VENV)/.installed dist
	DATALORE_DIST_DIR=$(CURDIR)/dist $(VENV)/bin/python -m pytest -q tests/test_distributions.py

# Every supported Airflow line and Python, and the lowest direct dependencies, each in its own
# environment with the wheel from dist/ installed: `python3 scripts/matrix.py --list` names them,
# `python3 scripts/matrix.py NAME` runs one. The packaging tests read dist/ (DATALORE_DIST_DIR).
test-matrix: $(TOOLS)/.installed dist
	DATALORE_DIST_DIR=$(CURDIR)/dist UV=$(UV) $(PYTHON) scripts/matrix.py

# The quick loop while developing: the editable install on Airflow 3.3.
test-dev: $(VENV)/.installed
	$(VENV)/bin/python -m pytest

# The transfers with S3 on Airflow's side (tests/s3): moto's server on loopback, the AWS provider's
# connection; in the development environment only, which has the s3 extra (the matrix lines skip them).
test-s3: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -q tests/s3

# A real Airflow 3.3 (api-server, scheduler, dag-processor, triggerer) on loopback, with the emulator.
test-system: $(VENV)/.installed
	DATALORE_SYSTEM_TESTS=1 $(VENV)/bin/python -m pytest tests/system -m system

# Airflow as production runs it (Airflow 3.3): Postgres and Redis (Debian's servers, installed with apt-get
# when missing and run as root), CeleryExecutor with two workers, two triggerers; tests/topology says what.
test-topology: $(VENV)/.installed
	DATALORE_TOPOLOGY_TESTS=1 $(VENV)/bin/python -m pytest tests/topology -m topology -rP

# README screenshots from the real UI with Debian's chromium: tests/system/test_screenshots.py rewrites
# docs/images on the system suite's deployment (skipped by `make test`, which does not set DATALORE_SCREENSHOTS).
screenshots: $(VENV)/.installed
	DATALORE_SYSTEM_TESTS=1 DATALORE_SCREENSHOTS=1 $(VENV)/bin/python -m pytest tests/system -m screenshots

emulator: $(VENV)/.installed
	$(VENV)/bin/python -m airflow_provider_datalore.emulator --port 8765

# Re-pin every test environment (constraints/airflow-X.Y.txt, constraints/lowest-direct.txt): each Airflow
# line with the dependencies of its release date (scripts/lock.py says why).
lock: $(TOOLS)/.installed
	UV=$(UV) $(PYTHON) scripts/lock.py

clean:
	rm -rf $(VENV) .venvs $(TOOLS) $(VENV_BENCH) $(VENV_DOCS) site .venv-airflow2 build dist *.egg-info

# Benchmarks against the dbt Cloud provider (docs/benchmarks.md), in their own environment: the dbt Cloud
# provider is installed there only, never a dependency. Re-pin it with:
#   $(UV) pip freeze --python $(VENV_BENCH)/bin/python --exclude-editable > constraints/bench.txt
$(VENV_BENCH)/.installed: $(TOOLS)/.installed pyproject.toml constraints/bench.txt benchmarks/requirements.txt
	$(call make_venv,$(VENV_BENCH),constraints/bench.txt,-e . -r benchmarks/requirements.txt)

bench: $(VENV_BENCH)/.installed
	$(VENV_BENCH)/bin/python benchmarks/run.py

# The documentation site (mkdocs.yml), in its own environment: MkDocs with Material, and mkdocstrings,
# which reads the docstrings statically (neither Airflow nor the package is installed there). Strict: a
# broken link, a page missing from the nav or an object mkdocstrings cannot find fails the build. Re-pin:
#   $(UV) pip freeze --python $(VENV_DOCS)/bin/python > constraints/docs.txt (keep its header)
$(VENV_DOCS)/.installed: $(TOOLS)/.installed constraints/docs.txt
	$(call make_venv,$(VENV_DOCS),constraints/docs.txt,-r constraints/docs.txt)

docs: $(VENV_DOCS)/.installed
	NO_MKDOCS_2_WARNING=1 $(VENV_DOCS)/bin/mkdocs build --strict --quiet
