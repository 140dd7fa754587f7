# Everyday commands. Each target installs what it needs into .venv on first use,
# so a fresh clone needs only python3, git and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install -q --disable-pip-version-check

# Lint what exists: git doesn't keep empty directories such as example/.
LINT_PATHS := $(wildcard websockets tests example bench setup.py)

# Every interpreter pyenv provides, ahead of PATH, so that tox finds
# python3.8 ... python3.13 without pyenv shims. Without pyenv, PATH is unchanged.
empty :=
space := $(empty) $(empty)
PYENV_BINS := $(wildcard $(HOME)/.pyenv/versions/3.*/bin)
TOX_PATH := $(if $(PYENV_BINS),$(subst $(space),:,$(PYENV_BINS)):)$(PATH)
TOXARGS ?=

export PYTHONASYNCIODEBUG := 1

.PHONY: test coverage lint types tox ci demo clean

$(BIN)/.installed: requirements/test.txt requirements/dev.txt setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -r requirements/dev.txt
	$(PIP) -e .
	touch $@

# Branch coverage; the floor (fail_under in pyproject.toml) only ever rises.
test: $(BIN)/.installed
	$(BIN)/python -m coverage erase
	$(BIN)/python -m coverage run -m pytest
	$(BIN)/python -m coverage report

coverage: test

lint: $(BIN)/.installed
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/ruff check $(LINT_PATHS)

types: $(BIN)/.installed
	$(BIN)/mypy --strict websockets

# make tox TOXARGS="-e py38,py313"
tox: $(BIN)/.installed
	PATH="$(TOX_PATH)" $(BIN)/tox $(TOXARGS)

ci:
	.ci/run

demo: $(BIN)/.installed
	$(BIN)/python example/demo.py

clean:
	rm -rf $(VENV) .tox .coverage .mypy_cache .ruff_cache .hypothesis build *.egg-info
