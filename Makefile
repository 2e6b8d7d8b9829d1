# acrhealth (MIT licence). make wheel | make demo | make test
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
VERSION := $(shell sed -n "s/^VERSION = '\(.*\)'/\1/p" azext_acrhealth/version.py)
WHEEL := dist/acrhealth-$(VERSION)-py3-none-any.whl
APT_PACKAGES := docker.io docker-registry notary iproute2 util-linux openssl dnsmasq-base
PYTEST_ARGS ?=

.PHONY: all venv deps wheel demo test unit lint azdev-lint record bench clean

all: wheel

# The project's virtual environment, rebuilt when requirements-dev.txt changes.
$(VENV)/.installed: requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# Debian packages the lab and the end-to-end tests use (installed only when missing).
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

# The wheel is rebuilt only when a file it is made of changed (not on every `make`: the
# virtual environment is a file prerequisite here, `venv` is a phony target).
$(WHEEL): $(VENV)/.installed setup.py README.rst HISTORY.rst $(shell find azext_acrhealth -name '*.py' -o -name '*.json')
	rm -rf build dist *.egg-info
	$(PY) -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .
	rm -rf build *.egg-info

wheel: $(WHEEL)

demo: deps wheel
	tests/lab/demo --wheel $(WHEEL)

# Re-record the data-plane cassettes (tests/recordings) from the lab; never edit them by hand.
# `make record SCENARIOS="a b"` records only those scenarios.
record: deps venv
	tests/lab/run -- env PYTHONPATH=$(CURDIR) $(abspath $(PY)) -m tests.recordings.record $(SCENARIOS)

# The built-in command and ours side by side in the lab (ratios, see bench/compare.py).
bench: deps wheel
	$(PY) -m bench.compare --wheel $(WHEEL)

# pylint and flake8 with the configuration azdev ships for extensions (what `azdev style` runs).
lint: venv
	cfg=$$($(PY) -c 'import azdev.config, os; print(os.path.dirname(azdev.config.__file__))') && \
	  $(PY) -m pylint --rcfile=$$cfg/ext_pylintrc azext_acrhealth && \
	  $(PY) -m flake8 --config=$$cfg/ext.flake8 azext_acrhealth tests bench setup.py

# The azure-cli-extensions CI's own checks, offline: `azdev linter --include-whl-extensions
# acrhealth` (help, examples, parameters) and `azdev style acrhealth` (see .ci/azdev-lint).
# `make test` runs the linter only: `make lint` is what `azdev style` runs.
AZDEV_LINT ?= all
azdev-lint: wheel
	PY=$(abspath $(PY)) WHEEL=$(abspath $(WHEEL)) .ci/azdev-lint $(AZDEV_LINT)

unit: venv
	$(PY) -m pytest tests/unit -q $(PYTEST_ARGS)

# pytest exits 5 when it collected no test: that is a failure here, like any non-zero exit.
test: deps wheel lint
	$(MAKE) --no-print-directory azdev-lint AZDEV_LINT=linter
	ACRHEALTH_WHEEL=$(abspath $(WHEEL)) $(PY) -m pytest tests -q -rs $(PYTEST_ARGS); \
	  rc=$$?; if [ $$rc = 5 ]; then echo "pytest collected no tests: failing"; fi; exit $$rc

clean:
	rm -rf build dist *.egg-info .pytest_cache
