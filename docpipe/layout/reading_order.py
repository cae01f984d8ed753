"""Reading order: blocks -> headers, body in reading order, footnotes, footers.

Footnotes set at the foot of one column (text beside them at their height) are
read with that column, after its body; footnotes across the text width come
after the whole body.

Pure functions over `LayoutBlock`s (upright page points), shared by every
engine; the kinds that decide what is a header or a footnote come from
`block_kinds`.
"""

from __future__ import annotations

from typing import Optional, Sequence

from docpipe.layout import bidi
from docpipe.layout.block_kinds import CAPTION, classify_blocks
from docpipe.layout.blocks import LayoutBlock, x_overlap
from docpipe.layout.floats import insert_floats, split_floats
from docpipe.layout.regions import Box, order_in_regions
from docpipe.layout.furniture import FURNITURE


def reading_order(blocks: list[LayoutBlock]) -> list[LayoutBlock]:
    """Order blocks as a person reads: columns top to bottom, left to right.

    Breuel's rules (2003): A precedes B when they overlap horizontally and A is
    above B, or when A lies wholly left of B and no third block lying between
    them vertically spans both. A topological sort with (top, left) as the
    tie-break turns those pairwise rules into one order.
    """
    import numpy as np

    n = len(blocks)
    if n < 2:
        return list(blocks)
    tol = 1.0
    x0 = np.array([b.x0 for b in blocks])
    x1 = np.array([b.x1 for b in blocks])
    cy = np.array([(b.y0 + b.y1) / 2 for b in blocks])
    overlap = (np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :])) > tol
    above = cy[:, None] < cy[None, :]
    rule1 = overlap & above  # [i, j]: i before j
    left_of = x1[:, None] <= x0[None, :] + tol
    rule2 = np.zeros((n, n), dtype=bool)
    for i in range(n):
        js = np.nonzero(left_of[i] & ~overlap[i])[0]
        if js.size == 0:
            continue
        lo = np.minimum(cy[i], cy[js])[:, None]
        hi = np.maximum(cy[i], cy[js])[:, None]
        between = (cy[None, :] > lo) & (cy[None, :] < hi)
        spans = overlap[i][None, :] & overlap[js]
        blocked = (between & spans).any(axis=1)
        rule2[i, js[~blocked]] = True
    before_matrix = rule1 | rule2
    np.fill_diagonal(before_matrix, False)
    before = [set(np.nonzero(before_matrix[:, j])[0].tolist()) for j in range(n)]
    return [blocks[i] for i in _toposort(before, blocks)]


