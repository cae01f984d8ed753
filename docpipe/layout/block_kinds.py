"""Block kinds from typography and position: title, heading, list, caption, footnote, header, footer."""

from __future__ import annotations

import re
import statistics
from typing import Optional

from docpipe.layout.blocks import CAPTION, LayoutBlock
from docpipe.layout.furniture import FURNITURE, mark_page_furniture

_LIST_ITEM = re.compile(r"^([\u2022\u2023\u25e6\u2043\u2219•\-–*]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s")
_FOOTNOTE = re.compile(r"^([\u00b9\u00b2\u00b3\u2070-\u2079*\u2020\u2021\u00a7]|\d{1,2}[\s)])")


def classify_blocks(blocks: list[LayoutBlock], page_height: float, page_width: Optional[float] = None) -> None:
    """Assign kinds from position (page furniture) and typography: title, heading, list, caption, paragraph."""
    text_blocks = [b for b in blocks if b.kind == "paragraph"]
    if not text_blocks:
        return
    weights = [(s.size, len(s.text)) for b in text_blocks for s in b.segments]
    body_size = _weighted_median(weights)
    width = page_width or max((b.x1 for b in blocks), default=1.0)
    mark_page_furniture(blocks, width, page_height)
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
        elif CAPTION.match(text):
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
        below = [b for b in blocks if b.y0 >= candidate.y0 - 0.5 and b.kind not in FURNITURE]
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
