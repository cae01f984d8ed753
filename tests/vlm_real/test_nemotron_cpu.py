"""Nemotron Nano VL's own architecture through the real vLLM engine on CPU, in process and served.

The checkpoint (scripts/make_tiny_nemotron.py) is NemotronH_Nano_VL_V2 with random
weights: vLLM's own Nemotron code runs (its config loaded as remote code, the RADIO
encoder, the Mamba2 and attention layers, and its image processor, which cuts each
page into 512-pixel tiles up to `max_num_tiles` plus a thumbnail, 256 tokens each).
Its answers are noise, so every page falls back to a CPU engine with the reason.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from support.vllm_cpu import ROOT, clean_env
from test_vllm_cpu import INPUTS, PAGES, READ_DOCUMENTS, _documents, _pages, _run, _run_served

TOKENS_PER_TILE = 256


@pytest.fixture(scope="module")
def inputs(sample_dir, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("nemotron_in")
    for name in INPUTS:
        shutil.copy(sample_dir / name, folder / name)
    return folder


def _fell_back_with(out: Path) -> dict:
    """Every document and page once, each page read by a CPU engine; page -> the reason the VLM's was not kept."""
    assert _documents(out) == READ_DOCUMENTS
    pages = _pages(out)
    assert set(pages) == PAGES
    reasons = {}
    for key, page in pages.items():
        assert page["engine"] in ("text", "ocr") and page["status"] == "ok", (key, page)
        assert page["error"].startswith("vlm failed, page from "), (key, page["error"])
        reasons[key] = page["error"]
    return reasons


def test_in_process_the_models_own_tiling_decides_the_prompt_length(vllm_venv, tiny_nemotron, inputs, tmp_path):
    # Twelve tiles a page (docpipe's default) and a thumbnail: over 3,000 image tokens, which a
    # 2,048-token context refuses; two tiles fit, and the random model's answer is then cut off.
    common = ("--engine", "vlm", "--vlm-in-process", "--model", str(tiny_nemotron), "--max-model-len", "2048",
              "--max-tokens", "64", "--vlm-attempts", "1")
    wide = _run(vllm_venv, inputs, tmp_path / "wide", *common)
    assert wide.returncode == 0, wide.stderr[-3000:]
    for key, reason in _fell_back_with(tmp_path / "wide").items():
        length = re.search(r"prompt \(length (\d+)\) is longer than the maximum model length of 2048", reason)
        assert length and int(length.group(1)) > 12 * TOKENS_PER_TILE, (key, reason)

    narrow = _run(vllm_venv, inputs, tmp_path / "narrow", *common, "--max-tiles", "2")
    assert narrow.returncode == 0, narrow.stderr[-3000:]
    for key, reason in _fell_back_with(tmp_path / "narrow").items():
        assert "maximum model length" not in reason, (key, reason)
        assert "max_tokens" in reason, (key, reason)  # the model answered, until its token budget ran out


def test_served_answers_are_retried_then_fall_back_with_the_reason(vllm_venv, tiny_nemotron, inputs, tmp_path):
    out = tmp_path / "out"
    result = _run_served(vllm_venv, tiny_nemotron, inputs, out, "--max-tiles", "2", "--max-tokens", "64",
                         "--vlm-attempts", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    reasons = _fell_back_with(out)
    pages = _pages(out)
    for key, reason in reasons.items():
        assert "max_tokens" in reason, (key, reason)
        assert "-a1-" in pages[key]["part"], pages[key]["part"]  # written by the second pass: asked again


@pytest.mark.parametrize("model", ["tiny_vlm", "tiny_nemotron"])
def test_a_page_prompt_templated_once_is_the_one_ray_datas_stages_make(vllm_venv, model, request):
    # docpipe templates the page chat once per run and sets each page's text into it; Ray Data's
    # multimodal and chat-template stages, which it replaces, template every page in full.
    checkpoint = request.getfixturevalue(model)
    done = subprocess.run([str(vllm_venv / "bin" / "python"), str(ROOT / "tests" / "support" / "ray_chat_stages.py"),
                           str(checkpoint)], capture_output=True, text=True, timeout=600, cwd=ROOT, env=clean_env())
    assert done.returncode == 0, done.stderr[-3000:]
    cases = [json.loads(line[len("case "):]) for line in done.stdout.splitlines() if line.startswith("case ")]
    assert len(cases) == 2
    for case in cases:
        assert case["frame"] == case["ray"] and case["same_image"]
    assert "<image>" in cases[1]["ray"] and "Invoice {{ number }} {% raw %}" in cases[1]["ray"]
