# dresskit: two commands for a fresh clone with Python 3.11.
#   make run   - create .venv, install, score the published cases, build the example reports,
#                then serve the web application over a demo registry (Ctrl-C stops it)
#   make test  - create .venv, install, run format check, lint, mypy, import contracts, pytest,
#                and build the documentation site with warnings as errors
#   make docs  - build the documentation site alone (site/index.html)
# Both install every extra ([dev,pdf,postgres,docs]); `pip install .` alone needs none of them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := demo/registry.sqlite3
PORT ?= 8000

.PHONY: run test lint typecheck pytest docs lock clean

$(STAMP): pyproject.toml requirements.lock scripts/system-libs.sh scripts/browser.sh
	[ "$$(uname -s)" = Darwin ] || bash scripts/system-libs.sh  # macOS: brew install pango (README)
	[ "$$(uname -s)" = Darwin ] || bash scripts/browser.sh  # Debian's Chromium for the browser tests
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,pdf,postgres,docs]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/dresskit examples
	$(BIN)/dresskit report examples/sim2022 --out reports/sim2022 --compare sim2022_table1
	$(BIN)/dresskit report examples/shen2024 --out reports/shen2024 --index dupilumab
	@echo "Reports: $(CURDIR)/reports/sim2022/report.html and $(CURDIR)/reports/shen2024/report.html (PDF and tables beside them)"
	bash scripts/demo-registry.sh $(BIN)/dresskit $(DEMO_DB)
	$(BIN)/dresskit serve --db $(DEMO_DB) --port $(PORT)

test: lint typecheck pytest docs

lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench examples docs/hooks
	$(BIN)/ruff check src tests bench examples docs/hooks

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest

# The documentation site (mkdocs.yml): docs/ and the docstrings; any warning fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site

# Refresh the pinned versions CI installs (run after changing dependencies in pyproject.toml).
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^dresskit' > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis site
