"""Table detection on born-digital pages, cheapest evidence first.

1. Vector rulings: a grid of horizontal and vertical strokes is a ruled table;
   PyMuPDF's finder (without its layout model) recovers its cells.
2. Pages whose text lines break into aligned short cells, or that carry long
   horizontal rules, may hold a table without vertical rulings. Only those
   pages pay for PyMuPDF's layout model (about 0.4 s a page on one core),
   which locates table regions; rows and columns inside a region come from
   the text itself (`table_structure`).
A ruled grid with no inner vertical ruling is not trusted: its columns are
guesses from rule ends, so its region is re-read from the text instead.
"""

from __future__ import annotations

from typing import Optional

from docpipe.layout import Glyph, Segment, build_segments
from docpipe.ruling_grid import frames
from docpipe.table_structure import FIGURE, grid_from_text, text_lines
from docpipe.tables import Box, Grid, centre_in, encloses, glyphs_inside, grid_from_cells

MIN_RULE_LENGTH = 8.0  # points; shorter strokes are glyph decorations, not rulings


Stroke = tuple[float, float, float, float, bool]  # x0, y0, x1, y1 (unrotated), edge of a box?


def strokes(drawings: list[dict]) -> list[Stroke]:
    """Every straight stroke of the page's drawings, read once: lines, thin bars, box edges."""
    out: list[Stroke] = []
    for path in drawings:
        for item in path.get("items", ()):
            kind = item[0]
            if kind == "l":
                (x0, y0), (x1, y1) = item[1], item[2]
                out.append((x0, y0, x1, y1, False))
            elif kind == "re":
                x0, y0, x1, y1 = item[1]
                if abs(y1 - y0) < 3.0 or abs(x1 - x0) < 3.0:
                    out.append((x0, y0, x1, y1, False))
                else:  # a framed or shaded box contributes its edges
                    out += [(x0, y0, x1, y0, True), (x0, y1, x1, y1, True),
                            (x0, y0, x0, y1, True), (x1, y0, x1, y1, True)]
            elif kind == "qu":
                xs = [point[0] for point in item[1]]
                ys = [point[1] for point in item[1]]
                out += [(min(xs), min(ys), max(xs), min(ys), True), (min(xs), max(ys), max(xs), max(ys), True),
                        (min(xs), min(ys), min(xs), max(ys), True), (max(xs), min(ys), max(xs), max(ys), True)]
    return out


