"""The OCR engine: a page image -> upright, deskewed -> Tesseract words -> lines, blocks, tables.

The recognizer (Tesseract, or any `Recognizer`) finds and reads the words;
everything after that is shared with the text-layer engine (`layout`), so a scanned
two-column page is ordered by the same rules as a born-digital one, not in
Tesseract's block order (which reads some two-column pages across).
Ruled tables: the rulings are found in the pixels (`rulings`), erased
before recognition so Tesseract does not read them as '|' or '_', and the
words are placed in the cells they bound (`layout.tables.from_rulings`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

from docpipe.engines.ocr import scan
from docpipe.engines.ocr.figures import figure_boxes
from docpipe.engines.ocr.lines import split_at_gutters
from docpipe.engines.ocr.recognizer import OcrLine, Recognizer
from docpipe.engines.ocr.rulings import erase_rulings, find_rulings
from docpipe.engines.ocr.symbols import SHAPE_CHECKED, fix_symbols
from docpipe.layout.blocks import LayoutBlock
from docpipe.layout.boxes import boxes_overlap, merge_boxes
from docpipe.layout.compose import PointFrame, compose_page
from docpipe.layout.glyphs import Glyph, line_segments
from docpipe.layout.tables.checks import crowded_cells, inner_verticals
from docpipe.layout.tables.from_rulings import ruled_grids
from docpipe.layout.tables.grid import Grid
from docpipe.records import PageResult

# Tesseract's OSD confidence for a quarter or half turn; below it the page is
# left as it is (measured: turned pages score 9-30, upright pages with little
# text can score 1-2 for a wrong turn).
MIN_ORIENTATION_CONFIDENCE = 3.0
# OSD this sure of an upright or upside-down page overrules the line direction (measured: 15 on a
# dense two-column page skewed by 1.4 degrees whose profiles looked sideways; OCRmyPDF trusts 14).
SURE_ORIENTATION_CONFIDENCE = 10.0
# Row profile this much sharper than the column profile: lines run across
# (measured 1.4x on dense two-column scans skewed by 1.2 degrees, 3-9x on most pages).
DIRECTION_MARGIN = 1.15
# A page whose words average below this confidence may be the other way up
# (measured: 0.96 upright, 0.38 for the same page turned 180 degrees).
DOUBTFUL_CONFIDENCE = 0.6
MIN_WORDS_TO_DOUBT = 5
# A page whose words average within this band may be print in another script (Fraktur): it is read
# again with that script's model, which must read it surer by SCRIPT_MARGIN to be kept (see _other_script).
SCRIPT_BAND, SCRIPT_MARGIN, MIN_WORDS_FOR_SCRIPT = (0.5, 0.8), 0.05, 3
# Punctuation-only "words" below this confidence are specks (measured: a gutter
# speck read as '_' at 0.16; real dashes, '=' and '©' at 0.7-0.97).
SPECK_CONFIDENCE = 0.5
# Lone marks that start no line of text ("'" and "`" open a quote only when joined to its word).
LEADING_SPECKS = {".", ",", ":", ";", "'", "`"}
# Skew below this is not worth a resampling pass.
MIN_DESKEW_DEGREES = 0.05
# A table ruling is at least this long (inches); shorter strokes are glyph parts.
MIN_RULING_INCHES = 0.3
ASSUMED_DPI = 300.0  # for images that do not say, only to size the ruling search


def ocr_page(image, dpi: Optional[float], engine: Recognizer, *, doc_id: str, source: str,
             page_number: int) -> PageResult:
    """OCR one page image. `dpi` is the image's resolution (None when unknown: boxes stay in pixels)."""
    started = time.perf_counter()
    gray = image if image.mode == "L" else image.convert("L")
    rotation = _first_turn(engine, gray)
    page = _read(_turned(gray, rotation), dpi, engine)
    # Words read badly: the page may be the other way up (or not turned after
    # all). Reading it the other ways settles it, where Tesseract's own
    # orientation guess is unsure (confidence 2-3 on a three-line page).
    for turn in ([(rotation + 180) % 360] + ([0] if rotation in (90, 270) else [])):
        if not page.doubtful:
            break
        retry = _read(_turned(gray, turn), dpi, engine)
        if retry.mean_confidence > page.mean_confidence:
            page, rotation = retry, turn
    if not _other_script(page, dpi, engine):
        engine.reread_unsure(page.lines, page.clean, dpi)  # the re-read model is of the main model's script
    fix_symbols(page.lines, page.clean)

    scale = 72.0 / dpi if dpi else 1.0
    frame = PointFrame(page.image.width * scale, page.image.height * scale)
    runs = [_glyphs(line, scale) for line in page.lines]
    # Cut at gutters only (ocr_lines), not again at every wide gap.
    segments = line_segments(split_at_gutters(runs), gap_em=float("inf"))
    grids: list[Grid] = []
    if page.ruled:
        glyphs = [g for run in runs for g in run]
        grids = _ruled_grids([(y * scale, a * scale, b * scale) for y, a, b in page.horizontal],
                             [(x * scale, a * scale, b * scale) for x, a, b in page.vertical], glyphs)
    figures = [LayoutBlock(kind="figure", x0=b[0], y0=b[1], x1=b[2], y1=b[3], text_override="")
               for b in _figure_boxes(page, scale) if not any(boxes_overlap(b, g.box) for g in grids)]
    result = PageResult(doc_id=doc_id, source=source, page=page_number, width=frame.width,
                        height=frame.height, rotation=rotation, engine="ocr")
    compose_page(result, segments, grids, figures, frame)
    result.elapsed_ms = (time.perf_counter() - started) * 1000
    return result


