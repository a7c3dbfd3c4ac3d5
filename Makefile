# The README's commands. Each target creates and uses .venv by itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: run test test-unit test-integration test-infra test-e2e bench lint format synth clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m infra.local run

test: $(STAMP)
	$(PY) -m pytest tests/unit tests/integration tests/infra tests/e2e -q

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

test-integration: $(STAMP)
	$(PY) -m pytest tests/integration -q

test-infra: $(STAMP)
	$(PY) -m pytest tests/infra -q

test-e2e: $(STAMP)
	$(PY) -m pytest tests/e2e -q

bench: $(STAMP)
	$(PY) -m tests.bench

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

synth: $(STAMP)
	$(PY) -m infra.app

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
