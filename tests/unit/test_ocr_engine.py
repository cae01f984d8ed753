"""The OCR engine on scans made in the test (known text) and on the corpus's real scans."""

from __future__ import annotations

import pymupdf
import pytest
from PIL import Image, ImageChops

from docpipe.engines.ocr.page import _line_direction, ocr_page
from docpipe.engines.ocr.tesseract import TesseractEngine, check_languages
from docpipe.errors import TesseractUnavailable
from docpipe.evaluate.metrics import cer
from support.scanmaker import PARAGRAPHS, scan, table_page, text_page


@pytest.fixture(scope="module")
def engine():
    tesseract = TesseractEngine("eng")
    yield tesseract
    tesseract.close()


def _ocr(engine, image, dpi=300):
    return ocr_page(image, dpi, engine, doc_id="d", source="scan", page_number=1)


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_turned_and_skewed_page_is_read_upright(engine, turn):
    doc, truth = text_page(paragraphs=PARAGRAPHS_SHORT)
    result = _ocr(engine, scan(doc, dpi=200, skew=1.2, turn=turn, noise=0.002, blur=0.6, jpeg=60), dpi=200)
    assert result.engine == "ocr" and result.status == "ok"
    assert result.rotation == (360 - turn) % 360
    assert (result.width, result.height) == pytest.approx((612, 792), abs=1.0)  # upright again
    assert cer(result.text, truth) <= 0.01


def test_dense_skewed_page_whose_profiles_look_sideways_stays_upright(engine):
    # Skewed by 1.5 degrees, the rows of a dense two-column page smear into each other and its
    # line profiles say "sideways"; Tesseract's confident OSD must win over them.
    doc, truth = text_page(columns=2, size=10, paragraphs=PARAGRAPHS * 8)
    image = scan(doc, dpi=300, skew=1.5)
    assert _line_direction(image) == "vertical"  # the case this test is about
    result = _ocr(engine, image)
    assert result.rotation == 0
    assert cer(result.text[:400], truth[:400]) <= 0.02  # (the truth runs on past the page's foot)


def test_lines_have_boxes_and_confidences(engine):
    doc, truth = text_page(paragraphs=PARAGRAPHS_SHORT)
    result = _ocr(engine, scan(doc, dpi=200), dpi=200)
    assert len(result.lines) == len(truth.splitlines())
    first = result.lines[0]
    # The first line was drawn at x=72 pt, baseline y=100 pt on a 612 x 792 page.
    assert first.bbox[0] == pytest.approx(72 / 612, abs=0.01)
    assert first.bbox[1] == pytest.approx(92 / 792, abs=0.01)
    for line in result.lines:
        assert 0.5 < line.confidence <= 1.0
        x0, y0, x1, y1 = line.bbox
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


def test_two_columns_are_read_column_by_column(engine):
    doc, truth = text_page(columns=2)
    result = _ocr(engine, scan(doc, dpi=200, skew=-0.8), dpi=200)
    assert cer(result.text, truth) <= 0.01
    column_two = PARAGRAPHS[3].split()[0:4]
    assert result.text.index(" ".join(column_two)) > result.text.index(PARAGRAPHS[2].split()[-1])


@pytest.mark.parametrize("side_rules", [True, False])
def test_ruled_table_on_a_scan(engine, side_rules):
    rows = [["Region", "Units", "Revenue"], ["North", "1,204", "$45,310.50"], ["South", "987", "$38,002.75"],
            ["East", "2,311", "$91,448.00"], ["West", "640", "$22,120.10"]]
    page = table_page(rows, side_rules=side_rules)
    result = _ocr(engine, scan(page, dpi=300, skew=0.7, noise=0.001, blur=0.5), dpi=300)
    assert len(result.tables) == 1
    table = result.tables[0]
    assert (table.n_rows, table.n_cols) == (5, 3)
    got = {(c.row, c.col): c.text for c in table.cells}
    right = sum(got.get((r, c)) == text for r, row in enumerate(rows) for c, text in enumerate(row))
    assert right >= 0.9 * 15
    assert "|" not in result.text  # the rulings were not read as characters


def test_blank_scan_is_an_empty_ok_page(engine):
    result = _ocr(engine, Image.new("L", (1700, 2200), 255), dpi=200)
    assert result.status == "ok" and result.text == "" and result.lines == []


