# The two commands the README promises: `make demo` and `make test`.
# Both set up everything first (system packages, a virtualenv, docpipe itself).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out/sample_docs

.PHONY: setup system-packages demo test bench-deps clean

setup: $(VENV)/.installed

system-packages:
	@./scripts/install-system-packages.sh

$(VENV)/.installed: pyproject.toml scripts/install-system-packages.sh
	@./scripts/install-system-packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

demo: setup
	$(BIN)/docpipe run sample_docs --out $(OUT)

test: setup
	$(BIN)/python -m pytest -q

bench-deps: setup
	$(BIN)/pip install --quiet -e ".[dev,bench]"

clean:
	rm -rf $(VENV) out build *.egg-info
