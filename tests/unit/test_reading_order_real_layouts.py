"""Reading order on layouts real pages have: insets across the gutter, line-number columns, drop caps."""

import pymupdf

from docpipe.engines.text.page import extract_page

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
         "quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()


def _lines(tag: str, n: int) -> list[str]:
    return [f"{tag} " + " ".join(WORDS[(i * 5 + k) % len(WORDS)] for k in range(5)) for i in range(n)]


def _write(page, lines: list[str], x: float, y: float, size: float = 10.0, font: str = "helv") -> float:
    for line in lines:
        page.insert_text((x, y), line, fontsize=size, fontname=font)
        y += size * 1.3
    return y


def _page(build) -> pymupdf.Page:
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    build(page)
    return pymupdf.open("pdf", doc.tobytes())[0]


def _order(text: str, tags: list[str]) -> list[str]:
    firsts = {tag: text.find(tag) for tag in tags}
    assert all(v >= 0 for v in firsts.values()), firsts
    return sorted(tags, key=firsts.get)


def test_an_inset_across_the_gutter_does_not_cut_the_columns():
    def build(page):
        _write(page, _lines("Lone", 8), 60, 80)           # left column, above the inset
        _write(page, _lines("Ltwo", 12), 60, 470)         # left column, below it
        _write(page, _lines("Rone", 8), 320, 80)          # right column, above
        _write(page, _lines("Rtwo", 12), 320, 470)        # right column, below
        page.draw_rect(pymupdf.Rect(180, 210, 430, 420), color=(0, 0, 0), fill=(0.6, 0.6, 0.6))  # the photo
        page.insert_text((190, 438), "Figure 1. The photo set across the gutter.", fontsize=9, fontname="helv")

    result = extract_page(_page(build), doc_id="d", source="s", page_number=1)
    assert any(b.kind == "figure" for b in result.blocks)
    assert _order(result.text, ["Lone", "Ltwo", "Rone", "Rtwo"]) == ["Lone", "Ltwo", "Rone", "Rtwo"]
    caption = result.text.find("Figure 1.")
    assert result.text.find("Lone") < caption < result.text.find("Ltwo")  # read where the inset stands


def test_a_full_width_figure_still_divides_the_column_sections():
    def build(page):
        _write(page, _lines("Lone", 8), 60, 80)
        _write(page, _lines("Rone", 8), 320, 80)
        page.draw_rect(pymupdf.Rect(60, 200, 552, 400), color=(0, 0, 0), fill=(0.6, 0.6, 0.6))
        _write(page, _lines("Ltwo", 8), 60, 430)
        _write(page, _lines("Rtwo", 8), 320, 430)

    result = extract_page(_page(build), doc_id="d", source="s", page_number=1)
    assert _order(result.text, ["Lone", "Ltwo", "Rone", "Rtwo"]) == ["Lone", "Rone", "Ltwo", "Rtwo"]


def test_a_line_number_column_numbers_its_lines():
    def build(page):
        for i in range(1, 26):
            y = 60 + i * 24
            label = str(i)
            page.insert_text((104 - pymupdf.get_text_length(label, fontsize=11), y), label, fontsize=11)
            if i not in (11, 20):
                page.insert_text((126, y), f"transcript line {WORDS[i % 26]} {WORDS[(i + 1) % 26]}", fontsize=11)

    result = extract_page(_page(build), doc_id="d", source="s", page_number=1)
    lines = result.text.split("\n")
    assert "1 transcript line bravo charlie" in lines
    assert "12 transcript line mike november" in lines
    assert "11" in lines and lines.index("11") == lines.index("10 transcript line kilo lima") + 1


def test_a_drop_capital_starts_its_word_again():
    def build(page):
        page.insert_text((60, 110), "O", fontsize=34, fontname="tiro")
        _write(page, ["ver the past three decades increasing", "pressure from non governmental groups",
                      "has come to bear on the industry"], 88, 90, size=9, font="tiro")
        _write(page, _lines("Body", 4), 60, 140, size=9)

    result = extract_page(_page(build), doc_id="d", source="s", page_number=1)
    assert result.text.startswith("Over the past three decades increasing\npressure")
    assert not any(b.text == "O" for b in result.blocks)


def _cards(page, numbers: list[int]) -> None:
    """A 2x2 grid of framed cards; numbers[i] heads the card at top-left, top-right, bottom-left, bottom-right."""
    spots = [(60, 120), (320, 120), (60, 330), (320, 330)]
    for number, (x, y) in zip(numbers, spots):
        page.draw_rect(pymupdf.Rect(x, y, x + 240, y + 190), color=(0, 0, 0), width=1)
        page.insert_text((x + 12, y + 24), f"{number}. Card {WORDS[number]}", fontsize=12, fontname="hebo")
        _write(page, _lines(f"Text{number}", 3), x + 12, y + 60 if number % 2 else y + 90)


