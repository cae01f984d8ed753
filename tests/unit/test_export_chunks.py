"""Retrieval chunks on hand-made pages: structure, budget, boxes; and OUT/chunks written once per document."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest

from docpipe.arrow import CHUNKS_SCHEMA, DOCUMENTS_SCHEMA, PAGES_SCHEMA, to_table
from docpipe.errors import OutputError
from docpipe.export.chunk_files import add_missing_chunks, export_chunks
from docpipe.export.chunks import document_chunks, estimate_tokens
from docpipe.export.files import export_files
from docpipe.export.read import Document
from docpipe.io.parquet import write_table
from docpipe.records import Block, Cell, DocumentResult, Line, PageResult, Table

WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()


def box(y0: float, y1: float) -> list[float]:
    return [0.1, y0, 0.9, y1]


def paragraph_block(y0: float, n_lines: int, seed: int) -> tuple[Block, list[Line]]:
    lines = [Line(text=" ".join(WORDS[(seed + i + k) % 10] for k in range(8)),
                  bbox=box(y0 + 0.02 * i, y0 + 0.02 * i + 0.015)) for i in range(n_lines)]
    return Block(kind="paragraph", text="\n".join(l.text for l in lines), bbox=box(y0, y0 + 0.02 * n_lines)), lines


def page(doc_id: str, number: int, blocks_lines: list, tables=()) -> PageResult:
    blocks = [b for b, _ in blocks_lines]
    lines = [line for _, ls in blocks_lines for line in ls]
    return PageResult(doc_id=doc_id, source=f"/in/{doc_id}.pdf", page=number, blocks=blocks, lines=lines,
                      tables=list(tables))


def heading(text: str, y: float) -> tuple[Block, list[Line]]:
    return Block(kind="heading", text=text, bbox=box(y, y + 0.02)), [Line(text=text, bbox=box(y, y + 0.02))]


def doc_row(doc_id: str, n_pages: int, status: str = "ok") -> DocumentResult:
    return DocumentResult(doc_id=doc_id, source=f"/in/{doc_id}.pdf", n_pages=n_pages, status=status, run_id="r",
                          docpipe_version="0")


def report(doc_id: str = "d1") -> Document:
    table = Table(bbox=box(0.58, 0.68), n_rows=2, n_cols=2, html="", cells=[
        Cell(row=r, col=c, text=t, bbox=box(0.58, 0.68)) for r, c, t in [(0, 0, "k"), (0, 1, "v"), (1, 0, "a"),
                                                                       (1, 1, "1")]])
    one = page(doc_id, 1, [(Block(kind="title", text="Report", bbox=box(0.02, 0.05)), []), heading("1 Intro", 0.06),
                           paragraph_block(0.1, 20, 0), heading("1.1 Detail", 0.52),
                           (Block(kind="caption", text="Table 1. Keys", bbox=box(0.55, 0.57)), []),
                           (Block(kind="table", text="k v a 1", bbox=box(0.58, 0.68)), [])], tables=[table])
    two = page(doc_id, 2, [paragraph_block(0.1, 3, 5), heading("2 Next", 0.3), paragraph_block(0.35, 2, 7)])
    return Document(row=doc_row(doc_id, 2), pages=[one, two])


def test_headings_start_chunks_and_give_their_path():
    chunks = document_chunks(report(), max_tokens=60)
    paths = [tuple(c.heading) for c in chunks]
    assert paths[0] == ("Report", "1 Intro") and chunks[0].text.startswith("Report\n\n1 Intro\n\nalpha")
    assert ("Report", "1 Intro", "1.1 Detail") in paths
    assert paths[-1] == ("Report", "2 Next") and chunks[-1].text.startswith("2 Next")
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert [c.chunk_id for c in chunks] == [c.chunk_id for c in document_chunks(report(), max_tokens=60)]


def test_the_budget_holds_and_a_table_stays_whole_with_its_caption():
    chunks = document_chunks(report(), max_tokens=60)
    assert len(chunks) > 5 and all(c.n_tokens <= 60 for c in chunks)
    (table,) = [c for c in chunks if "| k | v |" in c.text]
    assert "Table 1. Keys\n| k | v |\n| --- | --- |\n| a | 1 |" in table.text
    assert table.n_tokens == estimate_tokens(table.text)


def test_boxes_are_the_lines_on_the_chunks_pages_and_text_crosses_pages_not_documents():
    chunks = document_chunks(report(), max_tokens=1000)
    source_lines = {tuple(line.bbox) for p in report().pages for line in p.lines}
    for c in chunks:
        assert c.boxes and all(b.page in c.pages and all(0 <= v <= 1 for v in b.bbox) for b in c.boxes)
        assert {c.doc_id} == {"d1"}
    detail = next(c for c in chunks if c.heading[-1] == "1.1 Detail")
    assert detail.pages == [1, 2]  # page 2's first lines continue the section
    text_boxes = {tuple(b.bbox) for c in chunks for b in c.boxes} - {tuple(box(0.58, 0.68)), tuple(box(0.55, 0.57))}
    assert text_boxes - {tuple(box(0.02, 0.05))} <= source_lines


def test_a_line_over_the_budget_is_cut_between_words():
    long = Line(text=" ".join(WORDS * 30), bbox=box(0.1, 0.12))
    doc = Document(row=doc_row("d2", 1), pages=[page("d2", 1, [(Block(kind="paragraph", text=long.text,
                                                                      bbox=box(0.1, 0.12)), [long])])])
    chunks = document_chunks(doc, max_tokens=50)
    assert len(chunks) >= 6 and all(c.n_tokens <= 50 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == long.text.split()


def write_out(out, documents: list[Document], name: str) -> None:
    write_table(str(out), "documents", to_table([d.row for d in documents], DOCUMENTS_SCHEMA), name=name)
    pages = [p for d in documents for p in d.pages]
    if pages:
        write_table(str(out), "pages", to_table(pages, PAGES_SCHEMA), name=name)


def count(out) -> tuple[int, int]:
    return duckdb.sql(f"select count(*), count(distinct chunk_id) from read_parquet('{out}/chunks/*.parquet')"
                      ).fetchall()[0]


def test_run_chunks_are_written_once_per_document_across_runs(tmp_path):
    out = tmp_path / "out"
    failed = Document(row=doc_row("bad", 0, status="error"))
    write_out(out, [report("d1"), failed], "part-a.parquet")
    first = add_missing_chunks(str(out), "run1", 512)
    assert first > 0 and count(out) == (first, first)
    assert add_missing_chunks(str(out), "run2", 512) == 0 and count(out) == (first, first)
    write_out(out, [report("d3")], "part-b.parquet")  # a later run commits one more document
    added = add_missing_chunks(str(out), "run3", 512)
    assert added == first and count(out) == (2 * first, 2 * first)
    assert sorted(p.name for p in (out / "chunks").iterdir()) == ["part-run1.parquet", "part-run3.parquet"]
    assert pq.read_schema(out / "chunks" / "part-run3.parquet").equals(CHUNKS_SCHEMA)


def test_export_chunks_and_files_from_out(tmp_path, capsys):
    out = tmp_path / "out"
    write_out(out, [report("d1"), Document(row=doc_row("bad", 0, status="error"))], "part-a.parquet")
    assert export_chunks(str(out), str(tmp_path / "ch"), 512) == export_chunks(str(out), str(tmp_path / "ch"), 512)
    assert duckdb.sql(f"select count(*) from read_parquet('{tmp_path}/ch/*.parquet')").fetchall()[0][0] > 0
    with pytest.raises(OutputError, match="twice"):
        export_chunks(str(out), str(out / "chunks"), 512)
    summary = export_files(str(out), str(tmp_path / "md"), "markdown")
    assert summary.written == [("/in/d1.pdf", "d1.md")] and summary.skipped == [("/in/bad.pdf", "None: None")]
    with pytest.raises(OutputError, match="no committed documents"):
        export_files(str(tmp_path / "empty"), str(tmp_path / "md2"), "markdown")
