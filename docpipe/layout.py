"""Page geometry as pure functions: glyphs -> line segments -> blocks -> reading order.

Coordinates are points on the page as displayed upright, origin top left.
No PDF library is imported here, so every engine (text layer, OCR, VLM hints)
can share the same reading-order logic and it is tested on plain tuples.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple, Optional, Sequence


class Glyph(NamedTuple):
    c: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool = False


@dataclass
class Segment:
    """A run of glyphs on one baseline with no large gap: a 'line' of the output."""

    glyphs: list[Glyph]
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool = False
    text: str = ""

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def center_y(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class LayoutBlock:
    kind: str
    segments: list[Segment] = field(default_factory=list)
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 0.0
    y1: float = 0.0
    text_override: Optional[str] = None  # tables render their own text

    @property
    def text(self) -> str:
        if self.text_override is not None:
            return self.text_override
        return "\n".join(s.text for s in self.segments)

    def grow(self, seg: Segment) -> None:
        if not self.segments:
            self.x0, self.y0, self.x1, self.y1 = seg.x0, seg.y0, seg.x1, seg.y1
        else:
            self.x0, self.y0 = min(self.x0, seg.x0), min(self.y0, seg.y0)
            self.x1, self.y1 = max(self.x1, seg.x1), max(self.y1, seg.y1)
        self.segments.append(seg)


# A gap wider than this many font sizes ends a line segment (column gutters,
# table cells without rulings); word spaces, even justified, stay far below it.
SEGMENT_GAP_EM = 0.9
SPACE_GAP_EM = 0.12


def _text_of(glyphs: Sequence[Glyph]) -> str:
    parts: list[str] = []
    prev: Optional[Glyph] = None
    for g in glyphs:
        if prev is not None and not g.c.isspace() and not prev.c.isspace():
            if g.x0 - prev.x1 > SPACE_GAP_EM * max(g.size, prev.size):
                parts.append(" ")
        parts.append(g.c)
        prev = g
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _make_segment(glyphs: list[Glyph]) -> Segment:
    ink = [g for g in glyphs if not g.c.isspace()] or glyphs
    main = max(ink, key=lambda g: g.size)
    return Segment(
        glyphs=glyphs,
        x0=min(g.x0 for g in ink), y0=min(g.y0 for g in ink),
        x1=max(g.x1 for g in ink), y1=max(g.y1 for g in ink),
        size=main.size,
        bold=sum(g.bold for g in ink) * 2 > len(ink),
        text=_text_of(glyphs),
    )


def split_runs(runs: Iterable[Sequence[Glyph]], gap_em: float = SEGMENT_GAP_EM) -> list[list[Glyph]]:
    """Cut each run of glyphs (in writing order) where it jumps back or leaves a wide gap."""
    pieces: list[list[Glyph]] = []
    for run in runs:
        current: list[Glyph] = []
        last_ink: Optional[Glyph] = None
        for g in run:
            if g.c.isspace():
                if current:
                    current.append(g)
                continue
            if last_ink is not None:
                gap = g.x0 - last_ink.x1
                size = max(g.size, last_ink.size)
                same_line = abs(((g.y0 + g.y1) - (last_ink.y0 + last_ink.y1)) / 2) < 0.5 * size
                if gap > gap_em * size or gap < -0.5 * size or not same_line:
                    pieces.append(_strip(current))
                    current = []
            current.append(g)
            last_ink = g
        if current:
            pieces.append(_strip(current))
    return [p for p in pieces if p]


def _strip(glyphs: list[Glyph]) -> list[Glyph]:
    while glyphs and glyphs[-1].c.isspace():
        glyphs = glyphs[:-1]
    return glyphs


def _same_baseline(s_y0: float, s_y1: float, s_size: float, p_y0: float, p_y1: float, p_size: float) -> bool:
    overlap = min(s_y1, p_y1) - max(s_y0, p_y0)
    smaller = min(s_y1 - s_y0, p_y1 - p_y0)
    if smaller <= 0:
        return False
    # Super/subscripts sit inside the band of the line they belong to.
    return overlap >= 0.4 * smaller and abs(p_size - s_size) < 0.6 * s_size + 1


class _OpenSegment:
    __slots__ = ("glyphs", "y0", "y1", "size", "right")

    def __init__(self, piece: list[Glyph], y0: float, y1: float, size: float, right: float):
        self.glyphs = list(piece)
        self.y0, self.y1, self.size, self.right = y0, y1, size, right

    def add(self, piece: list[Glyph], y0: float, y1: float, size: float, right: float) -> None:
        self.glyphs.extend(piece)
        if size >= self.size * 0.8:  # a superscript does not widen the line's band
            self.y0, self.y1 = min(self.y0, y0), max(self.y1, y1)
        self.size = max(self.size, size)
        self.right = max(self.right, right)


def build_segments(runs: Iterable[Sequence[Glyph]], barriers: Sequence[float] = (),
                   gap_em: float = SEGMENT_GAP_EM) -> list[Segment]:
    """Join pieces on a shared baseline from left to right into line segments.

    Content streams may write a line in several pieces and in any order, so the
    pieces are regrouped geometrically; a wide gap, or a vertical ruling in
    `barriers` (x positions), starts a new segment.
    """
    pieces = split_runs(runs, gap_em)
    pieces.sort(key=lambda p: p[0].x0)
    active: list[_OpenSegment] = []
    finished: list[_OpenSegment] = []
    for piece in pieces:
        ink = [g for g in piece if not g.c.isspace()]
        p_y0, p_y1 = min(g.y0 for g in ink), max(g.y1 for g in ink)
        p_size = max(g.size for g in ink)
        p_right = max(g.x1 for g in ink)
        x0 = ink[0].x0
        best, best_dist = None, None
        still_open = []
        for seg in active:
            limit = gap_em * max(seg.size, p_size)
            gap = x0 - seg.right
            if gap > SEGMENT_GAP_EM * seg.size * 2.5:
                finished.append(seg)  # pieces come in x order: nothing can join it any more
                continue
            still_open.append(seg)
            if gap > limit or gap < -0.3 * seg.size:
                continue
            if barriers and any(seg.right - 0.5 < b < x0 + 0.5 for b in barriers):
                continue
            if not _same_baseline(seg.y0, seg.y1, seg.size, p_y0, p_y1, p_size):
                continue
            dist = abs((seg.y0 + seg.y1) - (p_y0 + p_y1)) + max(gap, 0)
            if best_dist is None or dist < best_dist:
                best, best_dist = seg, dist
        active = still_open
        if best is None:
            active.append(_OpenSegment(piece, p_y0, p_y1, p_size, p_right))
        else:
            best.add(piece, p_y0, p_y1, p_size, p_right)
    segments = [_make_segment(seg.glyphs) for seg in finished + active]
    return [s for s in segments if s.text]


# ---------------------------------------------------------------- blocks

def _x_overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


def group_blocks(segments: list[Segment]) -> list[LayoutBlock]:
    """Stack segments into paragraph-like blocks within one column.

    A segment joins the block above it when they overlap horizontally, the
    vertical gap is about one line of leading, and the font size matches; so a
    block never spans two columns and headings stay apart from body text.
    """
    blocks: list[LayoutBlock] = []
    for seg in sorted(segments, key=lambda s: (s.y0, s.x0)):
        target = None
        for block in reversed(blocks[-40:]):
            last = block.segments[-1]
            gap = seg.y0 - last.y1
            if gap < -0.3 * seg.height or gap > 0.9 * max(seg.size, last.size):
                continue
            overlap = _x_overlap(seg.x0, seg.x1, last.x0, last.x1)
            narrower = min(seg.x1 - seg.x0, last.x1 - last.x0)
            if overlap < 0.3 * narrower and not (abs(seg.x0 - last.x0) < 2 * seg.size and overlap > 0):
                continue
            if abs(seg.size - last.size) > 0.15 * max(seg.size, last.size) or seg.bold != last.bold:
                continue
            # Don't swallow a segment that also touches another column's block.
            target = block
            break
        if target is None:
            target = LayoutBlock(kind="paragraph")
            blocks.append(target)
        target.grow(seg)
    return _split_straddlers(blocks)


def _split_straddlers(blocks: list[LayoutBlock]) -> list[LayoutBlock]:
    # A block whose box grew over a neighbour (two columns merged by one wide
    # line) would break ordering; such blocks are rare, keep them as they are.
    return blocks


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
    if not candidates:
        return
    top = min(b.y0 for b in candidates)
    below = [b for b in blocks if b.y0 >= top - 0.5 and b.kind not in ("footer", "header")]
    if all(b in candidates or max((s.size for s in b.segments), default=0) < 0.95 * body_size for b in below):
        for b in below:
            if b.kind in ("paragraph", "list"):
                b.kind = "footnote"


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
        below = [
            b for b in blocks
            if b is not block and 0 <= b.y0 - block.y1 <= 1.5 * size
            and _x_overlap(b.x0, b.x1, block.x0, block.x1) > 0 and (b.x1 - b.x0) > (block.x1 - block.x0)
        ]
        if below:
            target = min(below, key=lambda b: b.y0)
            if target.kind in ("table", "figure", "title") or (target.x1 - target.x0) > 1.5 * (block.x1 - block.x0):
                widened[id(block)] = (min(block.x0, target.x0), max(block.x1, target.x1))
    return widened


def order_page(blocks: list[LayoutBlock], page_height: float) -> list[LayoutBlock]:
    """Headers first, body in reading order, footers last."""
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
