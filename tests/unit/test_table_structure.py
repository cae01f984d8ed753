"""Tables without vertical rulings: columns from whitespace, rows from lines or rule bands."""

from __future__ import annotations

from docpipe.layout.glyphs import Glyph
from docpipe.layout.tables.from_text import grid_from_text


def _text(text: str, x: float, y: float, size: float = 8.0) -> list[Glyph]:
    out = []
    for ch in text:
        width = size * (0.28 if ch == " " else 0.5)  # a word space is narrower than a digit
        out.append(Glyph(ch, x, y, x + width, y + size, size))
        x += width
    return out


def _row(y: float, *cells: tuple[float, str]) -> list[Glyph]:
    return [g for x, text in cells for g in _text(text, x, y)]


def test_whitespace_columns_and_spanning_header():
    glyphs = (
        _row(10, (120, "Fiscal years"))  # spans the two amount columns
        + _row(22, (10, "Item"), (100, "2023"), (160, "2022"))
        + _row(34, (10, "Net revenue"), (100, "1,234.56"), (160, "(99.10)"))
        + _row(46, (10, "Cost of sales"), (100, "-45.00"), (160, "12,000.00"))
    )
    grid = grid_from_text(glyphs, (0, 0, 220, 60))
    assert (grid.n_rows, grid.n_cols) == (4, 3)
    header = [c for c in grid.cells if c.row == 0 and c.text]
    assert len(header) == 1 and (header[0].col, header[0].col_span) == (1, 2)
    assert grid.rows_text()[1:] == [
        ["Item", "2023", "2022"],
        ["Net revenue", "1,234.56", "(99.10)"],
        ["Cost of sales", "-45.00", "12,000.00"],
    ]


def test_wrapped_row_label_joins_its_row():
    glyphs = (
        _row(10, (10, "Depreciation and"), (120, "8,863.33"))
        + _row(19, (10, "amortisation"))
        + _row(30, (10, "Other income"), (120, "726.07"))
    )
    grid = grid_from_text(glyphs, (0, 0, 200, 45))
    assert grid.rows_text() == [["Depreciation and\namortisation", "8,863.33"], ["Other income", "726.07"]]


def test_rules_between_rows_band_multiline_cells():
    glyphs = (
        _row(10, (10, "Medical &"), (100, "Family"))
        + _row(19, (10, "Public Health"), (100, "Welfare"))
        + _row(35, (10, "47,824,589"), (100, "9,967,837"))
        + _row(51, (10, "2,241,609"), (100, "107,549"))
    )
    grid = grid_from_text(glyphs, (0, 5, 200, 62), rules=[5, 30, 46, 62])
    assert grid.rows_text() == [
        ["Medical &\nPublic Health", "Family\nWelfare"],
        ["47,824,589", "9,967,837"],
        ["2,241,609", "107,549"],
    ]


def test_one_row_running_two_columns_together_does_not_merge_them():
    rows = [_row(10 + 12 * i, (10, f"Region {i}"), (100, f"{i},111.00"), (150, f"{i},222.00")) for i in range(11)]
    squeezed = _row(10 + 12 * 11, (10, "Region X"), (100, "9,111.00 9,222.00"))  # no gap left
    grid = grid_from_text([g for row in rows for g in row] + squeezed, (0, 0, 220, 160))
    assert grid.n_cols == 3
    assert grid.rows_text()[3] == ["Region 3", "3,111.00", "3,222.00"]


def test_caption_inside_the_region_is_not_a_row():
    glyphs = (_row(5, (10, "Table 2. Outlay by state")) + _row(20, (10, "State"), (100, "Total"))
              + _row(32, (10, "Assam"), (100, "14,874")) + _row(44, (10, "Bihar"), (100, "21,016")))
    grid = grid_from_text(glyphs, (0, 0, 200, 60))
    assert grid.rows_text() == [["State", "Total"], ["Assam", "14,874"], ["Bihar", "21,016"]]
    assert grid.box[1] > 5  # the caption stays outside, in the page text


def test_wrapped_header_words_form_one_cell():
    glyphs = (
        _row(10, (10, "State"), (100, "Total"), (160, "Others"))
        + _row(19, (100, "Revenue &"))
        + _row(28, (100, "Capital"))
        + _row(42, (10, "Assam"), (100, "17,590,618"), (160, "4,408,505"))
        + _row(54, (10, "Bihar"), (100, "30,677,849"), (160, "2,251,571"))
    )
    grid = grid_from_text(glyphs, (0, 0, 220, 70))
    assert grid.rows_text()[0] == ["State", "Total\nRevenue &\nCapital", "Others"]
    assert grid.n_rows == 3
