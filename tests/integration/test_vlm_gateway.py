"""`docpipe run --engine vlm` through an OpenAI-compatible gateway docpipe did not write: LiteLLM's proxy.

The gateway (from .venv-gateway, `make gateway`) runs as its own process on
127.0.0.1 with a master key, and routes the served model name to the test
backend (tests/support/vlm_server.py, which reads each page image with Tesseract), as
a gateway in front of `vllm serve` would. So the requests docpipe sends are
accepted, re-serialised and forwarded by LiteLLM, and the answers docpipe
parses are LiteLLM's. The backend records what reached it after the gateway.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from docpipe.evaluate.metrics import cer
from support.raycluster import free_port
from support.scanmaker import scan, text_page
from support.vlm_server import MODEL, FakeVllmServer, page_images, tesseract_answer

ROOT = Path(__file__).resolve().parents[2]
LITELLM = ROOT / ".venv-gateway" / "bin" / "litellm"
KEY = "sk-docpipe-gateway-test"


def _schema(request: dict) -> dict:
    """The JSON schema a request constrains its answer to, in either of docpipe's two modes."""
    if "structured_outputs" in request:
        return request["structured_outputs"]["json"]
    return request["response_format"]["json_schema"]["schema"]


def model(request: dict):
    """Pages: Tesseract's reading of the image. Invoice: the number, from the document text in the prompt."""
    if _schema(request).get("title") != "Invoice":
        return tesseract_answer(request)
    number = re.search(r"Invoice number:\s*(\S+)", request["messages"][1]["content"][-1]["text"])
    return 200, json.dumps({"invoice_number": number.group(1) if number else None, "line_items": []}), "stop"


@contextmanager
def litellm_gateway(backend_url: str, workdir: Path):
    if not LITELLM.exists():
        pytest.fail(f"{LITELLM} is missing: run `make gateway` (`make test` does)")
    port = free_port()
    config = workdir / "litellm.yaml"
    config.write_text(f"model_list:\n  - model_name: {MODEL}\n    litellm_params:\n"
                      f"      model: hosted_vllm/{MODEL}\n      api_base: {backend_url}\n")
    env = dict(os.environ, LITELLM_MASTER_KEY=KEY, LITELLM_LOCAL_MODEL_COST_MAP="True")
    log = open(workdir / "litellm.log", "w")
    process = subprocess.Popen([str(LITELLM), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, (workdir / "litellm.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the gateway did not come up"
            try:
                ask = urllib.request.Request(f"{url}/models", headers={"Authorization": f"Bearer {KEY}"})
                with urllib.request.urlopen(ask, timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(1)
        yield url
    finally:
        process.terminate()
        process.wait(30)
        log.close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    backend = FakeVllmServer(responder=model)
    with litellm_gateway(backend.url, tmp_path_factory.mktemp("gateway")) as url:
        yield url, backend
    backend.close()


@pytest.fixture(scope="module")
def inputs(sample_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gateway_inputs")
    for name in ("single_column.pdf", "scan.pdf", "scan.png"):
        shutil.copy(sample_dir / name, folder / name)
    frames, truths = [], []
    for columns in (1, 2):
        doc, truth = text_page(columns=columns)
        frames.append(scan(doc, dpi=200))
        truths.append(truth)
    frames[0].save(folder / "letters.tiff", save_all=True, append_images=frames[1:], dpi=(200, 200))
    return folder, truths


def _docpipe(*args: str, key: str = KEY) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "docpipe.cli", "run", *args, "--num-cpus", "2", "--quiet"],
                          env=dict(os.environ, DOCPIPE_VLM_API_KEY=key), capture_output=True, text=True, timeout=600)


def _rows(out: Path, table: str) -> list[dict]:
    return ds.dataset(out / table, format="parquet").to_table().to_pylist()


def test_pdf_png_and_tiff_pages_through_the_gateway(gateway, inputs, expected, tmp_path):
    url, backend = gateway
    folder, truths = inputs
    backend.requests.clear()
    schema = ROOT / "schemas" / "invoice.py"
    result = _docpipe(str(folder), "--out", str(tmp_path / "out"), "--engine", "vlm", "--vlm-url", url,
                      "--max-tokens", "3000", "--schema", f"{schema}:Invoice")
    assert result.returncode == 0, result.stderr[-3000:]

    pages = _rows(tmp_path / "out", "pages")
    want_pages = [("letters.tiff", 1), ("letters.tiff", 2)] + [
        (name, i + 1) for name in ("scan.pdf", "scan.png", "single_column.pdf") for i in range(expected[name]["n_pages"])]
    assert sorted((Path(p["source"]).name, p["page"]) for p in pages) == sorted(want_pages)
    for page in pages:
        name = Path(page["source"]).name
        assert (page["engine"], page["status"], page["error"]) == ("vlm", "ok", None), name
        assert page["lines"]
        for line in page["lines"]:
            x0, y0, x1, y1 = line["bbox"]
            assert 0 <= x0 <= x1 <= 1 and 0 <= y0 <= y1 <= 1 and 0 < line["confidence"] <= 1
        want = truths[page["page"] - 1] if name == "letters.tiff" else expected[name]["pages"][page["page"] - 1]["text"]
        assert cer(page["text"], want) <= 0.05, name

    page_requests = [r for r in backend.requests if _schema(r).get("title") != "Invoice"]
    assert len(page_requests) == len(pages)  # what reached the backend, after the gateway
    for request in page_requests:
        assert request["messages"][0] == {"role": "system", "content": "/no_think"}
        assert len(page_images(request)) == 1 and request["max_tokens"] == 3000
        assert _schema(request)["required"] == ["blocks"]

    extractions = {Path(r["source"]).name: r for r in _rows(tmp_path / "out", "extractions")}
    assert set(extractions) == {p.name for p in folder.iterdir()}
    assert all(r["valid"] and isinstance(json.loads(r["data"]), dict) for r in extractions.values())
    assert extractions["scan.png"]["invoice_number"] == "2024-0117"


def test_response_format_mode_through_the_gateway(gateway, inputs, expected, tmp_path):
    url, backend = gateway
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(inputs[0] / "scan.png", folder / "scan.png")
    backend.requests.clear()
    result = _docpipe(str(folder), "--out", str(tmp_path / "out"), "--engine", "vlm", "--vlm-url", url,
                      "--vlm-json-mode", "response_format")
    assert result.returncode == 0, result.stderr[-3000:]
    (request,) = backend.requests
    assert "structured_outputs" not in request
    assert request["response_format"]["type"] == "json_schema"
    (page,) = _rows(tmp_path / "out", "pages")
    assert page["engine"] == "vlm" and cer(page["text"], expected["scan.png"]["pages"][0]["text"]) <= 0.05


def test_a_key_the_gateway_refuses_stops_the_run_before_any_work(gateway, inputs, tmp_path):
    url, backend = gateway
    backend.requests.clear()
    result = _docpipe(str(inputs[0]), "--out", str(tmp_path / "out"), "--engine", "vlm", "--vlm-url", url,
                      key="sk-wrong")
    assert result.returncode == 2
    assert "DOCPIPE_VLM_API_KEY" in result.stderr + result.stdout
    assert backend.requests == [] and not list((tmp_path / "out").glob("*/*.parquet"))
