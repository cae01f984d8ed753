"""Ruled tables from ruling lines alone: the vector strokes of a PDF page, or the lines found in a scan's pixels.

The method is pdfplumber's, which PyMuPDF's finder inherits: intersections
of horizontal and vertical rulings, then for each intersection the smallest
rectangle whose four sides are drawn; a missing inner side makes a spanning
cell. Pure functions over (y, x0, x1) / (x, y0, y1) tuples in upright page
points, so both engines, and pages with /Rotate, share them.
"""

from __future__ import annotations

from bisect import bisect_left

from docpipe.layout.boxes import Box, cluster_edges
from docpipe.layout.glyphs import Glyph
from docpipe.layout.tables.checks import has_text
from docpipe.layout.tables.grid import Grid, grid_from_cells

HLine = tuple[float, float, float]  # y, x0, x1
VLine = tuple[float, float, float]  # x, y0, y1


def snap(lines: list[tuple[float, float, float]], tol: float) -> list[tuple[float, float, float]]:
    """Lines at (almost) the same position join: one drawn line seen twice, or broken by noise."""
    positions = cluster_edges([p for p, _, _ in lines], tol)
    merged: dict[int, list[tuple[float, float]]] = {}
    for p, a, b in lines:
        index = min(range(len(positions)), key=lambda i: abs(positions[i] - p))
        merged.setdefault(index, []).append((a, b))
    out = []
    for index, extents in merged.items():
        extents.sort()
        start, end = extents[0]
        for a, b in extents[1:]:
            if a <= end + tol:
                end = max(end, b)
            else:
                out.append((positions[index], start, end))
                start, end = a, b
        out.append((positions[index], start, end))
    return out


def _covered(lines: list[tuple[float, float, float]], position: float, a: float, b: float, tol: float) -> bool:
    return any(abs(p - position) <= tol and lo <= a + tol and hi >= b - tol for p, lo, hi in lines)


def frames(horizontal: list[HLine], vertical: list[VLine], tol: float = 2.0) -> list[Box]:
    """The bounding box of each connected set of rulings (at least two of each direction).

    Tables ruled only inside (no outer frame, or a first column whose rules
    stop short) would lose their outer rows and columns; the box of the
    rulings that touch one another is where the frame would be.
    """
    if len(horizontal) * len(vertical) > 250_000:
        return []  # vector art, not a table: not worth the pairing cost
    parent = list(range(len(horizontal) + len(vertical)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (y, x0, x1) in enumerate(horizontal):
        for j, (x, y0, y1) in enumerate(vertical):
            if x0 - tol <= x <= x1 + tol and y0 - tol <= y <= y1 + tol:
                parent[find(i)] = find(len(horizontal) + j)
    groups: dict[int, list[int]] = {}
    for i in range(len(parent)):
        groups.setdefault(find(i), []).append(i)
    boxes = []
    for members in groups.values():
        hs = [horizontal[i] for i in members if i < len(horizontal)]
        vs = [vertical[i - len(horizontal)] for i in members if i >= len(horizontal)]
        if len(hs) < 2 or len(vs) < 2:
            continue
        boxes.append((min([x0 for _, x0, _ in hs] + [x for x, _, _ in vs]),
                      min([y for y, _, _ in hs] + [y0 for _, y0, _ in vs]),
                      max([x1 for _, _, x1 in hs] + [x for x, _, _ in vs]),
                      max([y for y, _, _ in hs] + [y1 for _, _, y1 in vs])))
    return boxes


def ruled_grids(horizontal: list[HLine], vertical: list[VLine], glyphs: list[Glyph]) -> list[Grid]:
    """Each ruled table's rows, columns and cell text: at least 2 x 2, with text in enough cells."""
    grids = []
    for boxes in cell_boxes(horizontal, vertical):
        if len(boxes) < 4:  # too few cells to pass has_text: not worth reading their glyphs
            continue
        grid = grid_from_cells(boxes, glyphs)
        if grid is not None and grid.n_rows >= 2 and grid.n_cols >= 2 and has_text(grid):
            grids.append(grid)
    return grids


def cell_boxes(horizontal: list[HLine], vertical: list[VLine], tol: float = 3.0) -> list[list[Box]]:
    """Ruled cells grouped by table (cells that share a corner belong to one table).

    Each connected set of rulings is closed by its frame first (see `frames`).
    """
    for x0, y0, x1, y1 in frames(horizontal, vertical):
        horizontal = horizontal + [(y0, x0, x1), (y1, x0, x1)]
        vertical = vertical + [(x0, y0, y1), (x1, y0, y1)]
    horizontal, vertical = snap(horizontal, tol), snap(vertical, tol)
    points = sorted({
        (x, y)
        for y, x0, x1 in horizontal
        for x, y0, y1 in vertical
        if x0 - tol <= x <= x1 + tol and y0 - tol <= y <= y1 + tol
    })
    point_set = set(points)
    by_x: dict[float, list[float]] = {}
    by_y: dict[float, list[float]] = {}
    for x, y in points:
        by_x.setdefault(x, []).append(y)
        by_y.setdefault(y, []).append(x)
    cells: list[Box] = []
    for x, y in points:
        cell = _smallest_cell(x, y, by_x[x], by_y[y], point_set, horizontal, vertical, tol)
        if cell is not None:
            cells.append(cell)
    return _tables(cells)


def _smallest_cell(x, y, column_ys, row_xs, point_set, horizontal, vertical, tol) -> Box | None:
    below = column_ys[bisect_left(column_ys, y) + 1:]
    right = row_xs[bisect_left(row_xs, x) + 1:]
    for y2 in below:
        if not _covered(vertical, x, y, y2, tol):
            break  # the left side stops: no taller cell either
        for x2 in right:
            if not _covered(horizontal, y, x, x2, tol):
                break
            if (x2, y2) in point_set and _covered(horizontal, y2, x, x2, tol) and _covered(vertical, x2, y, y2, tol):
                return (x, y, x2, y2)
    return None


def _tables(cells: list[Box]) -> list[list[Box]]:
    parent = list(range(len(cells)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    corner_owner: dict[tuple[float, float], int] = {}
    for index, (x0, y0, x1, y1) in enumerate(cells):
        for corner in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
            if corner in corner_owner:
                parent[find(index)] = find(corner_owner[corner])
            else:
                corner_owner[corner] = index
    groups: dict[int, list[Box]] = {}
    for index, cell in enumerate(cells):
        groups.setdefault(find(index), []).append(cell)
    return list(groups.values())
