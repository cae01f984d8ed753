"""Inputs and outputs the integration tests share: generated PDFs, and OUT counted as a reader sees it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pymupdf


def make_pdfs(folder: Path, n_docs: int, n_pages: int, prefix: str = "doc") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(n_docs):
        doc = pymupdf.open()
        for p in range(n_pages):
            page = doc.new_page()
            text = " ".join(f"{prefix} {d} page {p + 1} line {i} of the resume test." for i in range(12))
            page.insert_textbox(pymupdf.Rect(72, 72, 540, 720), text, fontsize=11)
        doc.save(folder / f"{prefix}{d:03d}.pdf")


def counts(out: Path) -> dict:
    """Duplicates as a reader sees them: every source and every (doc_id, page) should appear once."""
    docs, pages = f"read_parquet('{out}/documents/*.parquet')", f"read_parquet('{out}/pages/*.parquet')"
    one = lambda sql: duckdb.sql(sql).fetchall()[0][0]  # noqa: E731
    return {
        "documents": one(f"select count(*) from {docs}"),
        "sources": one(f"select count(distinct source) from {docs}"),
        "pages": one(f"select count(*) from {pages}"),
        "distinct_pages": one(f"select count(*) from (select distinct doc_id, page from {pages})"),
        "not_ok": one(f"select count(*) from {docs} where status <> 'ok'"),
        "pages_not_ok": one(f"select count(*) from {pages} where status <> 'ok'"),
    }
