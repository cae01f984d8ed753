"""Table detection on born-digital pages: a cheap look at the vector rulings first,
PyMuPDF's table finder only on pages that can hold a table.

`find_tables()` costs tens of milliseconds a page even without its layout
model, so pages without a grid of rulings never pay for it.
"""

from __future__ import annotations

from docpipe.layout import Glyph
from docpipe.tables import Grid, grid_from_cells

MIN_RULE_LENGTH = 8.0  # points; shorter strokes are glyph decorations, not rulings


def count_rulings(drawings: list[dict]) -> tuple[int, int]:
    """(horizontal, vertical) ruling strokes and thin bars among the page's drawings."""
    horizontal = vertical = 0
    for path in drawings:
        for item in path.get("items", ()):
            kind = item[0]
            if kind == "l":
                (x0, y0), (x1, y1) = item[1], item[2]
                if abs(y1 - y0) < 1.0 and abs(x1 - x0) >= MIN_RULE_LENGTH:
                    horizontal += 1
                elif abs(x1 - x0) < 1.0 and abs(y1 - y0) >= MIN_RULE_LENGTH:
                    vertical += 1
            elif kind == "re":
                x0, y0, x1, y1 = item[1]
                w, h = abs(x1 - x0), abs(y1 - y0)
                if h < 3.0 and w >= MIN_RULE_LENGTH:
                    horizontal += 1
                elif w < 3.0 and h >= MIN_RULE_LENGTH:
                    vertical += 1
                elif w >= MIN_RULE_LENGTH and h >= MIN_RULE_LENGTH:
                    # A framed or shaded box contributes its four edges.
                    horizontal += 2
                    vertical += 2
            elif kind == "qu":
                horizontal += 2
                vertical += 2
    return horizontal, vertical


def may_hold_ruled_table(drawings: list[dict]) -> bool:
    horizontal, vertical = count_rulings(drawings)
    return horizontal >= 3 and vertical >= 3


def find_tables(page, frame, glyphs: list[Glyph], drawings: list[dict]) -> list[Grid]:
    if not may_hold_ruled_table(drawings):
        return []
    try:
        found = page.find_tables(strategy="lines", use_layout=False)
    except Exception:  # a table finder failure must not cost the page its text
        return []
    grids = []
    for table in found.tables:
        # The finder de-rotates the page first: its boxes are in displayed space.
        boxes = [frame.box_displayed(cell) for cell in table.cells if cell is not None]
        grid = grid_from_cells(boxes, glyphs)
        if grid is None or grid.n_rows < 2 or grid.n_cols < 2:
            continue
        if sum(1 for cell in grid.cells if cell.text) < 2:
            continue
        grids.append(grid)
    # A frame drawn around the page or around another table is not a table itself.
    return [g for g in grids if not any(o is not g and _encloses(g.box, o.box) for o in grids)]


def _encloses(outer, inner, tol: float = 2.0) -> bool:
    return (outer[0] - tol <= inner[0] and outer[1] - tol <= inner[1]
            and inner[2] <= outer[2] + tol and inner[3] <= outer[3] + tol)
