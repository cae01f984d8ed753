"""The text-layer engine on the project's sample documents and on pages built in the test."""

from __future__ import annotations

import pymupdf
import pytest

from docpipe.engines.text.page import extract_page, extract_pdf
from docpipe.evaluate.metrics import cer
from docpipe.errors import NeedsOcr

BORN_DIGITAL = ["single_column.pdf", "two_column.pdf", "ruled_table.pdf", "rotated.pdf"]


@pytest.mark.parametrize("name", BORN_DIGITAL)
def test_sample_text_in_reading_order(sample_dir, expected, name):
    pages = extract_pdf(str(sample_dir / name))
    truth = expected[name]["pages"]
    assert len(pages) == len(truth)
    for page, want in zip(pages, truth):
        assert page.engine == "text" and page.status == "ok"
        assert cer(page.text, want["text"]) == 0.0, (page.page, page.text)
        assert page.rotation == want["rotation"]
        assert (round(page.width), round(page.height)) == (round(want["width"]), round(want["height"]))


def test_every_box_is_a_fraction_and_every_line_has_text(sample_dir):
    for name in BORN_DIGITAL:
        for page in extract_pdf(str(sample_dir / name)):
            boxes = [line.bbox for line in page.lines] + [b.bbox for b in page.blocks]
            boxes += [c.bbox for t in page.tables for c in t.cells]
            for x0, y0, x1, y1 in boxes:
                assert 0.0 <= x0 <= x1 <= 1.0 and 0.0 <= y0 <= y1 <= 1.0
            assert all(line.text and line.confidence == 1.0 for line in page.lines)


def test_ruled_table_cells(sample_dir, expected):
    (page,) = extract_pdf(str(sample_dir / "ruled_table.pdf"))
    (want,) = expected["ruled_table.pdf"]["pages"][0]["tables"]
    (table,) = page.tables
    grid = [["" for _ in range(table.n_cols)] for _ in range(table.n_rows)]
    for cell in table.cells:
        grid[cell.row][cell.col] = cell.text
    assert grid == want["grid"]
    assert "12,345.67" in table.html and table.html.startswith("<table>")
    assert any(b.kind == "table" for b in page.blocks)


def test_block_kinds(sample_dir):
    page = extract_pdf(str(sample_dir / "single_column.pdf"))[0]
    kinds = [b.kind for b in page.blocks]
    assert kinds[0] == "title" and "heading" in kinds and kinds[-1] == "page_number"  # "Page 1 of 2"


def _page_with(builder, rotate: int = 0):
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    builder(page)
    if rotate:
        page.set_rotation(rotate)
    return doc, page


def test_sideways_table_page_is_turned_upright():
    # Text written bottom-to-top on a portrait page (a landscape table printed sideways).
    def build(page):
        for i, line in enumerate(["Sideways heading line", "second sideways line"]):
            page.insert_text((100 + 20 * i, 700), line, fontsize=12, rotate=90)

    doc, page = _page_with(build)
    result = extract_page(page, doc_id="x", source="mem", page_number=1)
    assert result.rotation == 90 and result.width > result.height
    assert result.text.splitlines() == ["Sideways heading line", "second sideways line"]
    first = result.lines[0].bbox
    assert first[2] - first[0] > first[3] - first[1]  # wide, as an upright line is


def test_scanned_page_is_marked_for_ocr():
    def build(page):
        pix = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 400, 560), False)
        pix.clear_with(200)
        page.insert_image(page.rect, pixmap=pix)

    doc, page = _page_with(build)
    with pytest.raises(NeedsOcr) as raised:
        extract_page(page, doc_id="x", source="mem", page_number=1)
    assert raised.value.reason == "no text layer"


def test_blank_page_is_ok_and_empty():
    doc, page = _page_with(lambda p: None)
    result = extract_page(page, doc_id="x", source="mem", page_number=1)
    assert (result.status, result.engine, result.text, result.lines) == ("ok", "text", "", [])