@dataclass
class _PageRead:
    image: object  # the upright, deskewed PIL image the boxes refer to
    clean: object  # the same, table rulings erased: what Tesseract read
    lines: list[OcrLine]
    horizontal: list
    vertical: list

    @property
    def ruled(self) -> bool:
        # One inner vertical is enough: tables open at both sides are closed by their frame.
        return len(self.horizontal) >= 3 and len(self.vertical) >= 1

    @property
    def mean_confidence(self) -> float:
        confidences = [w.confidence for line in self.lines for w in line.words]
        return sum(confidences) / len(confidences) if confidences else 0.0

    @property
    def doubtful(self) -> bool:
        n_words = sum(len(line.words) for line in self.lines)
        return n_words >= MIN_WORDS_TO_DOUBT and self.mean_confidence < DOUBTFUL_CONFIDENCE


def _other_script(page: _PageRead, dpi: Optional[float], engine: Recognizer) -> bool:
    """A page the main model reads unsure, read again with the engine's other script model; whether it won.

    Measured with eng and Tesseract's Fraktur model on the corpus's scans and
    two generated sets (80 pages): Fraktur pages and lines average 0.59-0.76 with
    eng and 0.07-0.18 more with Fraktur; upright Latin print 0.80 and up with eng,
    within 0.03 of Fraktur; handwriting and pages the wrong way up under 0.45,
    where Fraktur "reads" handwriting surer (+0.19) but no better: left to eng.
    """
    n_words = sum(len(line.words) for line in page.lines)
    low, high = SCRIPT_BAND
    if n_words < MIN_WORDS_FOR_SCRIPT or not low <= page.mean_confidence < high:
        return False
    lines = engine.recognize_script(page.clean, dpi)
    if not lines:
        return False
    other = _PageRead(page.image, page.clean, lines, page.horizontal, page.vertical)
    if other.mean_confidence < page.mean_confidence + SCRIPT_MARGIN:
        return False
    page.lines = lines
    return True


