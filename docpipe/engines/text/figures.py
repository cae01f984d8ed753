"""Figures on a born-digital page: images and large vector shapes with no text inside.

They matter for reading order: a full-width figure separates the column
sections above it from those below.
"""

from __future__ import annotations

from docpipe.engines.text.frame import UprightFrame
from docpipe.layout.blocks import LayoutBlock
from docpipe.layout.boxes import boxes_overlap, glyphs_inside, merge_boxes
from docpipe.layout.glyphs import Glyph
from docpipe.layout.tables.grid import Grid


def image_figures(images: list[dict], frame: UprightFrame, glyphs: list[Glyph]) -> list[LayoutBlock]:
    """Images of some size that are not the background of text: figure blocks."""
    blocks = []
    min_side = 0.05 * min(frame.width, frame.height)
    for info in images:
        box = frame.box(info["bbox"])
        if box[2] - box[0] >= min_side and box[3] - box[1] >= min_side and not _holds_text(box, glyphs):
            blocks.append(LayoutBlock(kind="figure", x0=box[0], y0=box[1], x1=box[2], y1=box[3], text_override=""))
    return blocks


def _holds_text(box, glyphs: list[Glyph]) -> bool:
    """A background or frame behind text is not a figure of its own."""
    inside, _ = glyphs_inside(glyphs, box, margin=-1.0)
    return len(inside) > 20


def drawn_figures(drawings: list[dict], frame: UprightFrame, glyphs: list[Glyph],
                  grids: list[Grid]) -> list[LayoutBlock]:
    """Large vector shapes with no text inside (charts, placeholders): figure blocks."""
    min_w, min_h = 0.15 * frame.width, 0.04 * frame.height
    boxes = []
    for path in drawings:
        box = frame.box(path["rect"])
        if box[2] - box[0] < min_w or box[3] - box[1] < min_h:
            continue
        if box[2] - box[0] > 0.95 * frame.width and box[3] - box[1] > 0.9 * frame.height:
            continue  # a page border or background
        if any(boxes_overlap(box, grid.box) for grid in grids):
            continue
        boxes.append(box)
    merged = merge_boxes(boxes)
    figures = []
    for box in merged:
        if _holds_text(box, glyphs):
            continue
        figures.append(LayoutBlock(kind="figure", x0=box[0], y0=box[1], x1=box[2], y1=box[3], text_override=""))
    return figures


# Frames smaller than this (fractions of the page) hold a word or a formula, not a group of blocks;
# past MAX_REGIONS the largest are kept (a page of drawn cells is a table's, not boxes' page).
MIN_REGION_W, MIN_REGION_H = 0.1, 0.04
MAX_REGIONS = 100


def drawn_regions(drawings: list[dict], frame: UprightFrame, grids: list[Grid]) -> list[tuple[float, float, float, float]]:
    """Rectangles drawn around parts of the page (card frames, side-bar panels): region evidence for reading order."""
    boxes = set()
    for path in drawings:
        box = frame.box(path["rect"])
        w, h = box[2] - box[0], box[3] - box[1]
        if w < MIN_REGION_W * frame.width or h < MIN_REGION_H * frame.height:
            continue
        if w > 0.95 * frame.width and h > 0.9 * frame.height:
            continue  # a page border or background
        if any(boxes_overlap(box, grid.box) for grid in grids):
            continue
        boxes.add(tuple(round(v, 1) for v in box))
    return sorted(boxes, key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))[:MAX_REGIONS]
