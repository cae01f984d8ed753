"""Reading order and line building on plain glyph tuples (no PDF library involved)."""

from __future__ import annotations

from docpipe.layout import Glyph, LayoutBlock, build_segments, group_blocks
from docpipe.reading_order import order_page, reading_order


def _word_glyphs(text: str, x: float, y: float, size: float = 10.0) -> list[Glyph]:
    glyphs, width = [], size * 0.5
    for ch in text:
        glyphs.append(Glyph(ch, x, y, x + width, y + size * 1.2, size))
        x += width
    return glyphs


def _block(text: str, x0, y0, x1, y1, kind="paragraph") -> LayoutBlock:
    block = LayoutBlock(kind=kind, x0=x0, y0=y0, x1=x1, y1=y1)
    block.text_override = text
    return block


def test_two_columns_with_title_read_column_by_column():
    blocks = [
        _block("right-top", 310, 100, 550, 300),
        _block("left-bottom", 50, 320, 290, 600),
        _block("title", 50, 40, 550, 70),
        _block("right-bottom", 310, 320, 550, 600),
        _block("left-top", 50, 100, 290, 300),
    ]
    order = [b.text for b in reading_order(blocks)]
    assert order == ["title", "left-top", "left-bottom", "right-top", "right-bottom"]


def test_full_width_figure_splits_the_columns_into_sections():
    blocks = [
        _block("left-below", 50, 420, 290, 700),
        _block("right-above", 310, 100, 550, 300),
        _block("figure", 50, 320, 550, 400),
        _block("left-above", 50, 100, 290, 300),
        _block("right-below", 310, 420, 550, 700),
    ]
    order = [b.text for b in reading_order(blocks)]
    assert order == ["left-above", "right-above", "figure", "left-below", "right-below"]


def test_pieces_written_out_of_order_join_into_one_line():
    # The second half of the line is written first, as a shuffled content stream would.
    second = _word_glyphs("world", 100, 100)
    first = _word_glyphs("Hello", 70, 100)
    segments = build_segments([second, first])
    assert [s.text for s in segments] == ["Hello world"]


def test_gutter_splits_lines_into_segments():
    left = _word_glyphs("left column text", 50, 100)
    right = _word_glyphs("right column", 50 + 16 * 5 + 20, 100)
    segments = build_segments([left + right])
    assert sorted(s.text for s in segments) == ["left column text", "right column"]


def test_superscript_stays_on_its_line():
    base = _word_glyphs("area km", 50, 100)
    sup = [Glyph("2", 85, 97, 88.5, 103, 6.0)]
    rest = _word_glyphs(" total", 89, 100)
    segments = build_segments([base, sup, rest])
    assert len(segments) == 1 and segments[0].text.startswith("area km2")


def test_header_and_footer_frame_the_body():
    lines = [("Running header", 30), ("Body first line of the text", 120), ("Body second line of text", 134),
             ("Page 3", 770)]
    segments = build_segments([_word_glyphs(t, 60, y) for t, y in lines])
    blocks = group_blocks(segments)
    ordered = order_page(blocks, page_height=792)
    kinds = [b.kind for b in ordered]
    assert kinds[0] == "header" and kinds[-1] == "footer"
    assert ordered[1].text == "Body first line of the text\nBody second line of text"
