"""Skew and table rulings of scanned pages: pages drawn with Pillow at 300 dpi, and real scans of the corpus."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from docpipe.engines.ocr.rulings import erase_rulings, find_rulings
from docpipe.engines.ocr.scan import dark_mask, estimate_skew

W, H = 2550, 3300  # US Letter at 300 dpi
MIN_RULING = 90  # 0.3 inch, as the OCR engine asks

PARAGRAPHS = [
    "The committee reviewed the quarterly figures and noted that revenue grew in every region except "
    "the northern division, where a late shipment of components delayed two large orders.",
    "Management expects the backlog to clear during the next period. Operating costs rose modestly, "
    "mostly because of higher freight charges and the opening of a new warehouse near the harbour.",
    "In other business, the board approved a revised travel policy, agreed to publish the annual report "
    "in both languages, and asked the auditors to review the treatment of long-term leases.",
    "Questions from shareholders concerned the dividend, the minimum investment in maintenance, and the "
    "timetable for replacing the ageing fleet of delivery vehicles.",
]


def font(name: str = "tiro", px: int = 46) -> ImageFont.FreeTypeFont:
    """A real outline font: PyMuPDF's Times ("tiro", "tibo") and Helvetica ("helv", "hebo") clones."""
    try:
        import pymupdf
        return ImageFont.truetype(io.BytesIO(pymupdf.Font(name).buffer), px)
    except ImportError:
        return ImageFont.load_default(size=px)


def text_page(columns: int = 1, name: str = "tiro", px: int = 46) -> Image.Image:
    """Paragraphs of wrapped sentences with 1-inch margins; 46 px is 11 pt at 300 dpi."""
    img = Image.new("L", (W, H), 255)
    draw, face = ImageDraw.Draw(img), font(name, px)
    gutter = 100
    width = (W - 600 - (columns - 1) * gutter) // columns
    for c in range(columns):
        x, y, p = 300 + c * (width + gutter), 300 + 17 * c, c  # baselines differ across the gutter
        while y < H - 300 - px:
            words, line = PARAGRAPHS[p % len(PARAGRAPHS)].split(), []
            for word in words + [None]:
                if word is not None and face.getlength(" ".join(line + [word])) <= width:
                    line.append(word)
                    continue
                if y < H - 300 - px:
                    draw.text((x, y), " ".join(line), fill=0, font=face)
                y, line = y + int(px * 1.25), [word]
            y, p = y + int(px * 0.6), p + 1
    return img


def rotate(img: Image.Image, degrees: float) -> Image.Image:
    return img.rotate(degrees, expand=False, fillcolor=255, resample=Image.BICUBIC)


