"""`docpipe run --engine vlm --vlm-url ...` through Ray against an OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from docpipe.evaluate.metrics import cer
from support.scanmaker import scan, text_page
from support.vlm_server import FakeVllmServer, page_images, tesseract_answer

ALWAYS_FAILS = "A Normal Portrait Page"  # page 2 of rotated.pdf: every answer unusable -> fallback
FAILS_FIRST = "Quarterly Ledger Summary"  # a loop at temperature 0; a good answer on the retry


class ScriptedModel:
    """Tesseract's reading of the image, after a 429 for each new image, with two scripted failures."""

    def __init__(self):
        self.seen: Counter = Counter()
        self.lock = threading.Lock()

    def __call__(self, request: dict):
        key = hashlib.sha256(page_images(request)[0]).hexdigest()
        with self.lock:
            self.seen[key] += 1
            first = self.seen[key] == 1
        if first:
            return 429, "rate limited", "error"
        status, content, finish = tesseract_answer(request)
        if ALWAYS_FAILS in content:
            return 200, "I am unable to transcribe this page.", "stop"
        if FAILS_FIRST in content and request["temperature"] == 0.0:
            loop = '{"blocks": [{"kind": "table", "bbox": [0, 0, 1000, 1000], "lines": ['
            return 200, loop + '{"text": "1,234", "bbox": [10, 10, 90, 20]}, ' * 200, "length"
        return status, content, finish


@pytest.fixture(scope="module")
def vlm_run(sample_dir, tmp_path_factory):
    inputs = tmp_path_factory.mktemp("vlm_inputs")
    for name in ("single_column.pdf", "ruled_table.pdf", "rotated.pdf", "scan.png", "scan.pdf", "corrupt.pdf"):
        shutil.copy(sample_dir / name, inputs / name)
    truths = []
    frames = []
    for columns in (1, 2):
        doc, truth = text_page(columns=columns)
        frames.append(scan(doc, dpi=200))
        truths.append(truth)
    frames[0].save(inputs / "letters.tiff", save_all=True, append_images=frames[1:], dpi=(200, 200))
    server = FakeVllmServer(responder=ScriptedModel())
    out = tmp_path_factory.mktemp("vlm_out")
    result = subprocess.run(
        [sys.executable, "-m", "docpipe.cli", "run", str(inputs), "--out", str(out), "--engine", "vlm",
         "--vlm-url", server.url, "--num-cpus", "2", "--quiet", "--max-tokens", "3000"],
        capture_output=True, text=True, timeout=600,
    )
    server.close()
    assert result.returncode == 0, result.stderr[-3000:]
    yield out, server.requests, truths


def _rows(out: Path, table: str) -> list[dict]:
    return ds.dataset(out / table, format="parquet").to_table().to_pylist()


def test_every_request_carries_image_schema_no_think_and_max_tokens(vlm_run):
    _, requests, _ = vlm_run
    assert requests
    for request in requests:
        assert request["messages"][0] == {"role": "system", "content": "/no_think"}
        assert len(page_images(request)) == 1 and request["max_tokens"] == 3000
        schema = request["structured_outputs"]["json"]
        assert schema["required"] == ["blocks"] and "VlmLine" in schema["$defs"]


def test_every_page_is_vlm_with_valid_boxes_except_the_fallback(vlm_run, expected):
    out, _, truths = vlm_run
    pages = _rows(out, "pages")
    keys = [(Path(p["source"]).name, p["page"]) for p in pages]
    assert len(keys) == len(set(keys)) == 2 + 1 + 2 + 1 + 1 + 2  # corrupt.pdf has no pages
    for page in pages:
        name = Path(page["source"]).name
        assert page["status"] == "ok"
        for line in page["lines"]:
            x0, y0, x1, y1 = line["bbox"]
            assert 0 <= x0 <= x1 <= 1 and 0 <= y0 <= y1 <= 1 and 0 < line["confidence"] <= 1
        if page["text"].startswith(ALWAYS_FAILS):
            assert page["engine"] == "text" and "vlm failed" in page["error"] and "not JSON" in page["error"]
            continue
        assert page["engine"] == "vlm", (name, page["error"])
        assert page["error"] is None
        want = truths[page["page"] - 1] if name == "letters.tiff" else expected[name]["pages"][page["page"] - 1]["text"]
        assert cer(page["text"], want) <= 0.05, (name, page["page"])