def _toposort(before: list[set[int]], blocks: list[LayoutBlock]) -> list[int]:
    import heapq

    n = len(before)
    indegree = [len(b) for b in before]
    after: list[list[int]] = [[] for _ in range(n)]
    for j, preds in enumerate(before):
        for i in preds:
            after[i].append(j)
    key = lambda i: (blocks[i].y0, blocks[i].x0)  # noqa: E731
    ready = [(key(i), i) for i in range(n) if indegree[i] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    done = [False] * n
    while len(order) < n:
        if not ready:
            # A cycle (overlapping boxes): release the top-most remaining block.
            rest = min((i for i in range(n) if not done[i]), key=key)
            heapq.heappush(ready, (key(rest), rest))
            indegree[rest] = 0
        _, i = heapq.heappop(ready)
        if done[i]:
            continue
        done[i] = True
        order.append(i)
        for j in after[i]:
            indegree[j] -= 1
            if indegree[j] == 0 and not done[j]:
                heapq.heappush(ready, (key(j), j))
    return order


def _attach_to_below(blocks: list[LayoutBlock]) -> dict[int, tuple[float, float]]:
    """Headings and captions sitting right above a wider table, figure or title
    are read with it: for ordering, they take its horizontal extent.

    Without this a caption in the left half above a full-width table is read
    before the right column that precedes the table.
    """
    widened: dict[int, tuple[float, float]] = {}
    for block in blocks:
        if block.kind not in ("heading", "caption", "title") and not CAPTION.match(block.text.strip()):
            continue
        size = max((s.size for s in block.segments), default=10.0)
        if block.kind == "heading" and _tight_under_text(block, blocks, 0.5 * size):
            continue  # a last line set close under its paragraph, taken for a heading by its size
        below = [
            b for b in blocks
            if b is not block and 0 <= b.y0 - block.y1 <= 1.5 * size
            and x_overlap(b.x0, b.x1, block.x0, block.x1) > 0 and (b.x1 - b.x0) > (block.x1 - block.x0)
        ]
        if below:
            target = min(below, key=lambda b: b.y0)
            if target.kind in ("table", "figure", "title") or (target.x1 - target.x0) > 1.5 * (block.x1 - block.x0):
                widened[id(block)] = (min(block.x0, target.x0), max(block.x1, target.x1))
    return widened


def _tight_under_text(block: LayoutBlock, blocks: list[LayoutBlock], gap: float) -> bool:
    return any(
        b is not block and b.kind in ("paragraph", "list") and -0.5 <= block.y0 - b.y1 < gap
        and x_overlap(b.x0, b.x1, block.x0, block.x1) > 0.5 * (block.x1 - block.x0)
        for b in blocks
    )


def _column_notes(notes: list[LayoutBlock], body: list[LayoutBlock]) -> set[int]:
    """Footnotes with text beside them at their height: set at the foot of one column, not across the page.

    Such a note is read where it stands, after its column's text and before
    the next column (the column rules place it once it is among the body).
    """
    text = [b for b in body if b.kind != "figure"] + notes
    return {id(n) for n in notes if any(
        b is not n and x_overlap(b.x0, b.x1, n.x0, n.x1) <= 0 and min(b.y1, n.y1) - max(b.y0, n.y0) > 0
        for b in text)}


def order_page(blocks: list[LayoutBlock], page_height: float, page_width: Optional[float] = None,
               regions: Sequence[Box] = ()) -> list[LayoutBlock]:
    """Headers first, body in reading order, footers last.

    A page written right to left (Arabic, Hebrew) is read with its x axis
    mirrored: columns, and pieces of one line, go right to left.
    """
    if not bidi.is_rtl(s.text for b in blocks for s in b.segments):
        return _order_page(blocks, page_height, page_width, regions)
    w = page_width or 0.0  # mirrored within the page, so margins stay margins
    for b in blocks:
        b.x0, b.x1 = w - b.x1, w - b.x0
    try:
        mirrored = [(w - r[2], r[1], w - r[0], r[3]) for r in regions]
        return _order_page(blocks, page_height, page_width, mirrored)
    finally:
        for b in blocks:
            b.x0, b.x1 = w - b.x1, w - b.x0


def _order_page(blocks: list[LayoutBlock], page_height: float, page_width: Optional[float],
                regions: Sequence[Box]) -> list[LayoutBlock]:
    classify_blocks(blocks, page_height, page_width)
    top = [b for b in blocks if b.kind == "header" or (b.kind == "page_number" and b.y1 < 0.5 * page_height)]
    bottom = [b for b in blocks if b.kind in ("footer", "page_number") and b not in top]
    headers, footers = reading_order(top), reading_order(bottom)
    notes = [b for b in blocks if b.kind == "footnote"]
    in_columns = _column_notes(notes, [b for b in blocks if b.kind not in FURNITURE and b.kind != "footnote"])
    footnotes = reading_order([b for b in notes if id(b) not in in_columns])
    body, floats = split_floats([b for b in blocks if b.kind not in FURNITURE
                                 and (b.kind != "footnote" or id(b) in in_columns)])
    widened = _attach_to_below(body)
    saved = {id(b): (b.x0, b.x1) for b in body if id(b) in widened}
    for b in body:
        if id(b) in widened:
            b.x0, b.x1 = widened[id(b)]
    try:
        ordered = order_in_regions(body, regions, reading_order)
    finally:
        for b in body:
            if id(b) in saved:
                b.x0, b.x1 = saved[id(b)]
    return headers + insert_floats(ordered, floats) + footnotes + footers
