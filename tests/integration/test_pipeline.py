"""The whole pipeline on a real local Ray: sample documents, malformed files, the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

from docpipe.config import RunConfig
from docpipe.evaluate.metrics import cer
from docpipe.runner.pipeline import run


@pytest.fixture(scope="module")
def sample_run(ray_local, sample_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    summary = run(RunConfig(input=str(sample_dir), out=str(out), progress=False, pages_per_unit=1,
                            save_images=True))
    return summary, out


def _rows(out: Path, table: str) -> list[dict]:
    return ds.dataset(out / table, format="parquet").to_table().to_pylist()


def test_one_documents_row_per_file(sample_run, sample_dir, expected):
    summary, out = sample_run
    docs = {Path(r["source"]).name: r for r in _rows(out, "documents")}
    assert set(docs) == set(expected)
    for name, want in expected.items():
        row = docs[name]
        assert row["mime"] == want["mime"]
        assert row["run_id"] == summary.run_id and row["docpipe_version"]
        if want["status"] == "error" and want["error_kind"]:
            assert (row["status"], row["error_kind"]) == ("error", want["error_kind"])
        if want["mime"] and want["n_pages"]:
            assert row["status"] == "ok" and row["doc_id"] == want["sha256"]
            assert row["pages_ok"] == want["n_pages"]
            assert row["engines"] == sorted({p["engine"] for p in want["pages"]})


def test_pages_match_expected_text_once_each(sample_run, expected):
    _, out = sample_run
    pages = _rows(out, "pages")
    keys = [(Path(p["source"]).name, p["page"]) for p in pages]
    assert len(keys) == len(set(keys))
    for page in pages:
        want = expected[Path(page["source"]).name]["pages"][page["page"] - 1]
        assert page["status"] == "ok" and page["engine"] == want["engine"]
        if want["text_match"] == "exact":
            assert cer(page["text"], want["text"]) == 0.0
        else:  # scans: OCR's reading of the same words
            assert cer(page["text"], want["text"]) <= 0.02


def test_saved_images_are_recorded(sample_run):
    _, out = sample_run
    for page in _rows(out, "pages"):
        assert page["image_path"] and (out / page["image_path"]).stat().st_size > 0


def test_duckdb_reads_the_output(sample_run):
    _, out = sample_run
    lines = duckdb.sql(
        f"select count(*) from (select unnest(lines) as l from read_parquet('{out}/pages/*.parquet')) "
        "where l.bbox[3] <= 1.0 and l.bbox[1] >= 0.0").fetchall()[0][0]
    assert lines > 30
    amounts = duckdb.sql(
        f"select c.text from (select unnest(t.cells) c from (select unnest(tables) t "
        f"from read_parquet('{out}/pages/*.parquet'))) where c.text like '%,%.%'").fetchall()
    assert ("12,345.67",) in amounts


def test_malformed_corpus_one_row_each(ray_local, corpus, tmp_path):
    folder = corpus / "malformed"
    out = tmp_path / "out"
    summary = run(RunConfig(input=str(folder), out=str(out), progress=False))
    files = sorted(str(p) for p in folder.iterdir() if p.suffix == ".pdf")
    docs = _rows(out, "documents")
    assert sorted(d["source"] for d in docs) == files
    by_name = {Path(d["source"]).name: d for d in docs}
    assert by_name["pdfplumber__empty.pdf"]["error_kind"] == "empty"
    assert by_name["pdfplumber__password-example.pdf"]["error_kind"] == "encrypted"
    assert by_name["pymupdf__test2238.pdf"]["status"] in ("ok", "partial")
    assert all(d["status"] in ("ok", "partial", "error") for d in docs)
    assert all(d["error_kind"] for d in docs if d["status"] != "ok")
    assert summary.documents and len(summary.documents) == len(files)


def _cli(*args, cwd=None) -> subprocess.CompletedProcess:
    docpipe = Path(sys.executable).with_name("docpipe")
    return subprocess.run([str(docpipe), *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_cli_run_and_summary(sample_dir, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("two_column.pdf", "not_a_pdf.pdf"):
        shutil.copy(sample_dir / name, folder / name)
    result = _cli("run", str(folder), "--out", str(tmp_path / "out"), "--num-cpus", "1")
    assert result.returncode == 0, result.stderr
    assert "documents: 2 (1 ok, 0 partial, 1 error)" in result.stdout
    assert "unsupported_format 1" in result.stdout and "text 1" in result.stdout


def test_cli_forced_text_engine_leaves_scans_as_clear_errors(sample_dir, tmp_path):
    result = _cli("run", str(sample_dir / "scan.png"), "--out", str(tmp_path / "out"), "--engine", "text",
                  "--num-cpus", "1")
    assert result.returncode == 0, result.stderr
    (doc,) = _rows(tmp_path / "out", "documents")
    assert (doc["status"], doc["error_kind"]) == ("error", "engine_unavailable")
    assert "--engine auto or ocr" in doc["error"]


def test_cli_missing_ocr_language_stops_before_work(sample_dir, tmp_path):
    result = _cli("run", str(sample_dir / "scan.png"), "--out", str(tmp_path / "out"), "--ocr-lang", "eng+xyz")
    assert result.returncode == 2
    assert "tesseract-ocr-xyz" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "documents").exists() or not any((tmp_path / "out" / "documents").iterdir())


def test_cli_missing_reread_model_stops_before_work_unless_skipped(sample_dir, tmp_path):
    missing = _cli("run", str(sample_dir / "scan.png"), "--out", str(tmp_path / "a"), "--ocr-reread", "Xyzzy", "-q")
    assert missing.returncode == 2 and "--ocr-reread none" in missing.stderr
    skipped = _cli("run", str(sample_dir / "scan.png"), "--out", str(tmp_path / "b"), "--ocr-reread", "none", "-q")
    assert skipped.returncode == 0, skipped.stderr


def test_cli_bad_arguments_exit_nonzero(tmp_path, sample_dir):
    missing = _cli("run", str(tmp_path / "missing"), "--out", str(tmp_path / "o"))
    assert missing.returncode != 0 and "not found" in missing.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    unwritable = _cli("run", str(sample_dir / "two_column.pdf"), "--out", str(blocker))
    assert unwritable.returncode != 0 and "--out" in unwritable.stderr
    assert len(unwritable.stderr.strip().splitlines()) == 1