def test_numbered_cards_in_a_grid_are_read_in_their_numbers_order():
    for numbers in ([1, 2, 3, 4], [1, 3, 2, 4]):  # numbered by rows, then by columns
        result = extract_page(_page(lambda page: _cards(page, numbers)), doc_id="d", source="s", page_number=1)
        heads = [f"{n}. Card" for n in (1, 2, 3, 4)]
        assert _order(result.text, heads) == heads, numbers
        # each card is read whole: its text follows its heading before the next card starts
        assert result.text.find("2. Card") < result.text.find("Text2") < result.text.find("3. Card")


def _note_page(page, left_note: bool, full_width_note: bool) -> None:
    _write(page, _lines("Lbody", 40), 60, 80)
    _write(page, _lines("Rbody", 44), 320, 80)
    if left_note:
        _write(page, ["1 Lnote " + " ".join(WORDS[:5]), "continued " + " ".join(WORDS[5:9])], 60, 640, size=7.5)
    if full_width_note:
        page.insert_text((60, 760), "2 Wnote a note under both columns " + " ".join(WORDS[:12]), fontsize=7.5)


def test_a_footnote_at_the_foot_of_a_column_is_read_with_that_column():
    result = extract_page(_page(lambda p: _note_page(p, True, True)), doc_id="d", source="s", page_number=1)
    kinds = {b.text.split()[1]: b.kind for b in result.blocks if b.text.split()[1:2] in (["Lnote"], ["Wnote"])}
    assert kinds == {"Lnote": "footnote", "Wnote": "footnote"}
    # left column, its note, right column; the note under both columns after all of the body
    tags = ["Lbody", "Lnote", "Rbody", "Wnote"]
    assert _order(result.text, tags) == tags
    assert result.text.rfind("Rbody") < result.text.find("Wnote")


def test_a_footnote_across_a_single_column_stays_after_the_body():
    def build(page):
        _write(page, _lines("Body", 30), 60, 80)
        _write(page, ["1 Fnote " + " ".join(WORDS[:6])], 60, 700, size=7.5)

    result = extract_page(_page(build), doc_id="d", source="s", page_number=1)
    assert [b.kind for b in result.blocks if "Fnote" in b.text] == ["footnote"]
    assert result.text.rfind("Body") < result.text.find("Fnote")
    assert result.blocks[-1].kind == "footnote"


def test_corpus_korean_report_reads_its_column_footnotes_in_their_column(corpus):
    # Notes 1) and 2) stand at the foot of the left column, under the text that calls them ("상해1)나 재해2)").
    with pymupdf.open(corpus / "born_digital" / "docling__normal_4pages.pdf") as doc:
        result = extract_page(doc[0], doc_id="d", source="s", page_number=1)
    text = result.text
    call, note, right = text.find("재해2)로 보아야 할지"), text.find("1) 손해보험의"), text.find("이슈가 될 것으로")
    assert 0 <= call < note < right
    assert [b.kind for b in result.blocks if b.text.startswith("1) 손해보험의")] == ["footnote"]
    # the author's note under both columns comes after all of the columns' text
    assert text.find("* 경제산업조사실") > text.find("질병은 보장대상이 되지 않는")


def test_a_check_box_in_a_larger_symbol_font_keeps_its_item_whole():
    def build(page):
        for i, y in enumerate((100, 140)):
            page.insert_text((60, y + 1), "\u2751", fontsize=13, fontname="zadb")  # the box, 13 pt
            page.insert_text((76, y), f"Item{i} they coordinate the appointments of private practitioners, or panel appoint-",
                             fontsize=9, fontname="helv")
            page.insert_text((76, y + 11), "ments) to legal aid cases", fontsize=9, fontname="helv")

    result = extract_page(_page(build), doc_id="d", source="s", page_number=1)
    assert "panel appointments)\nto legal aid cases" in result.text  # one block: the word made whole
    assert not any(b.text.startswith("ments)") for b in result.blocks)


def test_corpus_framed_infobox_is_read_whole_beside_the_paragraph_that_wraps_round_it(corpus):
    # Wikipedia's infobox is framed; the paragraph beside it runs on under it at full width.
    with pymupdf.open(corpus / "born_digital" / "olmocr__edgar.pdf") as doc:
        text = extract_page(doc[0], doc_id="d", source="s", page_number=1).text
    law, box_top, box_end = text.find("enforcement\nof the law."), text.find("King of the English"), \
        text.find("Ælfgifu of Shaftesbury")
    wraps = text.find("England had suffered from Viking")
    assert 0 <= law < box_top < box_end < wraps
