"""Page furniture: headers, footers, page numbers and margin notes, by position and by repetition."""

from docpipe.layout.blocks import LayoutBlock
from docpipe.layout.furniture import mark_page_furniture, mark_running
from docpipe.layout.glyphs import Segment
from docpipe.layout.reading_order import order_page
from docpipe.records import Block, PageResult

W, H = 612.0, 792.0


def _block(text: str, x0: float, y0: float, x1: float, size: float = 10.0, bold: bool = False,
           lines: int = 1) -> LayoutBlock:
    block = LayoutBlock(kind="paragraph")
    for i in range(lines):
        top = y0 + i * size * 1.2
        block.grow(Segment([], x0, top, x1, top + size, size, bold=bold, text=text if i == 0 else "more text"))
    return block


def _body() -> list[LayoutBlock]:
    return [_block("Body text that runs across the column", 72, 120 + 14 * i, 540, lines=1) for i in range(30)]


def test_a_footer_line_of_separate_fields_is_footer_even_close_under_the_text():
    # Under a line's height of white space, but in three fields across the page: furniture.
    last = _block("Closing line of the body text", 72, 680, 540)
    fields = [_block("Revision: 2.4", 72, 697, 140, 12), _block("P/N 119-036", 276, 697, 330, 12),
              _block("10 June 2019", 480, 697, 540, 12)]
    mark_page_furniture(_body() + [last] + fields, W, H)
    assert [b.kind for b in fields] == ["footer"] * 3
    assert last.kind == "paragraph"
    alone = _block("Revision: 2.4 of the manual", 72, 697, 240, 12)
    mark_page_furniture(_body() + [_block("Closing line of the body text", 72, 680, 540), alone], W, H)
    assert alone.kind == "paragraph"  # one piece that close under the text is the text's last line


def test_a_stack_of_short_lines_above_a_gap_is_the_header_band():
    band = [_block("Downloaded from http://example.org/ on July 12", 136, 5, 476, 8),
            _block("Advocacy in Action", 68, 17, 138, 9), _block("447", 525, 17, 540, 9)]
    blocks = band + _body()
    ordered = order_page(blocks, H, W)
    assert [b.kind for b in band] == ["header", "header", "page_number"]
    assert {id(b) for b in ordered[:3]} == {id(b) for b in band}


def test_a_bold_heading_or_a_sentence_that_opens_the_page_is_no_header():
    heading = _block("The Evolution of the Word Processor", 72, 70, 300, 11, bold=True)
    sentence = _block("Table 3-1 summarizes these special registers and their values.", 137, 70, 420)
    for first in (heading, sentence):
        body = [_block("Body text that runs across the column", 72, 110 + 14 * i, 540) for i in range(30)]
        mark_page_furniture([first] + body, W, H)
        assert first.kind == "paragraph"


def test_a_footnote_at_the_foot_stays_a_footnote_candidate():
    note = _block("2 Provisional data as of 31 January 2024.", 72, 715, 350, 8.5)
    footer = _block("© 2024 Helix Clinical Research Unit", 72, 757, 250, 7.8)
    mark_page_furniture(_body() + [note, footer], W, H)
    assert note.kind == "paragraph" and footer.kind == "footer"


def test_text_up_the_side_margin_and_a_lone_number_under_the_text():
    side = LayoutBlock(kind="paragraph")
    side.grow(Segment([], 7, 150, 20, 490, 9.0, text="Downloaded from jipm.example.org on Monday"))
    number = _block("62", 300, 500, 312)
    body = [_block("Body text that runs across the column", 72, 100 + 14 * i, 540) for i in range(20)]
    mark_page_furniture(body + [side, number], W, H)
    assert side.kind == "header" and number.kind == "page_number"
    assert body[-1].kind == "paragraph"


def _page(number: int, blocks: list[tuple[str, str, list[float]]]) -> PageResult:
    return PageResult(doc_id="d", source="s", page=number, width=W, height=H, rotation=0, engine="text",
                      blocks=[Block(kind=k, text=t, bbox=b) for k, t, b in blocks])


def test_lines_that_recur_at_the_same_height_across_pages_are_running_furniture():
    pages = [
        _page(n, [("paragraph", "Row and Column Access Control Support in IBM DB2", [0.15, 0.95, 0.55, 0.96]),
                  ("paragraph", str(n + 10), [0.1, 0.95, 0.12, 0.96]),
                  ("paragraph", f"Body text of page {n}, its own words", [0.1, 0.3, 0.9, 0.5]),
                  ("paragraph", f"{word} opens this page", [0.1, 0.05, 0.4, 0.06])])
        for n, word in enumerate(["Alpha", "Beta", "Gamma", "Delta"], start=1)
    ]
    mark_running(pages)
    for page in pages:
        kinds = [b.kind for b in page.blocks]
        assert kinds == ["footer", "page_number", "paragraph", "paragraph"]


def test_captions_set_low_on_the_page_stay_captions():
    captions = [_block("Figure 7-26. Self-locking nuts.", 72, 718, 240), _block("Figure 7-27. Stainless nut.", 330, 718, 500)]
    number = _block("7-45", 520, 745, 540)
    mark_page_furniture(_body() + captions + [number], W, H)
    assert [b.kind for b in captions] == ["paragraph", "paragraph"] and number.kind == "footer"


def test_a_logo_in_the_bottom_margin_does_not_keep_the_footer_line_in_the_body():
    logo = LayoutBlock(kind="figure", x0=400, y0=720, x1=600, y1=790, text_override="")
    footer = _block("NETS 2015", 540, 700, 590, 8)
    body = [_block("Body text that runs across the column", 72, 120 + 14 * i, 380) for i in range(30)]
    mark_page_furniture(body + [logo, footer], W, H)
    assert footer.kind == "footer"
