# The README's commands. Each target creates and uses .venv by itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: checkov run test test-unit test-integration test-infra test-e2e bench bench-quick lint format synth clean browser

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m infra.local run

# The e2e tier drives the public page in Debian's chromium (headless) through chromedriver; a fresh
# machine gets both here, so the browser test always runs and is never skipped.
# A Chinese font too (fonts-wqy-microhei), or the page's screenshot shows boxes instead of characters.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 \
		&& [ -n "$$(fc-list :lang=zh 2>/dev/null)" ]; then :; else \
		echo "installing chromium, chromium-driver and a Chinese font (Debian packages) for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium chromium-driver fonts-wqy-microhei; \
	fi
	@# axe-core (accessibility checks in the browser tests, tests/e2e/axe.py), pinned in package-lock.json
	@test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund

# All four tiers, two pytest processes side by side (tests/run.py), one per core.
test: $(STAMP) browser
	$(PY) -m tests.run

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

test-integration: $(STAMP)
	$(PY) -m pytest tests/integration -q

test-infra: $(STAMP)
	$(PY) -m pytest tests/infra -q

test-e2e: $(STAMP) browser
	$(PY) -m pytest tests/e2e -q

bench: $(STAMP)
	$(PY) -m tests.bench

# The quick benchmarks at their small sizes: a few minutes, even on a busy machine.
bench-quick: $(STAMP)
	BENCH=quick $(PY) -m tests.bench

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# checkov's pins conflict with the project's: it lives in its own environment, made here on first use.
CHECKOV := .build/checkov/bin/checkov
$(CHECKOV):
	$(PYTHON) -m venv .build/checkov
	.build/checkov/bin/pip install --quiet 'checkov==3.3.30'

# checkov and cfn-lint on both partitions' templates: counts per template, and any finding not
# accepted with its reason in infra/accepted_findings.json fails (also run by tests/infra/test_checks.py).
checkov: $(STAMP) $(CHECKOV)
	$(PY) -m infra.findings

synth: $(STAMP)  # offline, into cdk.out/: every province, or PROVINCE=ningxia
	$(PY) -m infra.app $(PROVINCE)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis .build
