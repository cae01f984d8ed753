# The two commands the README promises: `make demo` and `make test`.
# Both set up everything first (system packages, a virtualenv, docpipe itself).
PYTHON ?= python3
VENV ?= .venv
GATEWAY_VENV ?= .venv-gateway
BIN := $(VENV)/bin
OUT ?= out/sample_docs

.PHONY: setup system-packages demo test gateway bench-deps clean

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

test: setup gateway
	$(BIN)/python -m pytest -q

# A third-party OpenAI-compatible gateway (LiteLLM) for the VLM tests, in a virtualenv of its own.
gateway: $(GATEWAY_VENV)/.installed

$(GATEWAY_VENV)/.installed: tests/requirements-gateway.txt
	$(PYTHON) -m venv $(GATEWAY_VENV)
	$(GATEWAY_VENV)/bin/pip install --quiet --upgrade pip
	$(GATEWAY_VENV)/bin/pip install --quiet -r tests/requirements-gateway.txt
	@touch $@

bench-deps: setup
	$(BIN)/pip install --quiet -e ".[dev,bench]"

clean:
	rm -rf $(VENV) $(GATEWAY_VENV) out build *.egg-info
