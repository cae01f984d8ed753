"""Cutting OCR lines: at column gutters, not at the wide word spaces of justified text."""

from __future__ import annotations

from docpipe.engines.ocr.lines import split_at_gutters
from docpipe.layout.glyphs import Glyph

SIZE = 10.0


def _line(y: float, *words: tuple[str, float]) -> list[Glyph]:
    """Words as OCR glyphs (one per word, trailing space) at the given x, 6 points per letter."""
    return [Glyph(text + " ", x, y, x + 6 * len(text), y + SIZE, SIZE) for text, x in words]


def _texts(pieces) -> list[str]:
    return [" ".join(g.c.strip() for g in piece) for piece in pieces]


def test_two_columns_joined_by_tesseract_are_cut_at_the_gutter():
    # Left column 50-280, right column 310-540; Tesseract read each row across both.
    lines = [_line(100 + 12 * i, ("left", 50), ("column", 80), ("words", 122), ("fill", 158), ("the", 188),
                   ("line", 212), ("here", 242), ("right", 310), ("column", 346), ("words", 388), ("fill", 424),
                   ("the", 454), ("line", 478), ("there", 508)) for i in range(6)]
    lines.insert(0, _line(88, ("1", 50), ("Introduction", 60), ("3", 310), ("Volumes", 320)))
    pieces = _texts(split_at_gutters(lines))
    assert pieces[:2] == ["1 Introduction", "3 Volumes"]
    assert pieces[2:4] == ["left column words fill the line here", "right column words fill the line there"]


def test_justified_line_with_wide_spaces_stays_whole():
    # A narrow justified column: the line is spread over the column with three wide spaces.
    lines = [_line(100, ("from", 50), ("within", 95), ("pkg.subpkg1", 150), ("you", 232), ("will", 262), ("import", 290))]
    lines += [_line(100 + 12 * i, ("text", 50), ("of", 80), ("the", 100), ("paragraph", 125), ("in", 190),
                    ("one", 208), ("narrow", 235), ("column", 280)) for i in range(1, 4)]
    lines += [_line(100 - 12 * i, ("more", 50), ("paragraph", 84), ("text", 146), ("set", 176), ("above", 200),
                    ("it", 238), ("to", 256), ("here", 280)) for i in range(1, 3)]
    pieces = _texts(split_at_gutters(lines))
    assert "from within pkg.subpkg1 you will import" in pieces


def test_list_marker_stays_with_its_item_across_a_hanging_indent():
    lines = [_line(100, ("-", 50), ("If", 72), ("the", 86), ("module", 108)),
             _line(112, ("imported", 72), ("is", 126), ("not", 140))]
    assert _texts(split_at_gutters(lines))[0] == "- If the module"
