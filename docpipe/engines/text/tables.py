"""Table detection on born-digital pages, cheapest evidence first.

1. Vector rulings: a grid of horizontal and vertical strokes is a ruled table;
   its cells come from the rulings alone (`layout.tables.from_rulings`, the
   method of pdfplumber and of PyMuPDF's finder). Not PyMuPDF's finder
   itself: it first builds a Python dict per character of the page (its
   `make_chars`), which cost 70% of its time and half of the whole text
   engine's on pages with tables, for cells that score the same on the
   corpus's real tables (docs/benchmarks.md, "Start-up and scaling").
2. Pages whose text lines break into aligned short cells, or that carry long
   horizontal rules, may hold a table without vertical rulings. Only those
   pages pay for PyMuPDF's layout model (about 0.4 s a page on one core),
   which locates table regions; rows and columns inside a region come from
   the text itself (`layout.tables.from_text`).
A ruled grid with no inner vertical ruling is not trusted: its columns are
guesses from rule ends, so its region is re-read from the text instead.
"""

from __future__ import annotations

from typing import Optional

from docpipe.io.pdf_library import layout_analyzer_ready
from docpipe.layout.boxes import Box, centre_in, encloses, glyphs_inside, overlap_fraction
from docpipe.layout.glyphs import Glyph, Segment
from docpipe.layout.tables.checks import (
    crowded_cells, full_width_rules, has_text, inner_verticals, may_hold_ruled_table, split_orientation,
    tabular_evidence,
)
from docpipe.layout.tables.from_rulings import ruled_grids
from docpipe.layout.tables.from_text import grid_from_text
from docpipe.layout.tables.grid import Grid

Stroke = tuple[float, float, float, float]  # x0, y0, x1, y1, unrotated page points


def strokes(drawings: list[dict]) -> list[Stroke]:
    """Every straight stroke of the page's drawings, read once: lines, thin bars, box edges."""
    out: list[Stroke] = []
    for path in drawings:
        for item in path.get("items", ()):
            kind = item[0]
            if kind == "l":
                (x0, y0), (x1, y1) = item[1], item[2]
                out.append((x0, y0, x1, y1))
            elif kind == "re":
                x0, y0, x1, y1 = item[1]
                if abs(y1 - y0) < 3.0 or abs(x1 - x0) < 3.0:
                    out.append((x0, y0, x1, y1))
                else:  # a framed or shaded box contributes its edges
                    out += [(x0, y0, x1, y0), (x0, y1, x1, y1), (x0, y0, x0, y1), (x1, y0, x1, y1)]
            elif kind == "qu":
                xs = [point[0] for point in item[1]]
                ys = [point[1] for point in item[1]]
                out += [(min(xs), min(ys), max(xs), min(ys)), (min(xs), max(ys), max(xs), max(ys)),
                        (min(xs), min(ys), min(xs), max(ys)), (max(xs), min(ys), max(xs), max(ys))]
    return out


def rulings(page_strokes: list[Stroke], frame) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Horizontal (y, x0, x1) and vertical (x, y0, y1) rulings, upright page points."""
    return split_orientation(frame.box((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
                              for x0, y0, x1, y1 in page_strokes)


def _layout_regions(page, frame) -> list[Box]:
    """Table regions from PyMuPDF's layout model; empty when the model is unavailable.

    The model reads the page unrotated and its boxes are unreliable on pages
    with /Rotate (measured: boxes land beside the table), so those are skipped.
    """
    if page.rotation != 0 or frame.rotation != 0:
        return []
    if not layout_analyzer_ready():
        return []
    try:
        page.get_layout()
    except Exception:
        return []
    return [frame.box(b[:4]) for b in (page.layout_information or []) if b[4] == "table"]


def find_tables(page, frame, glyphs: list[Glyph], drawings: list[dict],
                segments: Optional[list[Segment]] = None) -> list[Grid]:
    page_strokes = strokes(drawings)
    horizontal, vertical = rulings(page_strokes, frame)
    grids: list[Grid] = []
    text_regions: list[Box] = []
    if may_hold_ruled_table(horizontal, vertical):
        for grid in ruled_grids(horizontal, vertical, glyphs):
            if inner_verticals(grid.box, vertical) >= 1 and not crowded_cells(grid):
                grids.append(grid)
            else:
                text_regions.append(grid.box)
    # Only text outside the ruled tables already found can hint at another table.
    outside = [s for s in segments or () if not any(centre_in(s, g.box) for g in grids)]
    if outside and tabular_evidence(outside, horizontal, frame.width, frame.height):
        for region in _layout_regions(page, frame):
            if any(overlap_fraction(region, g.box) > 0.5 for g in grids):
                continue
            text_regions = [r for r in text_regions if overlap_fraction(r, region) <= 0.5]
            text_regions.append(region)
    for region in text_regions:
        inside, _ = glyphs_inside(glyphs, region, margin=2.0)
        grid = grid_from_text(inside, region, full_width_rules(region, horizontal))
        if grid is not None and has_text(grid):
            grids.append(grid)
    # A frame drawn around the page or around another table is not a table itself.
    return [g for g in grids if not any(o is not g and encloses(g.box, o.box, 2.0, 1.05) for o in grids)]
