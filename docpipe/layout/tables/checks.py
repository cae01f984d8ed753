"""Cheap tests on rulings and grids: could a page hold a table, and is a grid a table at all?

Pure functions over rulings ((y, x0, x1) horizontal, (x, y0, y1) vertical, in
upright page points), line segments and grids, shared by the text-layer and
the OCR engines.
"""

from __future__ import annotations

from docpipe.layout.boxes import Box
from docpipe.layout.glyphs import Segment, build_segments
from docpipe.layout.tables.from_text import FIGURE, text_lines
from docpipe.layout.tables.grid import Grid

MIN_RULE_LENGTH = 8.0  # points; shorter strokes are glyph decorations, not rulings


def split_orientation(boxes) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
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

    Three nearby lines that break into short cells (with figures), or one
    such line between two long rules in the body (a rule-only table's top and
    bottom rules; not a running header's or footer's rule). Prose in two or
    three columns breaks into long segments and does not count, and a line
    outside the rules is not evidence of them: two rules framing a figure on
    a page of narrow prose columns, whose short lines (headings, paragraph
    ends) line up now and then, are no table.
    """
    body_rules = sorted(
        y for y, x0, x1 in horizontal
        if x1 - x0 >= 0.3 * page_width and 0.08 * page_height < y < 0.92 * page_height
    )
    rows = 0
    last_hit = -10
    for index, line in enumerate(text_lines(segments)):
        if not _tabular_row(line.segments):
            continue
        rows = rows + 1 if index - last_hit <= 3 else 1
        last_hit = index
        between_rules = len(body_rules) >= 2 and body_rules[0] < (line.y0 + line.y1) / 2 < body_rules[-1]
        if rows >= 3 or between_rules:
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


def full_width_rules(box: Box, horizontal: list) -> list[float]:
    width = box[2] - box[0]
    return [y for y, x0, x1 in horizontal
            if box[1] - 2 <= y <= box[3] + 2 and min(x1, box[2]) - max(x0, box[0]) >= 0.8 * width]


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
