"""Reading order and block kinds: blocks -> headers, body in reading order, footnotes, footers.

Pure functions over `layout.LayoutBlock`s (upright page points), shared by
every engine.
"""

from __future__ import annotations

import re
import statistics

from docpipe import bidi
from docpipe.layout import LayoutBlock, x_overlap

# ---------------------------------------------------------------- reading order

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


# ---------------------------------------------------------------- block kinds

_CAPTION = re.compile(r"^(fig\.?|figure|table|tab\.|chart|exhibit)\s*[\dIVX]", re.I)
_LIST_ITEM = re.compile(r"^([\u2022\u2023\u25e6\u2043\u2219•\-–*]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s")
_FOOTNOTE = re.compile(r"^([\u00b9\u00b2\u00b3\u2070-\u2079*\u2020\u2021\u00a7]|\d{1,2}[\s)])")
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$|^[-–]\s*\d{1,4}\s*[-–]$", re.I)


def margin_kinds(blocks: list[LayoutBlock], page_height: float) -> None:
    """Mark running headers and footers: short blocks in the top/bottom margin, set apart."""
    if not blocks:
        return
    body = [b for b in blocks if b.kind != "table"]
    for block in blocks:
        if block.kind in ("table", "figure"):
            continue
        n_lines = len(block.segments)
        if n_lines > 2:
            continue
        above = [b for b in body if b is not block and b.y1 <= block.y0 + 0.5]
        below = [b for b in body if b is not block and b.y0 >= block.y1 - 0.5]
        gap_above = block.y0 - max((b.y1 for b in above), default=0.0)
        gap_below = min((b.y0 for b in below), default=page_height) - block.y1
        size = max(s.size for s in block.segments)
        if block.y1 < 0.12 * page_height and not above and gap_below > 1.0 * size:
            block.kind = "header"
        elif block.y0 > 0.88 * page_height and not below and gap_above > 1.0 * size:
            block.kind = "footer"
        elif _PAGE_NUMBER.match(block.text.strip()) and (block.y1 < 0.1 * page_height or block.y0 > 0.9 * page_height):
            block.kind = "header" if block.y1 < 0.5 * page_height else "footer"


def classify_blocks(blocks: list[LayoutBlock], page_height: float) -> None:
    """Assign kinds from typography: title, heading, list, caption, paragraph."""
    text_blocks = [b for b in blocks if b.kind == "paragraph"]
    if not text_blocks:
        return
    weights = [(s.size, len(s.text)) for b in text_blocks for s in b.segments]
    body_size = _weighted_median(weights)
    margin_kinds(blocks, page_height)
    for block in blocks:
        if block.kind != "paragraph":
            continue
        size = max(s.size for s in block.segments)
        text = block.text.strip()
        n_lines = len(block.segments)
        short = n_lines <= 3 and len(text) < 200
        if short and size >= 1.5 * body_size and block.y0 < 0.4 * page_height:
            block.kind = "title"
        elif short and (size >= 1.15 * body_size or (block.segments[0].bold and n_lines <= 2 and len(text) < 120)):
            block.kind = "heading"
        elif _CAPTION.match(text):
            block.kind = "caption"
        elif _LIST_ITEM.match(text):
            block.kind = "list"
    _mark_footnotes(blocks, body_size, page_height)
    # Only one title per page: the largest.
    titles = [b for b in blocks if b.kind == "title"]
    if len(titles) > 1:
        keep = max(titles, key=lambda b: max(s.size for s in b.segments))
        for b in titles:
            if b is not keep:
                b.kind = "heading"


def _mark_footnotes(blocks: list[LayoutBlock], body_size: float, page_height: float) -> None:
    """Notes at the foot of the page: small type, a note mark, nothing but notes below."""
    candidates = [
        b for b in blocks
        if b.kind in ("paragraph", "list") and b.y0 > 0.6 * page_height and _FOOTNOTE.match(b.text.strip())
        and max(s.size for s in b.segments) < 0.95 * body_size
    ]
    # Top down, the first candidate with only notes below it starts the notes. One with body text
    # below (a numbered heading read small, "7 Results") is no note, and must not hide the real ones.
    for candidate in sorted(candidates, key=lambda b: b.y0):
        below = [b for b in blocks if b.y0 >= candidate.y0 - 0.5 and b.kind not in ("footer", "header")]
        if all(b in candidates or max((s.size for s in b.segments), default=0) < 0.95 * body_size for b in below):
            for b in below:
                if b.kind in ("paragraph", "list"):
                    b.kind = "footnote"
            return


def _weighted_median(pairs: list[tuple[float, int]]) -> float:
    if not pairs:
        return 10.0
    expanded = sorted(pairs)
    total = sum(w for _, w in expanded)
    acc = 0
    for value, weight in expanded:
        acc += weight
        if acc * 2 >= total:
            return value
    return statistics.median(v for v, _ in expanded)


def merge_boxes(boxes: list[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """Union overlapping boxes until none overlap."""
    merged = [list(b) for b in boxes]
    changed = True
    while changed:
        changed = False
        out: list[list[float]] = []
        for box in merged:
            for other in out:
                if min(box[2], other[2]) >= max(box[0], other[0]) and min(box[3], other[3]) >= max(box[1], other[1]):
                    other[0], other[1] = min(other[0], box[0]), min(other[1], box[1])
                    other[2], other[3] = max(other[2], box[2]), max(other[3], box[3])
                    changed = True
                    break
            else:
                out.append(box)
        merged = out
    return [tuple(b) for b in merged]


def _attach_to_below(blocks: list[LayoutBlock]) -> dict[int, tuple[float, float]]:
    """Headings and captions sitting right above a wider table, figure or title
    are read with it: for ordering, they take its horizontal extent.

    Without this a caption in the left half above a full-width table is read
    before the right column that precedes the table.
    """
    widened: dict[int, tuple[float, float]] = {}
    for block in blocks:
        if block.kind not in ("heading", "caption", "title") and not _CAPTION.match(block.text.strip()):
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


def order_page(blocks: list[LayoutBlock], page_height: float) -> list[LayoutBlock]:
    """Headers first, body in reading order, footers last.

    A page written right to left (Arabic, Hebrew) is read with its x axis
    mirrored: columns, and pieces of one line, go right to left.
    """
    if not bidi.is_rtl(s.text for b in blocks for s in b.segments):
        return _order_page(blocks, page_height)
    for b in blocks:
        b.x0, b.x1 = -b.x1, -b.x0
    try:
        return _order_page(blocks, page_height)
    finally:
        for b in blocks:
            b.x0, b.x1 = -b.x1, -b.x0


def _order_page(blocks: list[LayoutBlock], page_height: float) -> list[LayoutBlock]:
    classify_blocks(blocks, page_height)
    headers = reading_order([b for b in blocks if b.kind == "header"])
    footnotes = reading_order([b for b in blocks if b.kind == "footnote"])
    footers = reading_order([b for b in blocks if b.kind == "footer"])
    body = [b for b in blocks if b.kind not in ("header", "footer", "footnote")]
    widened = _attach_to_below(body)
    saved = {id(b): (b.x0, b.x1) for b in body if id(b) in widened}
    for b in body:
        if id(b) in widened:
            b.x0, b.x1 = widened[id(b)]
    try:
        ordered = reading_order(body)
    finally:
        for b in body:
            if id(b) in saved:
                b.x0, b.x1 = saved[id(b)]
    return headers + ordered + footnotes + footers
