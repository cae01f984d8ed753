"""The text-layer engine: PyMuPDF glyphs -> lines, blocks, tables, text in reading order.

This is the thin PyMuPDF adapter: it reads glyphs, drawings and images off a
page, puts them upright, and hands them to the pure functions in `layout`.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Optional

from docpipe.engines.route import TextLayerVerdict, assess_text_layer
from docpipe.engines.text.figures import drawn_figures, drawn_regions, image_figures
from docpipe.engines.text.frame import UprightFrame
from docpipe.engines.text.tables import find_tables
from docpipe.errors import NeedsOcr
from docpipe.io.pdf_library import pymupdf_module
from docpipe.layout.blocks import LayoutBlock
from docpipe.layout.compose import compose_page
from docpipe.layout.glyphs import Glyph, Segment, build_segments
from docpipe.records import PageResult, replace_unencodable

# Past this many vector drawings (a map, a plotted chart: tens of thousands of paths), a page's
# tables and drawn figures are not looked for: both cost time per path, and such a page's text
# layer still reads in milliseconds (a 60k-path map: 15 s -> 1.1 s).
MAX_DRAWINGS = 5000


def _direction(line_dir, rotation_matrix) -> int:
    """Clockwise quarter turns (0, 90, 180, 270) of a text line as displayed."""
    dx, dy = line_dir
    a, b, c, d = rotation_matrix.a, rotation_matrix.b, rotation_matrix.c, rotation_matrix.d
    rx, ry = dx * a + dy * c, dx * b + dy * d
    if abs(rx) >= abs(ry):
        return 0 if rx > 0 else 180
    return 90 if ry > 0 else 270


def _read_glyph_runs(page, clip: bool = True):
    """Spans from MuPDF as (direction, [(char, bbox, size, bold)], invisible) in unrotated space."""
    pymupdf = pymupdf_module()

    flags = pymupdf.TEXT_PRESERVE_WHITESPACE | (pymupdf.TEXT_MEDIABOX_CLIP if clip else 0)
    raw = page.get_text("rawdict", flags=flags)
    runs = []
    rotation_matrix = page.rotation_matrix
    for block in raw["blocks"]:
        for line in block.get("lines", ()):
            direction = _direction(line["dir"], rotation_matrix)
            for span in line["spans"]:
                bold = bool(span["flags"] & 16) or "bold" in span["font"].lower()
                chars = [(ch["c"], ch["bbox"], span["size"], bold) for ch in span["chars"]]
                if chars:
                    # Render mode 3 (an OCR layer under a scan) comes out with alpha 0.
                    runs.append((direction, chars, span.get("alpha", 255) == 0))
    return runs


def extract_page(page, *, doc_id: str, source: str, page_number: int, tables: bool = True,
                 figures: bool = True, trust_hidden_text: bool = False) -> PageResult:
    """Everything the text layer of one page gives, as a PageResult.

    Raises NeedsOcr when the page's text lives only in pixels or its text
    layer is unreadable, or is invisible text over a scan (another tool's OCR,
    to be checked against the image) unless `trust_hidden_text`.
    """
    started = time.perf_counter()
    runs = _read_glyph_runs(page)
    if not runs:
        # Damaged geometry can put every glyph outside the page box; keep the text.
        runs = _read_glyph_runs(page, clip=False)
    weights = Counter()
    for direction, chars, _ in runs:
        weights[direction] += sum(1 for c in chars if not c[0].isspace())
    dominant = weights.most_common(1)[0][0] if weights else 0
    frame = UprightFrame(page, (360 - dominant) % 360)

    upright_runs: list[list[Glyph]] = []
    sideways: list[Segment] = []
    margin_blocks: list[LayoutBlock] = []
    n_ink = n_bad = n_hidden = n_replaced = 0
    for direction, chars, hidden in runs:
        glyphs = []
        for c, bbox, size, bold in chars:
            if not c.isascii():
                # MuPDF can map a glyph to a lone surrogate, which no UTF-8 writer accepts.
                safe = replace_unencodable(c)
                n_replaced += safe != c
                c = safe
            if not c.isspace():
                n_ink += 1
                n_hidden += hidden
                if c == "\ufffd" or 0xE000 <= ord(c[0]) <= 0xF8FF or ord(c[0]) < 32:
                    n_bad += 1
            glyphs.append(Glyph(c, *frame.box(bbox), size, bold))
        if direction == dominant:
            upright_runs.append(glyphs)
        elif direction == 0 and (kind := _display_margin(page, chars)):
            # Upright running header/footer on a page turned for its sideways table.
            for seg in _sideways_segment(glyphs):
                block = LayoutBlock(kind=kind)
                block.grow(seg)
                margin_blocks.append(block)
        else:
            sideways.extend(_sideways_segment(glyphs))

    images = page.get_image_info()
    verdict = assess_text_layer(n_ink, n_bad, _image_coverage(page, images), n_hidden)
    result = PageResult(
        doc_id=doc_id, source=source, page=page_number,
        width=frame.width, height=frame.height, rotation=frame.rotation, engine="text",
    )
    if verdict is TextLayerVerdict.HIDDEN_OVER_SCAN and not trust_hidden_text:
        raise NeedsOcr(verdict.value)
    if verdict not in (TextLayerVerdict.USABLE, TextLayerVerdict.BLANK, TextLayerVerdict.HIDDEN_OVER_SCAN):
        raise NeedsOcr(verdict.value)

    all_glyphs = [g for run in upright_runs for g in run if not g.c.isspace()]
    # Table cells are read from glyphs, and some fonts' word spaces show only as space characters.
    with_spaces = [g for run in upright_runs for g in run]
    drawings = page.get_cdrawings() if tables or figures else []
    notes = []
    if len(drawings) > MAX_DRAWINGS:
        notes.append(f"{len(drawings)} vector drawings (over {MAX_DRAWINGS}): tables and drawn figures not looked for")
        drawings, tables = [], False
    if n_replaced:
        notes.append(f"{n_replaced} glyphs with no valid Unicode value replaced by U+FFFD")
    segments = build_segments(upright_runs)
    grids = find_tables(page, frame, with_spaces, drawings, segments) if tables else []
    found = image_figures(images, frame, all_glyphs) + drawn_figures(drawings, frame, all_glyphs, grids) \
        if figures else []
    regions = drawn_regions(drawings, frame, grids)
    compose_page(result, segments, grids, found + margin_blocks, frame, beside_tables=sideways, regions=regions)
    if notes:
        result.error = "; ".join(notes)
    result.elapsed_ms = (time.perf_counter() - started) * 1000
    return result


def _display_margin(page, chars) -> Optional[str]:
    """'header' or 'footer' when the text sits in the top or bottom tenth of the page as displayed."""
    pymupdf = pymupdf_module()

    ys = []
    for _, bbox, _, _ in chars:
        r = pymupdf.Rect(bbox) * page.rotation_matrix
        ys += [r.y0, r.y1]
    height = page.rect.height or 1.0
    if max(ys) < 0.1 * height:
        return "header"
    if min(ys) > 0.9 * height:
        return "footer"
    return None


def _sideways_segment(glyphs: list[Glyph]) -> list[Segment]:
    ink = [g for g in glyphs if not g.c.isspace()]
    if not ink:
        return []
    text = " ".join("".join(g.c for g in glyphs).split())
    return [Segment(
        glyphs=glyphs, x0=min(g.x0 for g in ink), y0=min(g.y0 for g in ink),
        x1=max(g.x1 for g in ink), y1=max(g.y1 for g in ink),
        size=max(g.size for g in ink), bold=False, text=text,
    )]


def _image_coverage(page, images: list[dict]) -> float:
    """Fraction of the page area covered by images (a scan is ~1.0)."""
    pymupdf = pymupdf_module()

    area = abs(page.rect) or 1.0
    covered = 0.0
    for info in images:
        bbox = info.get("bbox")
        if bbox:
            rect = pymupdf.Rect(bbox) & page.rect
            covered += abs(rect)
    return min(1.0, covered / area)


def displayed_words(page) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The text layer's words with boxes on the page as displayed (as rendered)."""
    pymupdf = pymupdf_module()

    matrix = page.rotation_matrix
    words = []
    for x0, y0, x1, y1, text, *_ in page.get_text("words"):
        r = pymupdf.Rect(x0, y0, x1, y1) * matrix
        words.append((text, (r.x0, r.y0, r.x1, r.y1)))
    return words


def extract_pdf(path: str, password: Optional[str] = None) -> list[PageResult]:
    """Convenience for scripts and benchmarks: every page of one PDF file, in one process."""
    import hashlib

    from docpipe.io.documents import open_pdf

    with open(path, "rb") as handle:
        data = handle.read()
    doc_id = hashlib.sha256(data).hexdigest()
    doc = open_pdf(data, password)
    try:
        return [
            extract_page(doc[i], doc_id=doc_id, source=path, page_number=i + 1)
            for i in range(doc.page_count)
        ]
    finally:
        doc.close()
