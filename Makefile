# careshift — two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[forecast,test,distributed,bench,browser]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

demo: $(STAMP)
	CARESHIFT_ENVIRONMENT=development $(VENV)/bin/careshift demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

test: lint typecheck
	$(PY) -m pytest -q

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit tests/property

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
