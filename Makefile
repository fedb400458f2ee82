# dresskit: two commands for a fresh clone with Python 3.11.
#   make run   - create .venv, install, score the published cases, build the example reports
#   make test  - create .venv, install, run format check, lint, mypy, import contracts, pytest
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest lock clean

$(STAMP): pyproject.toml requirements.lock scripts/system-libs.sh
	bash scripts/system-libs.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/dresskit examples
	$(BIN)/dresskit report examples/sim2022 --out reports/sim2022 --compare sim2022_table1
	$(BIN)/dresskit report examples/shen2024 --out reports/shen2024 --index dupilumab
	@echo "Reports: $(CURDIR)/reports/sim2022/report.html and $(CURDIR)/reports/shen2024/report.html (PDF and tables beside them)"

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/ruff check src tests bench examples

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest

# Refresh the pinned versions CI installs (run after changing dependencies in pyproject.toml).
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^dresskit' > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
