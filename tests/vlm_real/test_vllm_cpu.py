"""docpipe against the real vLLM engine on CPU: in process through ray.data.llm, and `vllm serve`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pymupdf
import pytest

from support.vllm_cpu import ROOT, Server, clean_env

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
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=clean_env())


@pytest.fixture(scope="module")
def inputs_with_a_dense_page(inputs, tmp_path_factory) -> Path:
    """The inputs and a PDF whose first page has 60 lines: with --vlm-hints its prompt is 2,000 tokens."""
    folder = tmp_path_factory.mktemp("vlm_real_dense")
    for path in inputs.iterdir():
        shutil.copy(path, folder / path.name)
    with pymupdf.open() as doc:
        page = doc.new_page()
        for i in range(60):
            page.insert_text((40, 40 + 12 * i), f"Line {i} of a dense page with many words on it", fontsize=9)
        doc.new_page().insert_text((40, 60), "A short page", fontsize=14)
        doc.save(folder / "dense.pdf")
    return folder


def _run_served(venv: Path, checkpoint: Path, inputs: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    """docpipe against a `vllm serve` of `checkpoint` of its own, stopped after the run."""
    server = Server(checkpoint, out.with_name("vllm.log")).wait_ready()
    try:
        return _run(venv, inputs, out, "--engine", "vlm", "--vlm-url", server.url, "--model", str(checkpoint),
                    *options)
    finally:
        server.stop()


def _pages(out: Path) -> dict:
    """(file name, page) -> the page's columns, and `part`: the name of the file that holds it."""
    rows = duckdb.sql(f"select source, page, engine, status, error, text, lines, filename from "
                      f"read_parquet('{out}/pages/*.parquet', filename = true)").fetchall()
    pages = {}
    for source, page, engine, status, error, text, lines, filename in rows:
        key = (Path(source).name, page)
        assert key not in pages, f"page {key} written twice"
        pages[key] = {"engine": engine, "status": status, "error": error, "text": text, "lines": lines,
                      "part": Path(filename).name}
    return pages


def _documents(out: Path) -> dict:
    rows = duckdb.sql(f"select source, status, error_kind from read_parquet('{out}/documents/*.parquet')").fetchall()
    assert len(rows) == len({r[0] for r in rows})
    return {Path(source).name: (status, kind) for source, status, kind in rows}


READ_DOCUMENTS = {"single_column.pdf": ("ok", None), "scan.png": ("ok", None), "corrupt.pdf": ("error", "corrupt")}


def _assert_read_by_the_model(out: Path, documents: dict = READ_DOCUMENTS, expected: set = PAGES,
                              not_by_the_model: frozenset = frozenset()) -> None:
    """Every document and page once; every page but `not_by_the_model` is the trained answer."""
    assert _documents(out) == documents
    pages = _pages(out)
    assert set(pages) == expected
    for key, page in pages.items():
        if key in not_by_the_model:
            continue
        assert (page["engine"], page["status"]) == ("vlm", "ok"), key
        # A box the tiny model puts a little out of order is fixed and said so; nothing else may be wrong.
        assert page["error"] is None or page["error"].startswith("vlm answer repaired: box"), (key, page["error"])
        assert page["text"] == TRAINED_TEXT
        for line in page["lines"]:
            assert all(0 <= v <= 1 for v in line["bbox"]) and line["bbox"][0] < line["bbox"][2]
            assert 0 < line["confidence"] <= 1  # from the engine's own token log-probabilities


def test_in_process_through_ray_data_llm(vllm_venv, tiny_vlm, inputs_with_a_dense_page, tmp_path):
    out = tmp_path / "out"
    result = _run(vllm_venv, inputs_with_a_dense_page, out, "--engine", "vlm", "--vlm-in-process",
                  "--model", str(tiny_vlm), "--vlm-hints", "--max-model-len", "1024")
    assert result.returncode == 0, result.stderr[-3000:]
    # The engine refuses the dense page's request (longer than the model's context): that page alone
    # falls back to its text layer, with vLLM's reason, on the first pass (the same request would be
    # refused again); every other page is the model's.
    dense = _pages(out).pop(("dense.pdf", 1))
    assert (dense["engine"], dense["status"]) == ("text", "ok")
    assert dense["error"].startswith("vlm failed, page from text: VLLMValidationError: "), dense["error"]
    assert "maximum context length is 1024 tokens" in dense["error"] and "-a0-" in dense["part"]
    assert dense["text"].startswith("Line 0 of a dense page")
    _assert_read_by_the_model(out, dict(READ_DOCUMENTS, **{"dense.pdf": ("ok", None)}),
                              PAGES | {("dense.pdf", 1), ("dense.pdf", 2)}, not_by_the_model={("dense.pdf", 1)})


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
    out = tmp_path / "out"
    result = _run_served(vllm_venv, tiny_random_vlm, inputs, out, "--max-tokens", "64", "--vlm-attempts", "2")
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


def test_malformed_json_is_retried_then_replaced_with_the_reason(vllm_venv, tiny_python_vlm, inputs, tmp_path):
    # A server that constrains nothing (--vlm-json-mode none: the schema is only asked for in the
    # prompt), and a model that answers with a Python dict: no parser or repair makes that JSON.
    out = tmp_path / "out"
    result = _run_served(vllm_venv, tiny_python_vlm, inputs, out, "--vlm-json-mode", "none", "--vlm-attempts", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert _documents(out) == READ_DOCUMENTS
    pages = _pages(out)
    assert set(pages) == PAGES
    for key, page in pages.items():
        assert page["engine"] in ("text", "ocr") and page["status"] == "ok", (key, page)
        assert page["error"].startswith("vlm failed, page from "), (key, page["error"])
        assert "answer is not JSON" in page["error"] and "{'blocks'" in page["error"], page["error"]
        assert "-a1-" in page["part"], page["part"]  # written by the second pass: it was asked again


def test_a_model_that_is_not_there_stops_the_run_with_one_message(vllm_venv, inputs, tmp_path):
    result = _run(vllm_venv, inputs, tmp_path / "out", "--engine", "vlm", "--vlm-in-process",
                  "--model", str(tmp_path / "no-such-model"), timeout=300)
    assert result.returncode == 2
    assert f"could not read the model at {tmp_path / 'no-such-model'}" in result.stderr
    assert "Check --model" in result.stderr and "Traceback" not in result.stderr