def test_missing_language_data_says_what_to_install():
    with pytest.raises(TesseractUnavailable, match="tesseract-ocr-xyz"):
        check_languages("eng+xyz")


def test_corpus_phototest_turned_pages_match_the_upright_one(engine, corpus):
    scans = corpus / "scans"
    truth = (scans / "tesseract__phototest.txt").read_text()
    upright = Image.open(scans / "tesseract__phototest.tif")
    base = cer(_ocr(engine, upright, None).text, truth)
    for name, rotation in [("L", 90), ("R", 270), ("180", 180)]:
        image = Image.open(scans / f"tesseract__phototest-rotated-{name}.png")
        result = _ocr(engine, image, None)
        assert result.rotation == rotation
        assert cer(result.text, truth) <= base + 0.01


PARAGRAPHS_SHORT = [
    "Quarterly shipments rose by nine percent, driven by strong demand in the north.",
    "The warehouse in Leeds handled most of the returned goods during the spring.",
    "Customer complaints dropped to their lowest level since the records began in 2011.",
]


@pytest.mark.parametrize("turned", ["", "_rotated_90", "_rotated_180", "_rotated_270"])
def test_corpus_three_line_page_turned_any_way_is_read(engine, corpus, turned):
    """Three lines of text: too little for Tesseract's orientation guess alone (confidence 2-3)."""
    import pymupdf

    from docpipe.config import Limits, RenderConfig
    from docpipe.io.render import render_for_ocr

    page = pymupdf.open(corpus / "scans" / f"docling__ocr_test{turned}.pdf")[0]
    image, dpi = render_for_ocr(page, 150, RenderConfig(), Limits())
    result = _ocr(engine, image, dpi)
    truth = (corpus / "scans" / "docling__ocr_test.md").read_text()
    assert cer(result.text, truth) <= 0.02


def test_specks_are_dropped_and_real_punctuation_kept():
    from docpipe.engines.ocr.page import _glyphs
    from docpipe.engines.ocr.recognizer import OcrLine, OcrWord

    # Measured on a generated heavy scan: a gutter speck read as '_' (0.55) joined two columns.
    words = [OcrWord("than", (0, 0, 80, 40), 0.8), OcrWord("_", (100, 0, 140, 40), 0.55),
             OcrWord(".", (150, 0, 155, 40), 0.2), OcrWord("—", (160, 0, 200, 40), 0.91),
             OcrWord("Of", (210, 0, 250, 40), 0.94), OcrWord("a", (260, 0, 280, 40), 0.3)]
    kept = [g.c.strip() for g in _glyphs(OcrLine(words, (0, 0, 280, 40), 40.0), 0.24)]
    assert kept == ["than", "—", "Of", "a"]
    # A speck read confidently as '.' before a caption hid "Table 3." from the caption rule.
    words = [OcrWord(".", (0, 0, 6, 40), 0.9), OcrWord("Table", (20, 0, 90, 40), 0.95),
             OcrWord("3.", (100, 0, 120, 40), 0.95)]
    assert [g.c.strip() for g in _glyphs(OcrLine(words, (0, 0, 120, 40), 40.0), 0.24)] == ["Table", "3."]


