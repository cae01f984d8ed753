"""The Markdown and HTML exports on hand-made pages, read back as a reader would (markdown-it-py, html.parser)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from docpipe.export.files import file_stems, stem
from docpipe.export.html import document_html
from docpipe.export.markdown import document_markdown, escape_line, paragraph
from docpipe.export.read import Document
from docpipe.records import Block, Cell, DocumentResult, Line, PageResult, Table

MD = MarkdownIt("commonmark").enable("table")


def box(y0: float, y1: float) -> list[float]:
    return [0.1, y0, 0.9, y1]


def grid_table(y0: float, y1: float, rows: list[list[str]], spans: dict | None = None) -> Table:
    cells = [Cell(row=r, col=c, text=text, bbox=box(y0, y1), **(spans or {}).get((r, c), {}))
             for r, row in enumerate(rows) for c, text in enumerate(row) if text is not None]
    return Table(bbox=box(y0, y1), n_rows=len(rows), n_cols=len(rows[0]), cells=cells, html="")


def page_one() -> PageResult:
    blocks = [
        Block(kind="header", text="ACME running header", bbox=box(0.02, 0.04)),
        Block(kind="title", text="Annual report", bbox=box(0.05, 0.08)),
        Block(kind="footnote", text="¹ A note that was read before the body.", bbox=box(0.90, 0.92)),
        Block(kind="heading", text="Introduction", bbox=box(0.10, 0.12)),
        Block(kind="paragraph", text="First line of text\nsecond line * with a star", bbox=box(0.13, 0.18)),
        Block(kind="heading", text="2.3 Costs", bbox=box(0.20, 0.22)),
        Block(kind="table", text="Item\tCost\nFuel\t12", bbox=box(0.25, 0.35)),
        Block(kind="figure", text="", bbox=box(0.40, 0.60)),
        Block(kind="caption", text="Figure 1. Volumes by month", bbox=box(0.61, 0.63)),
        Block(kind="footer", text="Page 1 of 3", bbox=box(0.96, 0.98)),
    ]
    table = grid_table(0.25, 0.35, [["Item", "Cost"], ["Fuel | diesel", "12"]])
    return PageResult(doc_id="d1", source="/in/report.pdf", page=1, blocks=blocks, tables=[table])


def page_two() -> PageResult:
    spanning = grid_table(0.1, 0.3, [["Region", "Area"], [None, "North"], ["Total", "9"]],
                          spans={(0, 0): {"row_span": 2}})
    blocks = [Block(kind="table", text="Region Area North Total 9", bbox=box(0.1, 0.3)),
              Block(kind="list", text="• apples and\npears\n• 2. plums", bbox=box(0.4, 0.5))]
    return PageResult(doc_id="d1", source="/in/report.pdf", page=2, blocks=blocks, tables=[spanning])


def document(*pages: PageResult, n_pages: int | None = None) -> Document:
    row = DocumentResult(doc_id="d1", source="/in/report.pdf", n_pages=n_pages or len(pages), status="ok",
                         run_id="r", docpipe_version="0")
    return Document(row=row, pages=list(pages))


def tokens(markdown: str):
    return MD.parse(markdown)


def test_titles_and_headings_become_heading_levels():
    found = [(t.tag, t.map) for t in tokens(document_markdown(document(page_one()))) if t.type == "heading_open"]
    md = document_markdown(document(page_one()))
    assert [tag for tag, _ in found] == ["h1", "h2", "h3"]
    assert "# Annual report" in md and "## Introduction" in md and "### 2.3 Costs" in md


def test_a_plain_table_is_a_pipe_table_and_a_spanning_one_inline_html():
    md = document_markdown(document(page_one(), page_two()))
    parsed = tokens(md)
    assert sum(t.type == "table_open" for t in parsed) == 1
    cells = [t.children[0].content for i, t in enumerate(parsed) if t.type == "inline" and parsed[i - 1].type in
             ("th_open", "td_open")]
    assert cells == ["Item", "Cost", "Fuel | diesel", "12"]  # the pipe in a cell is escaped, not a column
    html_blocks = [t.content for t in parsed if t.type == "html_block" and "<table" in t.content]
    assert len(html_blocks) == 1 and 'rowspan="2"' in html_blocks[0] and "Total" in html_blocks[0]


def test_footnotes_go_to_the_end_of_their_page_and_pages_are_marked():
    md = document_markdown(document(page_one(), page_two()))
    assert md.count("<!-- page 1 -->") == 1 and md.count("<!-- page 2 -->") == 1
    note, body, figure = md.index("A note that was read"), md.index("second line"), md.index("Figure 1.")
    assert body < figure < note < md.index("<!-- page 2 -->")
    assert "*\\[figure\\]*\nFigure 1. Volumes by month" in md  # the placeholder carries its caption


def test_running_headers_and_footers_only_with_keep_headers():
    plain = document_markdown(document(page_one()))
    kept = document_markdown(document(page_one()), keep_headers=True)
    assert "ACME running header" not in plain and "Page 1 of 3" not in plain
    assert "ACME running header" in kept and "Page 1 of 3" in kept


def test_lists_failed_and_missing_pages():
    failed = PageResult.failed("d1", "/in/report.pdf", 3, "timeout", "page took too long")
    md = document_markdown(document(page_one(), page_two(), failed, n_pages=4))
    items = [t for t in tokens(md) if t.type == "list_item_open"]
    assert len(items) == 2 and "- apples and\n  pears\n- 2\\. plums" in md
    assert "page 3 could not be read (timeout: page took too long)" in md
    assert "page 4 is not in the output" in md and md.count("<!-- page") == 4


@pytest.mark.parametrize("text", [
    "# not a heading", "- not a list", "1. not a list", "2) nor this", "> no quote", "a *star* and _under_ score",
    "snake_case stays", "<b>not html</b>", "[not](a link)", "&amp; stays", "back\\slash `tick`", "===", "---",
    "~~not struck~~", "+ plus",
])
def test_text_reads_back_as_the_same_characters(text):
    parsed = tokens(paragraph(text))
    assert [t.type for t in parsed] == ["paragraph_open", "inline", "paragraph_close"], escape_line(text)
    assert "".join(child.content for child in parsed[1].children) == text


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_has_the_same_structure_escaped():
    page = page_one()
    page.blocks[4] = Block(kind="paragraph", text="<script>alert(1)</script> & more", bbox=box(0.13, 0.18))
    parser = _Tags()
    html = document_html(document(page, page_two()))
    parser.feed(html)
    names = [tag for tag, _ in parser.tags]
    assert html.startswith("<!DOCTYPE html>") and "script" not in names
    assert "<script>alert(1)</script> & more" in "".join(parser.text)
    assert [n for n in names if n in ("h1", "h2", "h3")] == ["h1", "h2", "h3"]
    assert names.count("table") == 2 and ("td", {"rowspan": "2"}) in parser.tags
    sections = [attrs for tag, attrs in parser.tags if tag == "section"]
    assert [s["id"] for s in sections] == ["page-1", "page-2"] and "figcaption" in names


def test_file_names_from_stems_numbered_in_source_order_when_they_collide():
    sources = ["/b/report.pdf", "/a/report.pdf", "/c/Report.PDF", "/d/notes.pdf", "s3://bucket/x/report-2.pdf"]
    names = file_stems(sources)
    assert names["/a/report.pdf"] == "report" and names["/b/report.pdf"] == "report-3"
    assert names["/c/Report.PDF"] == "Report-4" and names["s3://bucket/x/report-2.pdf"] == "report-2"
    assert names["/d/notes.pdf"] == "notes" and file_stems(list(reversed(sources))) == names
    assert stem("/in/.hidden.pdf") == "hidden" and stem("file:///in/caf%E9.pdf") == "caf_E9"


def test_lines_of_a_block_are_its_boxes():
    from docpipe.export.structure import page_items

    lines = [Line(text="First line of text", bbox=box(0.13, 0.15)), Line(text="second", bbox=box(0.16, 0.18))]
    page = PageResult(doc_id="d", source="s", page=1, lines=lines,
                      blocks=[Block(kind="paragraph", text="First line of text\nsecond", bbox=box(0.13, 0.18))])
    (item,) = page_items(page)
    assert [bbox for _, bbox in item.lines] == [line.bbox for line in lines]


def test_lines_running_across_a_documents_pages_are_left_out_of_the_markdown():
    # Read as paragraphs page by page (each page of its own unit), recognised by repetition in the export.
    pages = [PageResult(doc_id="d1", source="/in/report.pdf", page=n, blocks=[
        Block(kind="paragraph", text=f"Body text of page {n} with its own words.", bbox=box(0.2, 0.5)),
        Block(kind="paragraph", text="Northwind Freight - Annual Network Review", bbox=box(0.93, 0.95)),
        Block(kind="paragraph", text=str(n + 40), bbox=[0.48, 0.96, 0.52, 0.98]),
    ]) for n in (1, 2, 3)]
    markdown = document_markdown(document(*pages))
    assert "Body text of page 2" in markdown
    assert "Northwind Freight" not in markdown and "\n42\n" not in markdown
    assert "Northwind Freight" in document_markdown(document(*pages), keep_headers=True)