def scanned(img: Image.Image, seed: int = 0) -> Image.Image:
    """Blur, Gaussian noise and a JPEG round trip at quality 30."""
    blurred = np.asarray(img.filter(ImageFilter.GaussianBlur(1.0)), np.float32)
    noise = np.random.default_rng(seed).standard_normal(blurred.shape, dtype=np.float32) * 20
    buf = io.BytesIO()
    Image.fromarray(np.clip(blurred + noise, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=30)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")


@pytest.fixture(scope="module")
def one_column():
    return text_page()


@pytest.fixture(scope="module")
def two_columns():
    return text_page(columns=2, name="helv", px=40)


# --- skew -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("angle", [-2.7, -1.3, -0.4, 0.0, 0.8, 1.5, 2.9])
def test_skew_undoes_pil_rotation(one_column, angle):
    assert estimate_skew(np.asarray(rotate(one_column, angle))) == pytest.approx(-angle, abs=0.1)


@pytest.mark.parametrize("angle", [-2.7, 0.13, 1.5])
def test_skew_of_noisy_blurred_jpeg_scan(one_column, angle):
    assert estimate_skew(np.asarray(scanned(rotate(one_column, angle)))) == pytest.approx(-angle, abs=0.1)


@pytest.mark.parametrize("angle", [-2.9, -0.4, 0.0, 0.8])
def test_skew_of_two_column_page(two_columns, angle):
    page = rotate(two_columns, angle)
    if angle == -0.4:
        page = scanned(page, seed=1)
    assert estimate_skew(np.asarray(page)) == pytest.approx(-angle, abs=0.1)


def test_skew_sign_follows_pil():
    """A line rising to the right on screen (PIL rotated it counter-clockwise) is turned back clockwise."""
    img = Image.new("L", (W, H), 255)
    draw = ImageDraw.Draw(img)
    for y in range(400, 3000, 60):  # text-like bars, rising by 1 px every 50 px: atan(1/50) = 1.146 deg
        for x in range(300, 2200, 100):
            draw.polygon([(x, y - x / 50), (x + 80, y - (x + 80) / 50), (x + 80, y + 20 - (x + 80) / 50),
                          (x, y + 20 - x / 50)], fill=0)
    assert estimate_skew(np.asarray(img)) == pytest.approx(-math.degrees(math.atan(1 / 50)), abs=0.05)


def test_blank_and_near_blank_pages_give_zero():
    rng = np.random.default_rng(2)
    white = np.full((H, W), 255, np.uint8)
    noise = np.clip(250 + rng.normal(0, 12, (H, W)), 0, 255).astype(np.uint8)
    specks = white.copy()
    specks[rng.random((H, W)) < 0.001] = 0
    page_number = Image.new("L", (W, H), 255)
    ImageDraw.Draw(page_number).text((1250, 3100), "- 7 -", fill=0, font=font())
    for page in (white, noise, specks, np.asarray(rotate(page_number, 2.0))):
        assert estimate_skew(page) == 0.0


# --- rulings --------------------------------------------------------------------------------------

XS, YS, LW = [300, 800, 1300, 1800, 2250], [600, 720, 840, 960, 1080, 1200], 2


@pytest.fixture(scope="module")
def table_page(one_column) -> Image.Image:
    """A 5 x 4 grid of 2 px lines; some words sit on a cell's bottom line or touch its left one."""
    img = one_column.copy()
    draw, face = ImageDraw.Draw(img), font("tiro", 42)
    draw.rectangle([XS[0] - 40, YS[0] - 40, XS[-1] + 40, YS[-1] + 40], fill=255)
    for y in YS:
        draw.rectangle([XS[0], y, XS[-1] + LW - 1, y + LW - 1], fill=0)
    for x in XS:
        draw.rectangle([x, YS[0], x + LW - 1, YS[-1] + LW - 1], fill=0)
    for r in range(5):
        for c in range(4):
            if (r + c) % 3 == 0:
                draw.text((XS[c] + 20, YS[r + 1]), "Minimum", fill=0, font=face, anchor="ls")
            elif (r + c) % 5 == 1:
                draw.text((XS[c] + LW, YS[r] + 30), "Illumination", fill=0, font=face)
            else:
                draw.text((XS[c] + 20, YS[r] + 30), "Quantity 1,250", fill=0, font=face)
    return img


def turned(x: float, y: float, degrees: float) -> tuple[float, float]:
    """Where PIL's rotate(degrees) about the page centre moves the point (x, y)."""
    a, dx, dy = math.radians(degrees), x - W / 2, y - H / 2
    return W / 2 + dx * math.cos(a) + dy * math.sin(a), H / 2 - dx * math.sin(a) + dy * math.cos(a)


def assert_grid(horizontal, vertical, degrees: float = 0.0) -> None:
    assert len(horizontal) == len(YS) and len(vertical) == len(XS)
    for (y, x0, x1), y_drawn in zip(horizontal, YS):
        (ax, ay), (bx, by) = turned(XS[0], y_drawn + LW / 2, degrees), turned(XS[-1] + LW, y_drawn + LW / 2, degrees)
        assert y == pytest.approx((ay + by) / 2, abs=2)
        assert (x0, x1) == pytest.approx((ax, bx), abs=3)
    for (x, y0, y1), x_drawn in zip(vertical, XS):
        (ax, ay), (bx, by) = turned(x_drawn + LW / 2, YS[0], degrees), turned(x_drawn + LW / 2, YS[-1] + LW, degrees)
        assert x == pytest.approx((ax + bx) / 2, abs=2)
        assert (y0, y1) == pytest.approx((ay, by), abs=3)


def test_ruled_table_found_with_positions_and_extents(table_page):
    assert_grid(*find_rulings(np.asarray(table_page), MIN_RULING))


def test_ruled_table_in_a_noisy_scan_turned_a_little(table_page):
    page = np.asarray(scanned(rotate(table_page, 0.3)))
    assert_grid(*find_rulings(page, MIN_RULING), degrees=0.3)


@pytest.mark.parametrize("thickness", [1, 8])
def test_thin_and_thick_rulings_in_a_noisy_scan(one_column, thickness):
    img = one_column.copy()
    draw = ImageDraw.Draw(img)
    draw.rectangle([300, 900, 2250, 2500], fill=255)
    draw.rectangle([400, 1000, 2000, 1000 + thickness - 1], fill=0)
    draw.rectangle([700, 1100, 700 + thickness - 1, 2400], fill=0)
    horizontal, vertical = find_rulings(np.asarray(scanned(img)), MIN_RULING)
    assert len(horizontal) == 1 and horizontal[0] == pytest.approx((1000 + thickness / 2, 400, 2000), abs=2)
    assert len(vertical) == 1 and vertical[0] == pytest.approx((700 + thickness / 2, 1100, 2400), abs=2)


def test_text_gives_no_rulings_but_an_underline_may():
    page = text_page(name="tibo")  # bold serif: serifs along the baseline nearly touch
    draw, face = ImageDraw.Draw(page), font("helv", 46)
    draw.rectangle([300, 2700, W - 300, 3000], fill=255)
    draw.text((300, 2800), "Signature: ____________________", fill=0, font=face, anchor="ls")
    draw.text((300, 2900), "Underlined, with descenders: gypsy quietly jumping", fill=0, font=face, anchor="ls")
    draw.rectangle([300, 2906, 1400, 2908], fill=0)
    allowed = (2807, 2907.5)  # the row of underscores below the baseline, the underline
    for img in (page, scanned(page), text_page(columns=2, name="hebo", px=40)):
        horizontal, vertical = find_rulings(np.asarray(img), MIN_RULING)
        assert vertical == []
        assert all(min(abs(y - a) for a in allowed) < 8 for y, _, _ in horizontal)
    assert find_rulings(np.asarray(page), MIN_RULING)[0][-1] == pytest.approx((2907.5, 300, 1401), abs=1)


def test_photos_and_black_bars_give_no_rulings():
    img = np.full((H, W), 255, np.uint8)
    img[400:1200, 300:1500] = 0  # a black photo
    img[1400:1414, 300:2200] = 0  # a bar 14 px thick
    yy, xx = np.mgrid[0:1200, 0:1800].astype(np.float32)
    tone = 0.5 + 0.45 * np.sin(xx / 230) * np.cos(yy / 170)
    for u, v in ((xx, yy), ((xx + yy) / math.sqrt(2), (xx - yy) / math.sqrt(2))):  # 0 and 45 degree screens
        screen = (np.cos(2 * np.pi * u / 4.2) * np.cos(2 * np.pi * v / 4.2) + 1) / 2
        img[1600:2800, 400:2200] = np.where(screen < tone, 0, 255)  # a halftone photo, 100 lpi
        assert find_rulings(img, MIN_RULING) == ([], [])
    assert find_rulings(np.asarray(scanned(Image.fromarray(img))), MIN_RULING) == ([], [])


def tight_table() -> tuple[Image.Image, list[int], list[int]]:
    """Rows of text 3 px from the rulings above and below (and from the left one), and a double rule."""
    img = Image.new("L", (W, H), 255)
    draw, face = ImageDraw.Draw(img), font("helv", 40)
    ys, y = [], 400
    for i in range(6):
        ys.append(y)
        row = Image.new("L", (1800, 120), 255)
        ImageDraw.Draw(row).text((10, 10), f"Ledger {i}: quarterly jumps, paid by Gil", fill=0, font=face)
        row = row.crop(ImageOps.invert(row).getbbox())
        img.paste(row, (300 + 2 + 3, y + 2 + 3))
        y += 2 + 3 + row.height + 3
    ys += [y, y + 5]  # a double rule: two 2 px lines, 3 px apart
    for y in ys:
        draw.rectangle([300, y, 2200, y + 1], fill=0)
    for x in (300, 2200):
        draw.rectangle([x, ys[0], x + 1, ys[-1] + 1], fill=0)
    return img, ys, [300, 2200]


def test_rulings_with_text_close_on_both_sides():
    img, ys, xs = tight_table()
    for page in (np.asarray(img), np.asarray(scanned(img))):
        horizontal, vertical = find_rulings(page, MIN_RULING)
        assert [round(y) for y, _, _ in horizontal] == [y + 1 for y in ys]
        assert [round(x) for x, _, _ in vertical] == [x + 1 for x in xs]
    page = np.asarray(img)
    out = erase_rulings(page, *find_rulings(page, MIN_RULING))
    text = np.zeros(page.shape, bool)
    for y0, y1 in zip(ys, ys[1:]):
        text[y0 + 2:y1, 302:2200] = True
    assert (out[text] < 128).sum() > 0.97 * (page[text] < 128).sum()
    assert (out[~text] < 128).sum() == 0  # every line pixel is gone, the double rule too


def test_corpus_form_tables(corpus):
    """A real, noisy 100 dpi form (FUNSD) with two ruled tables and underlined fields."""
    page = np.asarray(Image.open(corpus / "forms" / "funsd__82253245_3247.png").convert("L"))
    horizontal, vertical = find_rulings(page, MIN_RULING)
    for top, bottom in ((463, 641), (693, 871)):
        across = [y for y, x0, x1 in horizontal if top - 3 <= y <= bottom + 3 and x0 < 40 and x1 > 590]
        down = [x for x, y0, y1 in vertical if abs(y0 - top) < 4 and abs(y1 - bottom) < 4]
        assert len(across) == 11
        assert down == pytest.approx([37, 181, 248, 333, 472, 536, 594], abs=2)


def test_corpus_paper_tables_with_double_rules(corpus):
    """A 200 dpi page of a paper (DocBank): text 3 px from the rules, double rules 5 px apart."""
    page = np.asarray(Image.open(corpus / "scans" / "docbank__102_1705.05217_final_report_3.jpg").convert("L"))
    horizontal, vertical = find_rulings(page, MIN_RULING)
    assert len([y for y, x0, x1 in horizontal if x0 < 400 and x1 > 1300]) == 19  # Table V
    assert len([y for y, x0, x1 in horizontal if 890 < x0 < 900 and x1 > 1530]) == 13  # Table VI
    assert sorted({round(x) for x, _, _ in vertical}) == [588, 594, 896, 974, 1160, 1166, 1320, 1534]


# --- erasing --------------------------------------------------------------------------------------

def test_erase_rulings_keeps_the_text(table_page):
    page = np.asarray(table_page)
    horizontal, vertical = find_rulings(page, MIN_RULING)
    out = erase_rulings(page, horizontal, vertical)
    ink, left = page < 128, out < 128
    for y in YS:  # no ink left along the lines, not even where words sit on them
        assert left[y:y + LW, XS[0]:XS[-1]].sum() == 0 < ink[y:y + LW, XS[0]:XS[-1]].sum()
    for x in XS:
        assert left[YS[0]:YS[-1], x:x + LW].sum() == 0 < ink[YS[0]:YS[-1], x:x + LW].sum()
    cells = np.zeros_like(ink)
    for y0, y1 in zip(YS, YS[1:]):
        for x0, x1 in zip(XS, XS[1:]):
            cells[y0 + LW + 1:y1 - 1, x0 + LW + 1:x1 - 1] = True
    assert (left & cells).sum() > 0.97 * (ink & cells).sum()
    outside = np.ones_like(ink)
    outside[YS[0] - 5:YS[-1] + 5, XS[0] - 5:XS[-1] + 5] = False
    assert np.array_equal(out[outside], page[outside])  # the body text is untouched


def test_dark_mask_on_grey_paper():
    img = np.full((200, 300), 190, np.uint8)
    img[50:60, 20:280] = 40
    img += np.random.default_rng(0).integers(0, 12, img.shape, dtype=np.uint8)
    mask = dark_mask(img)
    assert mask[50:60, 20:280].all() and mask.sum() == 10 * 260
    assert not dark_mask(np.full((50, 50), 200, np.uint8)).any()


def test_tinted_region_is_a_figure_unless_words_fill_it():
    from docpipe.engines.ocr.figures import figure_boxes

    rng = np.random.default_rng(3)
    height, width = 1600, 1200
    lighting = np.linspace(0, 20, width)[None, :]  # uneven scanner lighting, 20 grey levels across
    page = 200 - lighting + rng.normal(0, 10, (height, width))
    page[600:900, 100:1100] -= 17  # a grey fill, well above the ink threshold
    page[100:112, 100:1100] = 30  # a line of "text", so the page has ink for Otsu
    gray = np.clip(page, 0, 255).astype(np.uint8)
    text_line = [(100, 100, 1100, 112)]
    boxes = figure_boxes(gray, text_line)
    assert len(boxes) == 1
    x0, y0, x1, y1 = boxes[0]
    assert abs(x0 - 100) <= 16 and abs(x1 - 1100) <= 16 and abs(y0 - 600) <= 16 and abs(y1 - 900) <= 16
    # The same tint behind lines of words is a shaded text box, not a figure.
    words = text_line + [(120, y, 1080, y + 30) for y in range(610, 890, 45)]
    assert figure_boxes(gray, words) == []
