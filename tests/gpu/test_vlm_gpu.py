"""The VLM engine for real: vLLM in process with the real model, on the same documents as the CPU tests.

Runs where CUDA, vllm and the weights are present; elsewhere every test is
skipped with the reason shown (`pytest -rs`). Point DOCPIPE_VLM_MODEL at a
local checkpoint directory to run without the Hugging Face hub.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from docpipe.config import DEFAULT_VLM_MODEL, RunConfig, VlmConfig
from docpipe.evaluate.metrics import cer

MODEL = os.environ.get("DOCPIPE_VLM_MODEL", DEFAULT_VLM_MODEL)


def _gpu_stack_missing() -> str | None:
    if importlib.util.find_spec("vllm") is None:
        return "vllm is not installed (pip install 'docpipe[vllm]')"
    import torch

    if not torch.cuda.is_available():
        return "no CUDA device"
    if Path(MODEL).is_dir():
        return None
    try:
        from huggingface_hub import snapshot_download

        snapshot_download(MODEL, local_files_only=True)
    except Exception:
        return f"weights for {MODEL} are not in the local Hugging Face cache (or set DOCPIPE_VLM_MODEL)"
    return None


pytestmark = pytest.mark.skipif(bool(_gpu_stack_missing()), reason=_gpu_stack_missing() or "")


@pytest.fixture(scope="module")
def gpu_run(sample_dir, tmp_path_factory):
    import ray

    from docpipe.runner.pipeline import run

    inputs = tmp_path_factory.mktemp("gpu_in")
    for name in ("single_column.pdf", "two_column.pdf", "ruled_table.pdf", "scan.png", "scan.pdf"):
        shutil.copy(sample_dir / name, inputs / name)
    out = tmp_path_factory.mktemp("gpu_out")
    ray.init(include_dashboard=False, log_to_driver=False)
    try:
        run(RunConfig(input=str(inputs), out=str(out), engine="vlm", progress=False,
                      vlm=VlmConfig(model=MODEL, max_model_len=16384)))
    finally:
        ray.shutdown()
    return out


def test_real_model_reads_every_page_close_to_the_truth(gpu_run, expected):
    pages = ds.dataset(gpu_run / "pages", format="parquet").to_table().to_pylist()
    assert pages
    for page in pages:
        name = Path(page["source"]).name
        assert page["engine"] == "vlm", (name, page["error"])
        want = expected[name]["pages"][page["page"] - 1]["text"]
        assert cer(page["text"], want) <= 0.05, (name, page["page"], page["text"][:200])
        for line in page["lines"]:
            assert all(0 <= v <= 1 for v in line["bbox"]) and 0 < line["confidence"] <= 1
