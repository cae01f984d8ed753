"""Rows, columns and spans of a table without vertical rulings, from text positions.

Government and statistics tables are mostly drawn with whitespace between
columns and at most a few horizontal rules. Inside a region already known to
be a table, columns are the vertical whitespace gaps of the body rows, rows
are the text lines (or the bands between horizontal rules when rules separate
the lines), and a header that crosses a gap spans those columns.
Pure functions over glyphs and boxes; no PDF library here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from docpipe.layout.boxes import Box
from docpipe.layout.glyphs import Glyph, Segment, build_segments, restore_spaces
from docpipe.layout.tables.grid import Grid, GridCell

# Inside a table a smaller gap already separates cells (right-aligned figures
# in adjacent columns sit about one digit apart); a word space (0.28 em) does not.
CELL_GAP_EM = 0.4
_CAPTION = re.compile(r"^(table|tab\.|exhibit|chart)\s*[:.]?\s*[\dIVXA-Z]", re.I)
FIGURE = re.compile(r"^[\(\-−+$€£¥]*\d[\d,.\s%]*\)?%?$")
_CONTINUES = re.compile(r"(,|-|&|\band|\bof|\bthe|\bfor|\bin|\bto|\(\w*)$", re.I)


@dataclass
class _TextLine:
    segments: list[Segment]
    y0: float
    y1: float


def text_lines(segments: list[Segment]) -> list[_TextLine]:
    lines: list[_TextLine] = []
    for seg in sorted(segments, key=lambda s: s.center_y):
        if lines:
            line = lines[-1]
            overlap = min(line.y1, seg.y1) - max(line.y0, seg.y0)
            if overlap >= 0.5 * min(seg.height, line.y1 - line.y0):
                line.segments.append(seg)
                line.y0, line.y1 = min(line.y0, seg.y0), max(line.y1, seg.y1)
                continue
        lines.append(_TextLine([seg], seg.y0, seg.y1))
    for line in lines:
        line.segments.sort(key=lambda s: s.x0)
    return lines


def _columns(lines: list[_TextLine]) -> list[tuple[float, float]]:
    """Column extents: x ranges covered by the body lines (those with most cells).

    A gap counts when at most a tenth of the body lines cross it, so one row
    whose two figures ran together does not merge two columns.
    """
    counts = sorted(len(line.segments) for line in lines)
    typical = counts[len(counts) * 3 // 4] if counts else 0
    body = [line for line in lines if len(line.segments) >= max(2, (typical + 1) // 2)]
    if not body:
        return []
    left = int(min(s.x0 for line in body for s in line.segments))
    right = int(max(s.x1 for line in body for s in line.segments)) + 1
    cover = [0] * (right - left + 1)
    for line in body:
        for s in line.segments:
            for x in range(int(s.x0) - left, int(s.x1) - left + 1):
                cover[x] += 1
    allowed = len(body) // 10
    columns: list[tuple[float, float]] = []
    start = None
    for i, count in enumerate(cover + [0]):
        if count > allowed and start is None:
            start = i
        elif count <= allowed and start is not None:
            columns.append((left + start, left + i - 1 + 0.999))
            start = None
    return columns


def _column_span(seg: Segment, columns: list[tuple[float, float]]) -> tuple[int, int]:
    hit = [i for i, (a, b) in enumerate(columns) if min(b, seg.x1) - max(a, seg.x0) > 0.5]
    if hit:
        return hit[0], hit[-1]
    # In a gap between columns (a header wider than nothing below it): nearest column.
    centre = (seg.x0 + seg.x1) / 2
    nearest = min(range(len(columns)), key=lambda i: abs((columns[i][0] + columns[i][1]) / 2 - centre))
    return nearest, nearest


def _row_bands(lines: list[_TextLine], rules: Sequence[float]) -> Optional[list[list[_TextLine]]]:
    """Group lines between horizontal rules, when the rules separate most of the lines."""
    if not rules:
        return None
    bands: dict[int, list[_TextLine]] = {}
    edges = sorted(rules)
    for line in lines:
        centre = (line.y0 + line.y1) / 2
        bands.setdefault(sum(1 for y in edges if y < centre), []).append(line)
    groups = [bands[k] for k in sorted(bands)]
    if len(groups) < max(2, 0.5 * len(lines)):
        return None  # booktabs-style rules (top, middle, bottom): lines are the rows
    return groups


def _continues_previous(previous: list[tuple[int, int, Segment]], line: list[tuple[int, int, Segment]],
                        gap: float, height: float, in_header: bool = False) -> bool:
    """A wrapped cell: a tight line whose text only continues cells of the row above.

    In the body, continuations start in lower case or follow a hyphen, comma
    or a word like "and"; a new row starts with a capital or a number, so it
    stays a row. In the header (above the first row with figures) words wrap
    freely, so text stacked tightly under text in the same columns is one cell.
    """
    if gap > 0.6 * height or len(previous) < (1 if in_header else 2) or not line:
        return False
    above = {}
    for c0, _, seg in previous:
        above.setdefault(c0, []).append(seg)
    for c0, _, seg in line:
        cell = above.get(c0)
        if not cell:
            return False
        last = max(cell, key=lambda s: s.y1).text
        if not (in_header or seg.text[:1].islower() or _CONTINUES.search(last)):
            return False
    return True


def grid_from_text(glyphs: Sequence[Glyph], region: Box, rules: Sequence[float] = ()) -> Optional[Grid]:
    """A table grid from the glyphs inside `region`; `rules` are y positions of full-width rules."""
    segments = restore_spaces(build_segments([[g] for g in glyphs if not g.c.isspace()], gap_em=CELL_GAP_EM),
                              [g for g in glyphs if g.c.isspace()])
    if len(segments) < 4:
        return None
    lines = text_lines(segments)
    # A caption inside the region ("Table 5: ...") is not a row of the table.
    while lines and _CAPTION.match(lines[0].segments[0].text):
        region = (region[0], (lines[0].y1 + lines[1].y0) / 2 if len(lines) > 1 else region[1], region[2], region[3])
        lines = lines[1:]
    columns = _columns(lines)
    if len(columns) < 2 or len(lines) < 2:
        return None
    placed = [[(*_column_span(s, columns), s) for s in line.segments] for line in lines]
    bands = _row_bands(lines, rules)
    rows: list[list[tuple[int, int, Segment]]] = []
    if bands is not None:
        index = {id(line): i for i, line in enumerate(lines)}
        for band in bands:
            rows.append([item for line in band for item in placed[index[id(line)]]])
    else:
        first_figures = next((i for i, line in enumerate(lines)
                              if any(FIGURE.match(s.text) for s in line.segments)), 0)
        previous_line: Optional[_TextLine] = None
        for index, (line, items) in enumerate(zip(lines, placed)):
            if rows and previous_line is not None and _continues_previous(
                    rows[-1], items, line.y0 - previous_line.y1, line.y1 - line.y0,
                    in_header=index < first_figures):
                rows[-1].extend(items)
            else:
                rows.append(list(items))
            previous_line = line
    return _assemble(rows, columns, region)


def _assemble(rows: list[list[tuple[int, int, Segment]]], columns: list[tuple[float, float]],
              region: Box) -> Optional[Grid]:
    n_cols = len(columns)
    # Cell boundaries halfway between columns and rows.
    xs = [region[0]] + [(columns[i][1] + columns[i + 1][0]) / 2 for i in range(n_cols - 1)] + [region[2]]
    row_extents = [(min(s.y0 for *_, s in row), max(s.y1 for *_, s in row)) for row in rows if row]
    rows = [row for row in rows if row]
    ys = [region[1]] + [(row_extents[i][1] + row_extents[i + 1][0]) / 2 for i in range(len(rows) - 1)] + [region[3]]
    cells: list[GridCell] = []
    for r, row in enumerate(rows):
        taken: dict[int, GridCell] = {}
        for c0, c1, seg in sorted(row, key=lambda item: (item[0], item[2].y0)):
            if any(c in taken for c in range(c0, c1 + 1)):
                # Overlaps a cell already placed in this row: join the cell at its first column.
                owner = taken.get(c0) or next(taken[c] for c in range(c0, c1 + 1) if c in taken)
                owner.segments.append(seg)
                continue
            cell = GridCell(r, c0, 1, c1 - c0 + 1, (xs[c0], ys[r], xs[c1 + 1], ys[r + 1]), [seg])
            for c in range(c0, c1 + 1):
                taken[c] = cell
            cells.append(cell)
        for c in range(n_cols):
            if c not in taken:
                cells.append(GridCell(r, c, 1, 1, (xs[c], ys[r], xs[c + 1], ys[r + 1]), []))
    for cell in cells:
        cell.segments.sort(key=lambda s: (round(s.y0), s.x0))
    cells.sort(key=lambda c: (c.row, c.col))
    if len(rows) < 2:
        return None
    return Grid((xs[0], ys[0], xs[-1], ys[-1]), len(rows), n_cols, cells)