def test_grey_chart_across_a_dull_scan_separates_the_columns(engine):
    # A chart printed as a grey fill in a thin frame, on a dull scan with uneven lighting: fill
    # and frame both lie above the ink threshold. Seen as a figure, it ends the columns above it.
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    texts = {}
    for name, x, y, paragraphs in (("left-above", 72, 100, PARAGRAPHS[0:2]), ("right-above", 324, 100, PARAGRAPHS[2:4]),
                                   ("left-below", 72, 470, PARAGRAPHS[4:5]), ("right-below", 324, 470, PARAGRAPHS[5:6])):
        box = pymupdf.Rect(x, y, x + 216, y + 200)
        text = " ".join(paragraphs)
        assert page.insert_textbox(box, text, fontname="helv", fontsize=10) > 0
        texts[name] = text
    page.draw_rect(pymupdf.Rect(72, 290, 540, 440), color=(0.62, 0.62, 0.62), fill=(0.86, 0.86, 0.86), width=0.5)
    image = scan(doc, dpi=300, blur=0.6, jpeg=60)
    width, height = image.size
    lighting = Image.linear_gradient("L").resize((width, height)).point(lambda v: v * 20 // 255)
    dull = Image.eval(image, lambda v: 70 + v * 135 // 255)
    image = ImageChops.subtract(dull, lighting)
    image.info["dpi"] = (300, 300)
    result = _ocr(engine, image)
    figures = [b for b in result.blocks if b.kind == "figure"]
    assert len(figures) == 1
    x0, y0, x1, y1 = figures[0].bbox
    assert x0 < 0.15 and x1 > 0.85 and abs(y0 - 290 / 792) < 0.02 and abs(y1 - 440 / 792) < 0.02
    starts = [result.text.index(texts[name].split()[0] + " " + texts[name].split()[1])
              for name in ("left-above", "right-above", "left-below", "right-below")]
    assert starts == sorted(starts)


def test_middle_dots_and_bullets_are_told_from_their_ink(engine):
    # The eng model has neither '·' nor '•': it reads them as '-', '*', '+', '¢' or drops them.
    # Bullets are drawn as discs (a fifth of the font size, as in common fonts; the base-14
    # Helvetica bullet PyMuPDF draws is a dot no bigger than '·').
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    lines = [(72, "Northwind Freight Ltd. · Annual Review · 2023", False),
             (86, "Missing outcome data were handled by imputation.", True),
             (86, "The board approved a new budget for maintenance.", True),
             (72, "A plain line - with a real hyphen between words.", False)]
    for i, (x, text, bullet) in enumerate(lines):
        y = 100 + 20 * i
        page.insert_text((x, y), text, fontname="helv", fontsize=11)
        if bullet:
            page.draw_circle((77, y - 3.5), 1.3, color=(0, 0, 0), fill=(0, 0, 0))
    truth = "\n".join(("• " if bullet else "") + text for _, text, bullet in lines)
    result = _ocr(engine, scan(doc, dpi=300, blur=0.5, jpeg=70))
    got = result.text.splitlines()
    assert got[0].count("·") == 2 and "-" not in got[0]
    assert [line[:2] for line in got[1:3]] == ["• ", "• "]
    assert " - " in got[3] and "·" not in got[3]
    assert cer(result.text, truth) <= 0.02


def test_words_read_unsure_are_read_again_by_the_latin_model(engine):
    # The eng model has no ü, Î or ß: it writes the nearest letters it has, unsure of them.
    paragraphs = ["The depots in Württemberg, Düsseldorf and São Paulo shipped more this year than last.",
                  "Sales offices in Málaga and Île-de-France were merged; the Straße office closed.",
                  PARAGRAPHS[0]]
    doc, truth = text_page(paragraphs=paragraphs)
    image = scan(doc, dpi=300, blur=0.5, jpeg=70)
    eng_only = _ocr(engine, image)
    with_reread = TesseractEngine("eng", reread="Latin")
    try:
        reread = _ocr(with_reread, image)
    finally:
        with_reread.close()
    for word in ("Württemberg", "Düsseldorf", "Île-de-France", "Straße"):
        assert word not in eng_only.text and word in reread.text
    assert reread.text.splitlines()[2] == PARAGRAPHS[0]  # sure words are left as they were read
    assert cer(reread.text, truth) < cer(eng_only.text, truth)


class _RereadCounter(TesseractEngine):
    """A real engine that records which readings it was asked to re-read."""

    def __init__(self):
        super().__init__("eng", reread="Latin")
        self.reread_calls: list[float] = []  # the mean confidence of each reading handed over

    def reread_unsure(self, lines, image, dpi):
        words = [w.confidence for line in lines for w in line.words]
        self.reread_calls.append(sum(words) / len(words))
        super().reread_unsure(lines, image, dpi)


def test_only_the_kept_reading_is_read_again():
    # Upside down, the page is first read upright: all unsure words, which are not worth a re-read.
    doc, truth = text_page(paragraphs=PARAGRAPHS_SHORT)
    counter = _RereadCounter()
    try:
        result = _ocr(counter, scan(doc, dpi=200, turn=180, noise=0.002), dpi=200)
    finally:
        counter.close()
    assert result.rotation == 180 and cer(result.text, truth) <= 0.01
    assert len(counter.reread_calls) == 1 and counter.reread_calls[0] > 0.9


def test_jpeg_page_reaches_tesseract_as_its_own_pixels(engine, tmp_path):
    # tesserocr's SetImage re-encodes an image opened from a JPEG as JPEG again, losing detail.
    doc, _ = text_page(paragraphs=PARAGRAPHS_SHORT)
    path = tmp_path / "page.jpg"
    scan(doc, dpi=200, noise=0.002, jpeg=60).save(path)
    opened = Image.open(path)
    assert opened.format == "JPEG"

    def binarized():
        return engine._api.GetThresholdedImage().convert("L")

    engine.recognize(opened, 200)
    seen = binarized()
    engine._api.SetImageBytes(opened.tobytes(), opened.width, opened.height, 1, opened.width)
    assert ImageChops.difference(seen, binarized()).getbbox() is None
    engine._api.SetImage(opened)  # the re-encoding path: other pixels
    assert ImageChops.difference(seen, binarized()).getbbox() is not None


def test_missing_reread_model_says_how_to_install_or_skip_it():
    from docpipe.engines.ocr.tesseract import check_reread

    with pytest.raises(TesseractUnavailable, match="--ocr-reread none"):
        check_reread("Xyzzy")


def test_spaced_hyphen_whose_box_stops_inside_it_stays_a_hyphen():
    from docpipe.engines.ocr.recognizer import OcrLine, OcrWord
    from docpipe.engines.ocr.symbols import fix_symbols

    # Measured on a Times scan: Tesseract boxed the middle 5 px of a 12 x 4 px hyphen; measured
    # inside that box the ink was as wide as tall, and the hyphen was written as a middle dot.
    image = Image.new("L", (200, 60), 255)
    image.paste(0, (20, 10, 60, 50))     # "import"
    image.paste(0, (80, 30, 92, 34))     # the hyphen
    image.paste(0, (110, 10, 160, 50))   # "from"
    line = OcrLine([OcrWord("import", (20, 10, 60, 50), 0.9), OcrWord("-", (84, 29, 89, 35), 0.9),
                    OcrWord("from", (110, 10, 160, 50), 0.9)], (20, 10, 160, 50), 40.0)
    fix_symbols([line], image)
    assert [w.text for w in line.words] == ["import", "-", "from"]
    dot = OcrLine([OcrWord("-", (84, 29, 89, 35), 0.9)], (20, 10, 160, 50), 40.0)
    image.paste(255, (80, 30, 92, 34))
    image.paste(0, (84, 30, 89, 35))     # a real middle dot, as wide as tall
    fix_symbols([dot], image)
    assert dot.words[0].text == "·"


@pytest.fixture(scope="module")
def fraktur_engine():
    tesseract = TesseractEngine("eng", reread="Latin", script="Fraktur")
    yield tesseract
    tesseract.close()


@pytest.mark.parametrize("name", ["ocrd__kant_aufklaerung_1784_0017", "ocrd__line_perthes_buchhandel_1816_0012_016"])
def test_corpus_fraktur_is_read_with_the_fraktur_model(engine, fraktur_engine, corpus, name):
    """Eng reads blackletter unsure (its words average 0.6-0.8): the page is read again with Fraktur, which wins."""
    scans = corpus / "scans"
    truth_file = scans / f"{name}.txt"
    truth = (truth_file if truth_file.exists() else scans / f"{name}.gt.txt").read_text()
    image = Image.open(scans / f"{name}.tif")
    with_eng = cer(_ocr(engine, image, None).text, truth)
    with_fraktur = cer(_ocr(fraktur_engine, image, None).text, truth)
    assert with_fraktur <= 0.11 and with_fraktur < with_eng - 0.05, (with_eng, with_fraktur)


def test_corpus_latin_pages_keep_the_main_model_when_a_script_model_is_there(fraktur_engine, corpus):
    scans = corpus / "scans"
    without_script = TesseractEngine("eng", reread="Latin")
    try:
        for name in ("tesseract__phototest.tif", "tesseract__eurotext.tif"):
            image = Image.open(scans / name)
            assert _ocr(fraktur_engine, image, None).text == _ocr(without_script, image, None).text
    finally:
        without_script.close()


def test_missing_script_model_says_how_to_install_or_skip_it():
    from docpipe.config import OcrConfig
    from docpipe.engines.ocr.tesseract import preflight

    with pytest.raises(TesseractUnavailable, match="--ocr-script none"):
        preflight(OcrConfig(script="Xyzzy"))
