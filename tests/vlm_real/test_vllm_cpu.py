"""docpipe against the real vLLM engine on CPU: in process through ray.data.llm, and `vllm serve`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from support.vllm_cpu import ROOT, Server

INPUTS = ("single_column.pdf", "scan.png", "corrupt.pdf")  # 2 + 1 pages, and a file with none
PAGES = {("single_column.pdf", 1), ("single_column.pdf", 2), ("scan.png", 1)}
TRAINED_TEXT = "tiny model page\nan answer learned by rote\nnot a reading of the page"


@pytest.fixture(scope="module")
def inputs(sample_dir, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("vlm_real_in")
    for name in INPUTS:
        shutil.copy(sample_dir / name, folder / name)
    return folder


def _run(venv: Path, inputs: Path, out: Path, *options: str, timeout: float = 900) -> subprocess.CompletedProcess:
    command = [str(venv / "bin" / "docpipe"), "run", str(inputs), "--out", str(out), "--num-cpus", "2", "--quiet",
               *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def _pages(out: Path) -> dict:
    rows = duckdb.sql(f"select source, page, engine, status, error, text, lines from "
                      f"read_parquet('{out}/pages/*.parquet')").fetchall()
    pages = {}
    for source, page, engine, status, error, text, lines in rows:
        key = (Path(source).name, page)
        assert key not in pages, f"page {key} written twice"
        pages[key] = {"engine": engine, "status": status, "error": error, "text": text, "lines": lines}
    return pages


def _documents(out: Path) -> dict:
    rows = duckdb.sql(f"select source, status, error_kind from read_parquet('{out}/documents/*.parquet')").fetchall()
    assert len(rows) == len({r[0] for r in rows}) == len(INPUTS)
    return {Path(source).name: (status, kind) for source, status, kind in rows}


def _assert_read_by_the_model(out: Path) -> None:
    assert _documents(out) == {"single_column.pdf": ("ok", None), "scan.png": ("ok", None),
                               "corrupt.pdf": ("error", "corrupt")}
    pages = _pages(out)
    assert set(pages) == PAGES
    for key, page in pages.items():
        assert (page["engine"], page["status"], page["error"]) == ("vlm", "ok", None), key
        assert page["text"] == TRAINED_TEXT
        for line in page["lines"]:
            assert all(0 <= v <= 1 for v in line["bbox"]) and line["bbox"][0] < line["bbox"][2]
            assert 0 < line["confidence"] <= 1  # from the engine's own token log-probabilities


def test_in_process_through_ray_data_llm(vllm_venv, tiny_vlm, inputs, tmp_path):
    out = tmp_path / "out"
    result = _run(vllm_venv, inputs, out, "--engine", "vlm", "--vlm-in-process", "--model", str(tiny_vlm),
                  "--max-model-len", "8192")
    assert result.returncode == 0, result.stderr[-3000:]
    _assert_read_by_the_model(out)


@pytest.mark.parametrize("mode", ["structured_outputs", "response_format"])
def test_the_server_in_both_json_modes(vllm_venv, served_tiny_vlm, tiny_vlm, inputs, tmp_path, mode):
    out = tmp_path / "out"
    result = _run(vllm_venv, inputs, out, "--engine", "vlm", "--vlm-url", served_tiny_vlm.url,
                  "--model", str(tiny_vlm), "--vlm-json-mode", mode)
    assert result.returncode == 0, result.stderr[-3000:]
    _assert_read_by_the_model(out)


def test_the_preflight_refuses_a_model_the_server_does_not_serve_and_a_server_that_is_not_there(
        vllm_venv, served_tiny_vlm, tiny_vlm, inputs, tmp_path):
    refused = _run(vllm_venv, inputs, tmp_path / "a", "--engine", "vlm", "--vlm-url", served_tiny_vlm.url,
                   "--model", "no-such-model")
    assert refused.returncode == 2
    assert f"does not serve 'no-such-model' (it serves: {tiny_vlm})" in refused.stderr
    gone = _run(vllm_venv, inputs, tmp_path / "b", "--engine", "vlm", "--vlm-url", "http://127.0.0.1:9/v1",
                "--model", str(tiny_vlm))
    assert gone.returncode == 2 and "cannot reach the VLM server" in gone.stderr
    assert "Traceback" not in refused.stderr + gone.stderr


def test_answers_cut_off_at_max_tokens_are_retried_then_kept_or_replaced_with_the_reason(
        vllm_venv, served_tiny_vlm, tiny_vlm, inputs, tmp_path):
    out = tmp_path / "out"
    # The trained answer is 106 tokens: 64 cut it off on every try.
    result = _run(vllm_venv, inputs, out, "--engine", "vlm", "--vlm-url", served_tiny_vlm.url,
                  "--model", str(tiny_vlm), "--max-tokens", "64", "--vlm-attempts", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    pages = _pages(out)
    assert set(pages) == PAGES
    for key, page in pages.items():
        assert "max_tokens" in (page["error"] or ""), (key, page["error"])


def test_a_random_model_falls_back_with_the_reason(vllm_venv, tiny_random_vlm, inputs, tmp_path):
    server = Server(tiny_random_vlm, tmp_path / "vllm.log").wait_ready()
    try:
        out = tmp_path / "out"
        result = _run(vllm_venv, inputs, out, "--engine", "vlm", "--vlm-url", server.url,
                      "--model", str(tiny_random_vlm), "--max-tokens", "64", "--vlm-attempts", "2")
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    pages = _pages(out)
    assert set(pages) == PAGES
    for key, page in pages.items():
        # Whitespace or an endless string until max_tokens: no usable page, read by the CPU engines instead.
        assert page["engine"] in ("text", "ocr"), (key, page)
        assert page["error"].startswith("vlm failed, page from "), (key, page["error"])


def test_schema_extraction_writes_one_row_per_file(vllm_venv, served_tiny_vlm, tiny_vlm, inputs, tmp_path):
    out = tmp_path / "out"
    result = _run(vllm_venv, inputs, out, "--engine", "vlm", "--vlm-url", served_tiny_vlm.url,
                  "--model", str(tiny_vlm), "--schema", "schemas/invoice.py:Invoice", "--max-tokens", "256")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = duckdb.sql(f"select source, schema, valid, error from read_parquet('{out}/extractions/*.parquet')"
                      ).fetchall()
    assert sorted(Path(r[0]).name for r in rows) == sorted(INPUTS)
    for source, schema, valid, error in rows:
        assert schema == "Invoice"
        assert valid or error, (source, error)  # valid, or with the reason it is not
        if not source.endswith("corrupt.pdf"):  # the request itself was taken (all page images in one)
            assert "Error code" not in (error or ""), (source, error)
    assert dict((Path(r[0]).name, r[2]) for r in rows)["corrupt.pdf"] is False
