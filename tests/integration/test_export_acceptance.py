"""Issue 17's acceptance, end to end on documents no development run used (seed 6151):
`docpipe run --chunks`, then `docpipe export`, scored by benchmarks/export_quality.py (markdown-it-py
and pyarrow, nothing of docpipe): the Markdown holds >= 97% of each document's words and one table
per truth table; the chunks hold >= 97% of the words, with every box on one of its chunk's pages.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
SEED = 6151  # never used while developing; any seed must pass


def _scorer():
    spec = importlib.util.spec_from_file_location("export_quality", ROOT / "benchmarks" / "export_quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cli(*args: str) -> subprocess.CompletedProcess:
    docpipe = Path(sys.executable).with_name("docpipe")
    return subprocess.run([str(docpipe), *args], capture_output=True, text=True, timeout=600)


def test_markdown_and_chunks_keep_the_words_and_tables_of_unseen_documents(tmp_path):
    gen, inputs, out = tmp_path / "gen", tmp_path / "in", tmp_path / "out"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gen_born_digital.py"), str(gen),
                    "--seed", str(SEED), "--n", "3"], check=True, capture_output=True)
    inputs.mkdir()
    for pdf in gen.glob("*.pdf"):
        shutil.copy(pdf, inputs / pdf.name)
    run = _cli("run", str(inputs), "--out", str(out), "--num-cpus", "1", "-q", "--chunks", "--chunk-tokens", "200")
    assert run.returncode == 0, run.stderr
    assert "chunks:" in run.stdout
    for fmt, folder, extra in [("markdown", "md", ()), ("markdown", "md_all", ("--keep-headers",)),
                               ("html", "html", ()), ("chunks", "ch", ("--max-tokens", "200"))]:
        done = _cli("export", str(out), "--format", fmt, "--to", str(tmp_path / folder), *extra)
        assert done.returncode == 0, done.stderr

    scorer = _scorer()
    for result in (scorer.score(gen, tmp_path / "md", out / "chunks"),
                   scorer.score(gen, tmp_path / "md_all", tmp_path / "ch" / "chunks.parquet", whole=True)):
        rows = result["documents"]
        assert len(rows) == 3 and result["summary"]["truth_tables"] > 0
        for r in rows:
            assert r["words_kept"] >= 0.97, r
            assert r["tables"] == r["truth_tables"], r
            assert r["chunk_words_kept"] >= 0.97, r
            assert r["chunks"] > 0 and r["bad_boxes"] == 0, r

    # The run's chunks and the export's are the same rows; none twice; tables stay whole over the budget.
    run_chunks = f"read_parquet('{out}/chunks/*.parquet')"
    exported = f"read_parquet('{tmp_path}/ch/*.parquet')"
    one = lambda sql: duckdb.sql(sql).fetchall()  # noqa: E731
    assert one(f"select count(*), count(distinct chunk_id) from {run_chunks}") == \
        one(f"select count(*), count(*) from {exported}")
    assert one(f"select count(*) from (select chunk_id, text from {run_chunks} except "
               f"select chunk_id, text from {exported})") == [(0,)]
    over = one(f"select text from {run_chunks} where n_tokens > 200")
    assert all(text.count("\n| ") >= 2 or "<table>" in text for (text,) in over)
    assert len(list((tmp_path / "html").glob("*.html"))) == 3
