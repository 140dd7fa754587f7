# Everyday commands. Each target installs what it needs into .venv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every interpreter pyenv provides, so that tox finds python3.8 ... python3.13.
PYENV_BINS := $(wildcard $(HOME)/.pyenv/versions/3.*/bin)
TOX_PATH := $(subst $(eval) ,:,$(PYENV_BINS)):$(PATH)
export PYTHONASYNCIODEBUG := 1

.PHONY: test coverage lint types tox ci demo clean

$(BIN)/.installed: requirements/test.txt requirements/dev.txt setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements/dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check -e .
	touch $@

test: $(BIN)/.installed
	$(BIN)/python -m coverage erase
	$(BIN)/python -m coverage run -m pytest
	$(BIN)/python -m coverage report

coverage: test

lint: $(BIN)/.installed
	$(BIN)/ruff format --check websockets tests example bench setup.py
	$(BIN)/ruff check websockets tests example bench setup.py

types: $(BIN)/.installed
	$(BIN)/mypy websockets

tox: $(BIN)/.installed
	PATH="$(TOX_PATH)" $(BIN)/tox $(TOXARGS)

demo: $(BIN)/.installed
	$(BIN)/python example/demo.py

clean:
	rm -rf $(VENV) .tox .coverage .mypy_cache .ruff_cache build *.egg-info
