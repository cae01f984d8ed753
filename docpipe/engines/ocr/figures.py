"""Figures on a scan: large regions of ink or tint that Tesseract read no words from.

On a born-digital page figures come from image and vector objects; on a scan
they are pixels. They matter for reading order: a figure across the page
separates the columns above it from those below.

Ink alone misses the common chart or photo printed as a grey fill with a thin
frame: on a dull scan both lie above Otsu's ink threshold. So a cell also counts
when its mean lies clearly below the paper's tone, which is modelled as a smooth
surface over the page (scanner lighting is uneven by 20 grey levels on a page).
"""

from __future__ import annotations

import numpy as np

from docpipe.engines.ocr.scan import dark_mask

CELL_PX = 16  # search grid; about 4 pt at 300 DPI
CELL_INK = 0.02  # share of dark pixels that makes a cell ink (noise specks stay below)
BLANK_INK = 0.002  # a cell with fewer dark pixels than this is paper (or a tint) for the tone model
# Grey levels below the paper a cell's mean must lie to be a tint (measured: a chart's fill 16-18
# below the paper on a heavy scan; the means of paper cells spread by about 1.3).
TINT_MARGIN = 8.0
MIN_WIDTH, MIN_HEIGHT = 0.15, 0.04  # of the page: smaller regions are glyph bits, logos, stamps
# A tinted text box (a sidebar, a shaded table) is no figure: words cover much of it; a chart's
# labels cover little.
MAX_WORD_COVER = 0.25


def figure_boxes(gray: np.ndarray, word_boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Pixel boxes (x0, y0, x1, y1) of figures on an upright grayscale page; `word_boxes` in pixels."""
    cell = CELL_PX
    rows, cols = gray.shape[0] // cell, gray.shape[1] // cell
    if rows < 4 or cols < 4:
        return []
    grid = (rows, cell, cols, cell)
    ink_share = dark_mask(gray)[: rows * cell, : cols * cell].reshape(grid).mean(axis=(1, 3))
    means = gray[: rows * cell, : cols * cell].reshape(grid).mean(axis=(1, 3))
    cells = (ink_share > CELL_INK) | (means < _paper_tone(means, ink_share < BLANK_INK) - TINT_MARGIN)
    covered = np.zeros_like(cells)
    for x0, y0, x1, y1 in word_boxes:
        covered[max(0, y0 // cell - 1): y1 // cell + 2, max(0, x0 // cell - 1): x1 // cell + 2] = True
    cells &= ~covered
    boxes = []
    for r0, c0, r1, c1 in _components(cells):
        big = (c1 - c0) >= MIN_WIDTH * cols and (r1 - r0) >= MIN_HEIGHT * rows
        if big and covered[r0:r1, c0:c1].mean() <= MAX_WORD_COVER:
            boxes.append((c0 * cell, r0 * cell, c1 * cell, r1 * cell))
    return boxes


def _paper_tone(means: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """The paper's grey level under every cell: a quadratic surface fitted to the blank cells,
    refitted without the cells well below it (tints), which would pull it down."""
    rows, cols = means.shape
    y, x = np.mgrid[0:rows, 0:cols]
    y, x = y.ravel() / rows - 0.5, x.ravel() / cols - 0.5
    terms = np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], axis=1)
    values, use = means.ravel(), blank.ravel().copy()
    if use.sum() < terms.shape[1] * 4:
        return np.full(means.shape, np.inf if not use.any() else float(np.median(values[use])))
    for _ in range(3):
        coefficients = np.linalg.lstsq(terms[use], values[use], rcond=None)[0]
        surface = terms @ coefficients
        use = blank.ravel() & (values > surface - TINT_MARGIN / 2)
    return surface.reshape(rows, cols)


def _components(cells: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (row0, col0, row1, col1; end exclusive) of 8-connected True cells."""
    seen = set()
    boxes = []
    rows, cols = cells.shape
    for start in zip(*cells.nonzero()):
        if start in seen:
            continue
        seen.add(start)
        stack = [start]
        r0, c0, r1, c1 = start[0], start[1], start[0], start[1]
        while stack:
            r, c = stack.pop()
            r0, c0, r1, c1 = min(r0, r), min(c0, c), max(r1, r), max(c1, c)
            for nr in (r - 1, r, r + 1):
                for nc in (c - 1, c, c + 1):
                    if 0 <= nr < rows and 0 <= nc < cols and cells[nr, nc] and (nr, nc) not in seen:
                        seen.add((nr, nc))
                        stack.append((nr, nc))
        boxes.append((r0, c0, r1 + 1, c1 + 1))
    return boxes
