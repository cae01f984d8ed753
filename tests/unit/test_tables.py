"""Grid structure from cell boxes; cell text read from the glyphs inside each cell."""

from __future__ import annotations

from docpipe.layout.glyphs import Glyph
from docpipe.layout.tables.grid import grid_from_cells


def _glyphs(text: str, x: float, y: float, size: float = 8.0) -> list[Glyph]:
    out = []
    for ch in text:
        out.append(Glyph(ch, x, y, x + size * 0.5, y + size, size))
        x += size * 0.5
    return out


def test_spans_and_cell_text_by_position():
    # Row 0: one header cell spanning both columns; rows 1-2: two cells each.
    boxes = [(0, 0, 200, 20), (0, 20, 100, 40), (100, 20, 200, 40), (0, 40, 100, 60), (100, 40, 200, 60)]
    glyphs = _glyphs("Totals", 10, 5) + _glyphs("1,234.56", 110, 25) + _glyphs("Item", 10, 25) \
        + _glyphs("(12.00)", 110, 45) + _glyphs("Fee", 10, 45)
    grid = grid_from_cells(boxes, glyphs)
    assert (grid.n_rows, grid.n_cols) == (3, 2)
    header = [c for c in grid.cells if c.row == 0]
    assert len(header) == 1 and header[0].col_span == 2 and header[0].text == "Totals"
    assert grid.rows_text()[1:] == [["Item", "1,234.56"], ["Fee", "(12.00)"]]
    assert 'colspan="2"' in grid.to_html()
    assert grid.reading_text() == "Totals\nItem\t1,234.56\nFee\t(12.00)"


def test_frame_box_and_empty_slivers_are_dropped():
    frame = (0, 0, 200, 63)
    sliver_row = [(0, 60, 100, 63), (100, 60, 200, 63)]
    boxes = [frame, (0, 0, 100, 30), (100, 0, 200, 30), (0, 30, 100, 60), (100, 30, 200, 60)] + sliver_row
    glyphs = _glyphs("a", 10, 10) + _glyphs("b", 110, 10) + _glyphs("c", 10, 40) + _glyphs("d", 110, 40)
    grid = grid_from_cells(boxes, glyphs)
    assert grid.rows_text() == [["a", "b"], ["c", "d"]]


def test_lines_of_a_cell_keep_their_order_when_their_sizes_differ():
    # OCR words: one glyph per word, sized by its line. Tesseract sized the two lines of this
    # cell 9.1 and 10.7 pt (measured on a generated scan); the second must still come second.
    def words(text, x, y, size):
        out = []
        for word in text.split():
            out.append(Glyph(word + " ", x, y, x + len(word) * size * 0.5, y + size, size))
            x += (len(word) + 1) * size * 0.5
        return out

    boxes = [(100, 195, 300, 226), (300, 195, 400, 226)]
    glyphs = words("Licence renewal, routing", 104, 201, 9.1) + words("software, three-year term", 104, 212, 10.7) \
        + words("4,729.42", 304, 201, 9.1)
    grid = grid_from_cells(boxes, glyphs)
    assert grid.rows_text() == [["Licence renewal, routing\nsoftware, three-year term", "4,729.42"]]


def _overlapping(text: str, x: float, y: float, size: float = 9.0) -> list[Glyph]:
    """Glyphs as the corpus's Korean table sets them: boxes 0.83 em on a 0.73 em advance, a space's box
    0.28 em on a 0.19 em advance, so the white across a word space is 0.09 em."""
    out = []
    for ch in text:
        width, advance = (0.28, 0.19) if ch == " " else (0.83, 0.73)
        out.append(Glyph(ch, x, y, x + width * size, y + size, size))
        x += advance * size
    return out


def test_a_cell_keeps_the_word_spaces_its_glyph_boxes_hide():
    boxes = [(0, 0, 200, 20), (200, 0, 400, 20)]
    glyphs = _overlapping("마시는 물 또는", 10, 5) + _overlapping("(498,5)", 210, 5)
    # a spreadsheet's padding space under the "(" is no word space
    glyphs.append(Glyph(" ", 212.5, 5, 216.5, 14, 9.0))  # its middle right of the "(" middle
    assert grid_from_cells(boxes, glyphs).rows_text() == [["마시는 물 또는", "(498,5)"]]
    # without the space characters the white alone (0.09 em) parts nothing, as before
    ink = [g for g in glyphs if not g.c.isspace()]
    assert grid_from_cells(boxes, ink).rows_text() == [["마시는물또는", "(498,5)"]]


def test_corpus_korean_table_cells_keep_their_word_spaces(corpus):
    import pymupdf

    from docpipe.engines.text.page import extract_page

    with pymupdf.open(corpus / "born_digital" / "docling__normal_4pages.pdf") as doc:
        result = extract_page(doc[1], doc_id="d", source="s", page_number=2)
    cells = [c.text for t in result.tables for c in t.cells]
    assert any(c.startswith("◦ 마시는 물 또는 식품을 매개로") for c in cells), cells
    assert any("높거나 집단 발생의 우려가 커 높" in c for c in cells), cells
