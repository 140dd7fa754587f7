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

# `pip install -e .` also builds the optional C extension websockets/speedups.c
# in place (websockets/speedups.*.so), so a change to it reinstalls.
$(BIN)/.installed: requirements/test.txt requirements/dev.txt setup.py websockets/speedups.c
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

# The demo needs nothing but python3: the library has no dependencies.
# make demo DEMOARGS="--port 8001"
DEMOARGS ?=
demo:
	PYTHONASYNCIODEBUG= PYTHONPATH="$(CURDIR)" $(PYTHON) example/demo.py $(DEMOARGS)

# Headless Chromium for tests/test_demo_browser.py, installed when it's missing
# and we're root. If that can't be done, the test is skipped: the build goes on.
.PHONY: browser
test: browser
browser:
	@if [ -x /usr/bin/chromium ]; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
		echo "Installing chromium for the browser test."; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install \
			-y -qq --no-install-recommends chromium; } > /dev/null 2>&1 \
		|| echo "warning: cannot install chromium; the browser test will be skipped"; \
	else \
		echo "chromium isn't installed: the browser test will be skipped"; \
	fi

# Peers of tests/test_interop.py, each installed once (stamp files). None of
# them fails the build: the tests of a peer that can't be installed are
# skipped. aiohttp and wsproto go into .venv; the websockets release from PyPI,
# which has our import name, into its own $(PYPI_VENV); node ws into
# tests/interop/node_modules, from tests/interop/package-lock.json.
PYPI_VENV := .venv-websockets-pypi
INTEROP_PIP := --retries 1 --timeout 20
.PHONY: interop
test: interop
interop: $(BIN)/.interop-installed $(PYPI_VENV)/.installed tests/interop/node_modules/.installed

$(BIN)/.interop-installed: requirements/interop.txt $(BIN)/.installed
	@$(PIP) $(INTEROP_PIP) -r requirements/interop.txt && touch $@ \
		|| echo "warning: cannot install aiohttp and wsproto: their interop tests will be skipped"

$(PYPI_VENV)/.installed: tests/interop/websockets-pypi.txt
	@{ test -x $(PYPI_VENV)/bin/python || $(PYTHON) -m venv $(PYPI_VENV); } \
		&& $(PYPI_VENV)/bin/python -m pip install -q --disable-pip-version-check \
			$(INTEROP_PIP) -r tests/interop/websockets-pypi.txt \
		&& touch $@ \
		|| echo "warning: cannot install websockets from PyPI: its interop tests will be skipped"

tests/interop/node_modules/.installed: tests/interop/package.json tests/interop/package-lock.json
	@if command -v npm > /dev/null; then \
		(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error > /dev/null) \
		&& touch $@ \
		|| echo "warning: cannot install node ws: its interop tests will be skipped"; \
	else \
		echo "npm isn't installed: the node ws interop tests will be skipped"; \
	fi

# Documentation: HTML in docs/_build/html, then the doctests. Warnings are
# errors and every cross-reference must resolve (-n). -E reads every source
# again: Sphinx doesn't notice when a docstring changes, and doesn't repeat
# the warnings of files it doesn't read. Sphinx needs Python 3.11+.
.PHONY: docs
$(BIN)/.docs-installed: requirements/docs.txt $(BIN)/.installed
	$(PIP) -r requirements/docs.txt
	touch $@

docs: $(BIN)/.docs-installed
	$(BIN)/sphinx-build -E -W --keep-going -n -q -b html -d docs/_build/doctrees docs docs/_build/html
	$(BIN)/sphinx-build -W --keep-going -n -q -b doctest -d docs/_build/doctrees docs docs/_build/doctest

# Benchmarks against websockets and aiohttp from PyPI, which bench/run.py
# installs into bench/.venv-others (never into .venv: websockets is our name).
# Results in bench/results/; see bench/README.md. Nothing in `make test` times.
# make bench ARGS="--only echo_16 --uvloop"
ARGS ?=
.PHONY: bench bench-quick bench-profile
bench: $(BIN)/.installed
	PYTHONASYNCIODEBUG= $(BIN)/python bench/run.py $(ARGS)

bench-quick: $(BIN)/.installed
	PYTHONASYNCIODEBUG= $(BIN)/python bench/run.py --quick $(ARGS)

# cProfile of our server and client (default: echo_16_off handshake_off);
# make bench-profile ARGS="--only stream_16_off idle_1000_off"
bench-profile: $(BIN)/.installed
	PYTHONASYNCIODEBUG= $(BIN)/python bench/run.py --profile $(ARGS)

# Autobahn|Testsuite both ways: its fuzzing client against
# compliance/test_server.py, compliance/test_client.py against its fuzzing
# server, on 127.0.0.1 only. `make compliance` runs every case (about 40 min),
# `make compliance-quick` a representative subset (about 2 min); each prints
# a summary and fails on a FAILED or UNIMPLEMENTED case. See
# docs/compliance.rst. wstest needs Python 2.7 (PYTHON27, by default pyenv's):
# virtualenv<20.22, the last that creates 2.7 environments, goes into
# compliance/.venv-bootstrap, then wstest into compliance/.venv27.
# make compliance ARGS="--side server"
PYTHON27 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/2.7.*/bin/python) python2.7)
VENV27 := compliance/.venv27
.PHONY: compliance compliance-quick
$(VENV27)/.installed: compliance/requirements.txt
	test -x $(VENV27)/bin/python || { \
		$(PYTHON27) -m pip install -q --disable-pip-version-check \
			--target compliance/.venv-bootstrap 'virtualenv<20.22' \
		&& PYTHONPATH=compliance/.venv-bootstrap $(PYTHON27) -m virtualenv -q $(VENV27); }
	$(VENV27)/bin/python -m pip install -q --disable-pip-version-check \
		-r compliance/requirements.txt
	touch $@

compliance: $(VENV27)/.installed
	PYTHONASYNCIODEBUG= $(PYTHON) compliance/run.py $(ARGS)

compliance-quick: $(VENV27)/.installed
	PYTHONASYNCIODEBUG= $(PYTHON) compliance/run.py --quick $(ARGS)

# websockets 8.1's own test suite against this checkout, when the harness is
# beside the checkout (../shared/tools/upstream-suite): see .ci/upstream-8x
# and docs/migrating.rst. Without it, there's nothing to do.
.PHONY: upstream-8x
upstream-8x: $(BIN)/.installed
	.ci/upstream-8x

clean:
	rm -rf $(VENV) .tox .coverage .mypy_cache .ruff_cache .hypothesis build *.egg-info
	rm -f websockets/*.so
