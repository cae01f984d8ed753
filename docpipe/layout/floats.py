"""Floats: figures (with their captions) that sit inside the text's width, read where they stand.

In the column rules a block that overlaps two columns separates what is above it
from what is below it. That is right for a full-width figure between two
column sections, and wrong for an inset that crosses the gutter (a magazine's
photo between the columns, its caption under it): the left column's last
paragraph would be read after the whole right column. So figures narrower than
the text are taken out of the column rules, the text is ordered without them,
and each float is put back after the text block it stands under.
"""

from __future__ import annotations

from docpipe.layout.blocks import CAPTION, LayoutBlock, x_overlap

# A figure this close to the text's full width (fraction of it on each side) separates sections.
FULL_WIDTH_SLACK = 0.1
CAPTION_GAP_EM = 1.5


def split_floats(body: list[LayoutBlock]) -> tuple[list[LayoutBlock], list[list[LayoutBlock]]]:
    """(blocks ordered by the column rules, float groups: a figure and the captions beside it)."""
    figures = [b for b in body if b.kind == "figure"]
    text = [b for b in body if b.kind != "figure"]
    if not figures or not text:
        return body, []
    left, right = min(b.x0 for b in text), max(b.x1 for b in text)
    slack = FULL_WIDTH_SLACK * (right - left)
    groups: list[list[LayoutBlock]] = []
    taken: set[int] = set()
    for figure in figures:
        if figure.x0 <= left + slack and figure.x1 >= right - slack:
            continue  # full width: it divides the page into sections
        if not _between_columns(figure, text):
            continue  # inside one column: the column rules place it already
        group = [figure] + [c for c in text if id(c) not in taken and _caption_of(c, figure)]
        taken.update(id(b) for b in group)
        groups.append(group)
    rest = [b for b in body if id(b) not in taken]
    return rest, groups


def _between_columns(figure: LayoutBlock, text: list[LayoutBlock]) -> bool:
    """Text blocks lie beside it on both sides or it overlaps text blocks that do not overlap each other."""
    over = [b for b in text if x_overlap(b.x0, b.x1, figure.x0, figure.x1) > 1.0 and not _caption_of(b, figure)]
    return any(x_overlap(a.x0, a.x1, b.x0, b.x1) <= 0 for i, a in enumerate(over) for b in over[i + 1:])


def _caption_of(block: LayoutBlock, figure: LayoutBlock) -> bool:
    if block.kind != "caption" and not CAPTION.match(block.text.strip()):
        return False
    size = max((s.size for s in block.segments), default=10.0)
    gap = max(block.y0 - figure.y1, figure.y0 - block.y1)
    width = block.x1 - block.x0
    return gap <= CAPTION_GAP_EM * size and x_overlap(block.x0, block.x1, figure.x0, figure.x1) > 0.5 * width


def insert_floats(ordered: list[LayoutBlock], groups: list[list[LayoutBlock]]) -> list[LayoutBlock]:
    """Each float after the lowest text block above it in the column where it starts (else before what is below)."""
    out = list(ordered)
    for group in sorted(groups, key=lambda g: (g[0].y0, g[0].x0)):
        figure = group[0]
        members = sorted(group, key=lambda b: (b.y0, b.x0))
        above = [b for b in out if b.y1 <= figure.y0 + 2.0 and b.x0 <= figure.x0 + 2.0 < b.x1]
        if above:
            at = out.index(max(above, key=lambda b: b.y1)) + 1
        else:
            below = [i for i, b in enumerate(out) if b.y0 >= figure.y1 - 2.0
                     and x_overlap(b.x0, b.x1, figure.x0, figure.x1) > 0]
            at = min(below) if below else len(out)
        out[at:at] = members
    return out
