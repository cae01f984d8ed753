"""Right-to-left lines: visual order for layout, reading order for text; and a real Arabic PDF."""

from __future__ import annotations

import pytest

from docpipe.layout.bidi import is_rtl, logical_tokens, visual_run
from docpipe.layout.glyphs import Glyph, build_segments

SIZE = 10.0


def _rtl_run(word_groups: list[str], right: float = 500.0) -> list[Glyph]:
    """Glyphs as a PDF writes Arabic: logical order, x decreasing, a space between words."""
    glyphs, x = [], right
    for w, word in enumerate(word_groups):
        if w:
            glyphs.append(Glyph(" ", x - 3, 100, x, 110, SIZE))
            x -= 3
        for ch in word:
            glyphs.append(Glyph(ch, x - 5, 100, x, 110, SIZE))
            x -= 5
    return glyphs


def test_direction_follows_the_majority_of_strong_letters():
    assert is_rtl(list("مرحبا بالعالم R"))
    assert not is_rtl(list("Hello مرحبا world"))
    assert not is_rtl(list("123 ,."))


def test_an_arabic_run_comes_out_in_reading_order():
    (segment,) = build_segments([_rtl_run(["مرحبا", "بالعالم"])])
    assert segment.text == "مرحبا بالعالم"
    assert [g.x0 for g in segment.glyphs] == sorted(g.x0 for g in segment.glyphs)  # layout sees it left to right


def test_latin_words_and_numbers_inside_rtl_keep_their_own_order():
    # Visual order of "العدد 2024 في Python" drawn right to left: Python, في, 2024, العدد from the left.
    visual = list("Python") + [" "] + list("يف") + [" "] + list("2024") + [" "] + list("ددعلا")
    assert "".join(logical_tokens(visual)) == "العدد 2024 في Python"


def test_a_lam_alef_ligature_reads_lam_first():
    # A PDF gives the ligature's alef as a zero-width glyph at the lam's right edge.
    lam = Glyph("\u0644", 10, 0, 16, 10, SIZE)
    alef = Glyph("\u0625", 16, 0, 16, 10, SIZE)
    first = Glyph("\u0627", 16, 0, 19, 10, SIZE)
    glyphs = visual_run([first, alef, lam])
    assert "".join(logical_tokens([g.c for g in glyphs], glyphs)) == "\u0627\u0644\u0625"  # ال + إ


def test_corpus_arabic_page_reads_as_its_truth(corpus):
    pymupdf = pytest.importorskip("pymupdf")
    from docpipe.engines.text.page import extract_page
    from docpipe.evaluate.metrics import cer

    pdf = corpus / "born_digital" / "docling__right_to_left_01.pdf"
    truth = (corpus / "born_digital" / "docling__right_to_left_01.md").read_text()
    truth = " ".join(line.lstrip("#").strip() for line in truth.splitlines())
    with pymupdf.open(pdf) as doc:
        text = extract_page(doc[0], doc_id="x", source=str(pdf), page_number=1).text
    assert cer(text, truth) < 0.03  # 0.71 when lines came out in visual order
