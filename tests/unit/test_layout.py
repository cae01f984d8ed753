"""Reading order and line building on plain glyph tuples (no PDF library involved)."""

from __future__ import annotations

from docpipe.layout.blocks import LayoutBlock, group_blocks
from docpipe.layout.glyphs import Glyph, Segment, build_segments
from docpipe.layout.reading_order import order_page, reading_order


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
    assert kinds[0] == "header" and kinds[-1] == "page_number"
    assert ordered[1].text == "Body first line of the text\nBody second line of text"


def _text_block(lines: list[str], x0: float, y0: float, x1: float, size: float) -> LayoutBlock:
    """A block of text lines set at `size` points, one line every 1.2 sizes."""
    block = LayoutBlock(kind="paragraph")
    for i, text in enumerate(lines):
        top = y0 + i * size * 1.2
        block.grow(Segment([], x0, top, x1, top + size, size, text=text))
    return block


def test_notes_under_a_small_numbered_heading_are_still_notes():
    # As OCR sizes them: the heading "7 Results" comes out smaller than the body, and starts
    # with a number like a note. Body text below it must not stop the real note being found.
    blocks = [
        _text_block(["Body text of the left column that runs on", "and on to the next line."], 60, 100, 290, 12.5),
        _text_block(["7 Results"], 60, 560, 120, 11.5),
        _text_block(["The primary endpoint was the change", "in systolic pressure from baseline."], 60, 580, 290, 12.5),
        _text_block(["Right column text that ends low on the page", "well after the left one."], 320, 100, 550, 12.5),
        _text_block(["Right column, continued down to the foot."], 320, 660, 550, 12.5),
        _text_block(["2 Provisional data as of 31 January 2024."], 60, 715, 350, 8.5),
        _text_block(["© 2024 Helix Clinical Research Unit"], 60, 757, 250, 7.8),
    ]
    order = order_page(blocks, 792)
    note = next(b for b in order if b.text.startswith("2 Provisional"))
    assert note.kind == "footnote"
    assert order[-2] is note and order[-1].kind == "footer"


def test_last_line_read_large_above_a_figure_stays_with_its_paragraph():
    # OCR sized a paragraph's last line (a speck in its box) as a heading; set close under its
    # paragraph, it is not the figure's heading and is read before the right column.
    blocks = [
        _text_block(["Left column paragraph text, line one", "and line two of it."], 55, 253, 289, 11.3),
        _text_block(["Cost per million requests dropped from USD"], 55, 281.5, 283, 13.7),
        _text_block(["0.74 after the cache layer was redesigned.", "Deploy frequency increased."], 304, 76, 545, 11.0),
        _block("", 54, 311, 549, 461, kind="figure"),
        _text_block(["Figure 1. Monthly volumes by site."], 55, 466, 320, 9.8),
    ]
    texts = [b.text.split("\n")[0] for b in order_page(blocks, 792)]
    assert texts.index("Cost per million requests dropped from USD") < texts.index(
        "0.74 after the cache layer was redesigned.")


def test_a_word_hyphenated_at_a_line_end_is_whole_in_the_text_not_in_the_lines():
    from docpipe.layout.blocks import join_lines

    assert join_lines(["or as an irretrie-", "vably negative force", "in 2019-", "2020 and Jean-", "Paul"]) == \
        "or as an irretrievably\nnegative force\nin 2019-\n2020 and Jean-\nPaul"
    assert join_lines(["a line that ends in a hyphen-", "ated"]) == "a line that ends in a hyphenated"


def test_tex_accents_and_paired_quotes_read_as_the_letters_and_quotes_they_draw():
    # TeX draws "Ján Mináč" as J, a spacing acute over the a, n, ...: the accent overlaps its letter.
    glyphs = [Glyph("J", 100, 100, 105, 110, 10.0), Glyph("´", 105.5, 99, 109.5, 110, 10.0),
              Glyph("a", 105, 102, 110, 110, 10.0), Glyph("n", 110, 102, 115, 110, 10.0),
              Glyph(" ", 115, 102, 118, 110, 10.0), Glyph("ˇ", 119.5, 99, 123.5, 110, 10.0),
              Glyph("c", 119, 102, 124, 110, 10.0)]
    (segment,) = build_segments([glyphs])
    assert segment.text == "Ján č"
    quoted = _word_glyphs("‘‘noblesse oblige’’ was", 60, 200)
    assert build_segments([quoted])[0].text == "“noblesse oblige” was"