def _read(gray, dpi: Optional[float], engine: Recognizer) -> _PageRead:
    """Deskew, find and erase table rulings, recognize (words as the main model read them)."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(gray)
    skew = scan.estimate_skew(pixels)
    if abs(skew) >= MIN_DESKEW_DEGREES:
        # Bilinear: a third of bicubic's time on a 300 DPI page, and Tesseract binarizes anyway.
        gray = gray.rotate(skew, resample=Image.BILINEAR, fillcolor=255)
        pixels = np.asarray(gray)
    horizontal, vertical = find_rulings(pixels, int((dpi or ASSUMED_DPI) * MIN_RULING_INCHES))
    page = _PageRead(gray, gray, [], horizontal, vertical)
    if page.ruled:
        page.clean = Image.fromarray(erase_rulings(pixels, horizontal, vertical))
    page.lines = engine.recognize(page.clean, dpi)
    return page


def _figure_boxes(page: _PageRead, scale: float) -> list[tuple[float, float, float, float]]:
    """Figures (charts, photos, drawings: ink or tint without words) in page points."""
    import numpy as np

    words = [word.box for line in page.lines for word in line.words]
    boxes = figure_boxes(np.asarray(page.image), words)
    return merge_boxes([tuple(v * scale for v in box) for box in boxes])


def _turned(gray, clockwise: int):
    return gray.rotate(-clockwise, expand=True) if clockwise else gray  # PIL turns counter-clockwise


def _first_turn(engine: Recognizer, gray) -> int:
    """The clockwise turn to try first: which way the lines run decides, OSD only when they run down.

    Lines running across mean upright or upside down: read it upright first
    (the common case, and no OSD cost). Lines running down mean a quarter
    turn for sure, so OSD only has to pick which one, whatever its confidence.
    """
    if gray.width >= 3 * gray.height:
        return 0  # a strip holding a line or two: its profiles say nothing, and pages are not that wide
    direction = _line_direction(gray)
    if direction == "horizontal":
        return 0
    turn, confidence = engine.orientation(gray)
    if direction == "vertical":
        if turn in (0, 180) and confidence >= SURE_ORIENTATION_CONFIDENCE:
            return turn  # the profiles were fooled (a dense page skewed by over a degree smears its rows)
        return turn if turn in (90, 270) else 90
    return turn if confidence >= MIN_ORIENTATION_CONFIDENCE else 0


def _line_direction(gray) -> str:
    """'horizontal', 'vertical' or 'unclear': which way the text lines of the page run.

    Rows of a page of horizontal lines alternate between ink and gaps, its
    columns much less so (and the other way round on a page scanned
    sideways): the sharper projection profile tells, in milliseconds.
    """
    import numpy as np

    ink = scan.dark_mask(np.asarray(gray.reduce(4) if min(gray.size) >= 400 else gray))
    rows, cols = _sharpness(ink.sum(axis=1)), _sharpness(ink.sum(axis=0))
    if rows > DIRECTION_MARGIN * cols:
        return "horizontal"
    if cols > DIRECTION_MARGIN * rows:
        return "vertical"
    return "unclear"


def _sharpness(profile) -> float:
    import numpy as np

    profile = profile.astype(float)
    mean = profile.mean() if profile.size else 0.0
    return float(np.mean(np.diff(profile) ** 2) / (mean * mean)) if mean > 0 and profile.size > 1 else 0.0


def _glyphs(line: OcrLine, scale: float) -> list[Glyph]:
    """Each OCR word as one glyph in page points, sized by its line's font size.

    Words share their line's vertical extent so that `layout` sees one
    baseline per Tesseract line, whatever letters a word has. Each carries
    its trailing space: Tesseract has already decided where words end, and
    `layout` would otherwise glue words whose gap looks narrow ("GWha year").
    """
    size = line.font_px * scale
    top, bottom = line.box[1] * scale, line.box[3] * scale
    words = [w for w in line.words if not _speck(w)]
    while words and words[0].text in LEADING_SPECKS:
        words.pop(0)  # no line starts with a lone dot or comma: ink before it, a speck read confidently
    return [Glyph(w.text + " ", w.box[0] * scale, top, w.box[2] * scale, bottom, size, False, w.confidence)
            for w in words]


def _speck(word) -> bool:
    """A dust speck or stroke read as '_', '|' or '.': punctuation alone, read with low confidence,
    or a lone '_' or '|' (prose has neither on its own; a form's blank is a longer run of '_').

    Left in, it bridges a column gutter and joins two columns' lines.
    """
    if len(word.text) <= 2 and set(word.text) <= set("_|"):
        return True
    if word.text in SHAPE_CHECKED:
        return False
    return word.confidence < SPECK_CONFIDENCE and not any(ch.isalnum() for ch in word.text)


def _ruled_grids(horizontal, vertical, glyphs: list[Glyph]) -> list[Grid]:
    # What is left of an erased ruling can still be read as '|' or '_'; no cell holds only that.
    glyphs = [g for g in glyphs if g.c.strip().strip("|_")]
    return [grid for grid in ruled_grids(horizontal, vertical, glyphs)
            if inner_verticals(grid.box, vertical) >= 1 and not crowded_cells(grid)]