def test_retried_page_and_documents(vlm_run):
    out, requests, _ = vlm_run
    docs = {Path(r["source"]).name: r for r in _rows(out, "documents")}
    assert len(docs) == 7 and docs["corrupt.pdf"]["status"] == "error"
    assert all(d["status"] == "ok" for name, d in docs.items() if name != "corrupt.pdf")
    assert docs["letters.tiff"]["engines"] == ["vlm"] and docs["rotated.pdf"]["engines"] == ["text", "vlm"]
    hotter = [r for r in requests if r["temperature"] > 0]
    assert hotter, "failed pages must be asked again at a higher temperature"
    assert json.dumps(hotter[0]["messages"][0]) == json.dumps({"role": "system", "content": "/no_think"})


def invoice_model(request: dict):
    """Fills Invoice from the document text in the prompt, as a model reading it would; pages as usual."""
    import re

    schema = request.get("structured_outputs", {}).get("json", {})
    if schema.get("title") != "Invoice":
        return tesseract_answer(request)
    prompt = request["messages"][1]["content"][-1]["text"]
    number = re.search(r"Invoice number:\s*(\S+)", prompt)
    return 200, json.dumps({"invoice_number": number.group(1) if number else None, "line_items": []}), "stop"


def test_schema_extraction_writes_one_valid_row_per_document(sample_dir, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("scan.png", "single_column.pdf", "corrupt.pdf"):
        shutil.copy(sample_dir / name, inputs / name)
    shutil.copy(sample_dir / "scan.png", inputs / "same_bytes.png")
    schema = Path(__file__).resolve().parents[2] / "schemas" / "invoice.py"

    def run() -> FakeVllmServer:
        server = FakeVllmServer(responder=invoice_model)
        result = subprocess.run(
            [sys.executable, "-m", "docpipe.cli", "run", str(inputs), "--out", str(tmp_path / "out"),
             "--vlm-url", server.url, "--schema", f"{schema}:Invoice", "--num-cpus", "2", "--quiet"],
            capture_output=True, text=True, timeout=600,
        )
        server.close()
        assert result.returncode == 0, result.stderr[-3000:]
        return server

    server = run()
    rows = {Path(r["source"]).name: r for r in _rows(tmp_path / "out", "extractions")}
    assert set(rows) == {"scan.png", "same_bytes.png", "single_column.pdf", "corrupt.pdf"}
    for name in ("scan.png", "same_bytes.png", "single_column.pdf"):
        assert rows[name]["valid"] and rows[name]["schema"] == "Invoice", rows[name]["error"]
        assert isinstance(json.loads(rows[name]["data"]), dict)
    assert rows["scan.png"]["invoice_number"] == rows["same_bytes.png"]["invoice_number"] == "2024-0117"
    assert rows["corrupt.pdf"]["valid"] is False and "corrupt" in rows["corrupt.pdf"]["error"]
    schema_requests = [r for r in server.requests if r["structured_outputs"]["json"].get("title") == "Invoice"]
    assert len(schema_requests) == 2  # identical bytes are extracted once
    pages = {Path(r["source"]).name: r for r in _rows(tmp_path / "out", "pages")}
    # Identical bytes: one set of pages, under the first path in sorted order.
    assert "scan.png" not in pages
    assert pages["same_bytes.png"]["engine"] == "vlm" and pages["single_column.pdf"]["engine"] == "text"

    # A run killed after its documents were committed but before its extractions were written:
    # the re-run extracts every document again from its committed pages, and nothing else.
    shutil.rmtree(tmp_path / "out" / "extractions")
    again = run()
    assert {Path(r["source"]).name for r in _rows(tmp_path / "out", "extractions")} == set(rows)
    assert len(again.requests) == 2 and all(r["structured_outputs"]["json"]["title"] == "Invoice"
                                            for r in again.requests)
    assert len(_rows(tmp_path / "out", "documents")) == 4