def _split_orientation(boxes) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Horizontal (y, x0, x1) and vertical (x, y0, y1) rulings from (x0, y0, x1, y1) boxes."""
    horizontal, vertical = [], []
    for x0, y0, x1, y1 in boxes:
        x0, x1 = min(x0, x1), max(x0, x1)
        y0, y1 = min(y0, y1), max(y0, y1)
        if y1 - y0 < 3.0 and x1 - x0 >= MIN_RULE_LENGTH:
            horizontal.append(((y0 + y1) / 2, x0, x1))
        elif x1 - x0 < 3.0 and y1 - y0 >= MIN_RULE_LENGTH:
            vertical.append(((x0 + x1) / 2, y0, y1))
    return horizontal, vertical


def rulings(page_strokes: list[Stroke], frame) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Horizontal (y, x0, x1) and vertical (x, y0, y1) rulings, upright page points."""
    return _split_orientation(frame.box((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
                              for x0, y0, x1, y1, _ in page_strokes)


def may_hold_ruled_table(horizontal: list, vertical: list) -> bool:
    return len(horizontal) >= 3 and len(vertical) >= 3


def _short(seg: Segment) -> bool:
    return len(seg.text.split()) <= 3 or bool(FIGURE.match(seg.text))


def _tabular_row(cells: list[Segment]) -> bool:
    short = sum(1 for s in cells if _short(s))
    numeric = sum(1 for s in cells if FIGURE.match(s.text))
    if len(cells) >= 3:
        return short >= 3 or (short >= 2 and numeric >= 1)
    return len(cells) == 2 and numeric >= 1 and short == 2


def tabular_evidence(segments: list[Segment], horizontal: list, page_width: float,
                     page_height: float) -> bool:
    """Cheap test: could this page hold a table without vertical rulings?

    Three nearby lines that break into short cells (with figures), or two
    long rules in the body (not a running header's or footer's rule) with at
    least one such line. Prose in two or three columns breaks into long
    segments and does not count.
    """
    body_rules = sum(
        1 for y, x0, x1 in horizontal
        if x1 - x0 >= 0.3 * page_width and 0.08 * page_height < y < 0.92 * page_height
    )
    rows = 0
    last_hit = -10
    for index, line in enumerate(text_lines(segments)):
        if not _tabular_row(line.segments):
            continue
        rows = rows + 1 if index - last_hit <= 3 else 1
        last_hit = index
        if rows >= 3 or (body_rules >= 2 and rows >= 1):
            return True
    return False


def inner_verticals(box: Box, vertical: list) -> int:
    """Inner vertical rulings covering at least half the box height (cell-by-cell strokes add up)."""
    height = box[3] - box[1]
    spans: dict[int, list[tuple[float, float]]] = {}
    for x, y0, y1 in vertical:
        if box[0] + 3 < x < box[2] - 3:
            lo, hi = max(y0, box[1]), min(y1, box[3])
            if hi > lo:
                spans.setdefault(round(x), []).append((lo, hi))
    count = 0
    for intervals in spans.values():
        covered, end = 0.0, float("-inf")
        for lo, hi in sorted(intervals):
            if hi > end:
                covered += hi - max(lo, end)
                end = hi
        if covered >= 0.5 * height:
            count += 1
    return count


def _full_width_rules(box: Box, horizontal: list) -> list[float]:
    width = box[2] - box[0]
    return [y for y, x0, x1 in horizontal
            if box[1] - 2 <= y <= box[3] + 2 and min(x1, box[2]) - max(x0, box[0]) >= 0.8 * width]


def _frame_lines(page_strokes: list[Stroke]) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The outer frame of each connected set of rulings (`ruling_grid.frames`), as lines for the finder.

    Unrotated page coordinates, as the finder's. Lines and thin bars only:
    the edges of shaded boxes would join unrelated shapes.
    """
    horizontal, vertical = _split_orientation((x0, y0, x1, y1) for x0, y0, x1, y1, box in page_strokes if not box)
    lines = []
    for left, top, right, bottom in frames(horizontal, vertical):
        lines += [((left, top), (left, bottom)), ((right, top), (right, bottom)),
                  ((left, top), (right, top)), ((left, bottom), (right, bottom))]
    return lines


def _ruled_grids(page, frame, glyphs: list[Glyph], page_strokes: list[Stroke]) -> list[Grid]:
    extra = _frame_lines(page_strokes) if page.rotation == 0 else None
    try:
        found = page.find_tables(strategy="lines", use_layout=False, add_lines=extra or None)
    except Exception:  # a table finder failure must not cost the page its text
        return []
    grids = []
    for table in found.tables:
        # The finder de-rotates the page first: its boxes are in displayed space.
        boxes = [frame.box_displayed(cell) for cell in table.cells if cell is not None]
        grid = grid_from_cells(boxes, glyphs)
        if grid is not None and grid.n_rows >= 2 and grid.n_cols >= 2 and has_text(grid):
            grids.append(grid)
    return grids


def crowded_cells(grid: Grid) -> bool:
    """Cells holding several runs side by side on one line: the rulings missed columns."""
    filled = [c for c in grid.cells if c.text]
    crowded = 0
    for cell in filled:
        glyphs = [g for seg in cell.segments for g in seg.glyphs if not g.c.isspace()]
        # Figures in adjacent columns are em apart; word gaps (even in CJK text) are not.
        lines = text_lines(build_segments([[g] for g in glyphs], gap_em=1.0))
        crowded += sum(len(line.segments) - 1 for line in lines)  # runs that need a column
    return bool(filled) and crowded > 0.1 * len(filled)


def has_text(grid: Grid) -> bool:
    """Enough text in enough cells to be a table rather than boxes drawn around a heading."""
    filled = [c for c in grid.cells if c.text]
    if len(filled) < 4 or len(filled) < 0.25 * len(grid.cells):
        return False
    per_row: dict[int, int] = {}
    for cell in filled:
        per_row[cell.row] = per_row.get(cell.row, 0) + 1
    if sum(1 for n in per_row.values() if n >= 2) < 2:
        return False
    # A 2x2 "table" of long paragraphs is a layout of boxes (cards), not a table.
    if grid.n_rows * grid.n_cols <= 4 and sum(len(c.text) for c in filled) / len(filled) > 80:
        return False
    return True


def _layout_regions(page, frame) -> list[Box]:
    """Table regions from PyMuPDF's layout model; empty when the model is unavailable.

    The model reads the page unrotated and its boxes are unreliable on pages
    with /Rotate (measured: boxes land beside the table), so those are skipped.
    """
    if page.rotation != 0 or frame.rotation != 0:
        return []
    try:
        import pymupdf.layout  # noqa: F401  (activates the analyzer; needs onnxruntime)
    except Exception:
        return []
    try:
        page.get_layout()
    except Exception:
        return []
    return [frame.box(b[:4]) for b in (page.layout_information or []) if b[4] == "table"]


def _overlap_fraction(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / smaller if smaller > 0 else 0.0


def find_tables(page, frame, glyphs: list[Glyph], drawings: list[dict],
                segments: Optional[list[Segment]] = None) -> list[Grid]:
    page_strokes = strokes(drawings)
    horizontal, vertical = rulings(page_strokes, frame)
    grids: list[Grid] = []
    text_regions: list[Box] = []
    if may_hold_ruled_table(horizontal, vertical):
        for grid in _ruled_grids(page, frame, glyphs, page_strokes):
            if inner_verticals(grid.box, vertical) >= 1 and not crowded_cells(grid):
                grids.append(grid)
            else:
                text_regions.append(grid.box)
    # Only text outside the ruled tables already found can hint at another table.
    outside = [s for s in segments or () if not any(centre_in(s, g.box) for g in grids)]
    if outside and tabular_evidence(outside, horizontal, frame.width, frame.height):
        for region in _layout_regions(page, frame):
            if any(_overlap_fraction(region, g.box) > 0.5 for g in grids):
                continue
            text_regions = [r for r in text_regions if _overlap_fraction(r, region) <= 0.5]
            text_regions.append(region)
    for region in text_regions:
        inside, _ = glyphs_inside(glyphs, region, margin=2.0)
        grid = grid_from_text(inside, region, _full_width_rules(region, horizontal))
        if grid is not None and has_text(grid):
            grids.append(grid)
    # A frame drawn around the page or around another table is not a table itself.
    return [g for g in grids if not any(o is not g and encloses(g.box, o.box, 2.0, 1.05) for o in grids)]
