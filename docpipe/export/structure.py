"""A document as a flat list of items in reading order: what Markdown, HTML and chunks are made from.

One place decides what every format shows, so they cannot disagree:
- running headers, footers and page numbers are left out unless asked for;
- a table block is shown as the page's table it covers (its cells), not as its flat text;
- a figure takes the caption right after it (or right before it) as its own;
- footnotes go to the end of their page;
- each page starts with a `page` item (the page-break marker), and a page that failed, or that
  OUT/pages does not hold, is a `page_error` item saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from docpipe.export.read import Document
from docpipe.layout.boxes import overlap_fraction
from docpipe.layout.furniture import FURNITURE, mark_running
from docpipe.records import Block, PageResult, Table

MARGINS = FURNITURE
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+\S")
_BULLET = re.compile(r"^\s*[\u2022\u2023\u25e6\u2043\u2219\u25aa\u25cf]\s")  # glyphs only: "-" may be a hyphen
_TOLERANCE = 0.004  # a line's centre may sit this far (page fraction) outside its block's box


@dataclass
class Item:
    kind: str  # a block kind, or `page` (a page starts) or `page_error`
    page: int
    text: str = ""
    lines: list[tuple[str, list[float]]] = field(default_factory=list)  # (text, bbox) it came from
    table: Optional[Table] = None
    caption: Optional["Item"] = None  # a figure's caption
    level: int = 0  # headings: 1 for a title, 2 and deeper for headings


def heading_level(kind: str, text: str) -> int:
    """1 for a title; 2 for a heading, one deeper per level of its numbering ("2.3 Costs" -> 3).

    The pages keep no font sizes per block, so the numbering is the one sign of depth left.
    """
    if kind == "title":
        return 1
    numbered = _NUMBERED.match(text.strip())
    return min(6, 2 + numbered.group(1).count(".")) if numbered else 2


def document_items(document: Document, keep_headers: bool = False) -> list[Item]:
    # A long document's page ranges were read apart: repetition across all its pages tells the rest.
    mark_running(document.pages)
    by_page = {p.page: p for p in document.pages}
    last = max([document.row.n_pages or 0, *by_page])
    items: list[Item] = []
    for number in range(1, last + 1):
        items.append(Item("page", number))
        page = by_page.get(number)
        if page is None:
            items.append(Item("page_error", number, f"page {number} is not in the output"))
        else:
            items += page_items(page, keep_headers)
    return items


def page_items(page: PageResult, keep_headers: bool = False) -> list[Item]:
    if page.status == "error":
        why = f"{page.error_kind}: {page.error}" if page.error_kind else (page.error or "no reason given")
        return [Item("page_error", page.page, f"page {page.page} could not be read ({why})")]
    blocks = [b for b in page.blocks if keep_headers or b.kind not in MARGINS]
    if not page.blocks and page.text.strip():  # an engine that gave lines only
        blocks = [Block(kind="paragraph", text=part, bbox=[0, 0, 1, 1]) for part in page.text.split("\n\n")]
    unclaimed = list(page.tables)
    items = []
    for block in blocks:
        item = Item(block.kind, page.page, block.text, _lines_of(block, page))
        if block.kind == "table":
            item.table = _claim_table(block, unclaimed)
            item.kind = "table" if item.table else "paragraph"
            if item.table:
                item.lines = [(block.text, list(item.table.bbox))]
        if item.kind in ("title", "heading"):
            item.level = heading_level(item.kind, item.text)
        items += _split_bullets(item) if item.kind == "paragraph" else [item]
    # Tables no block stands for (an engine that reports them apart): after the text, top down.
    for table in sorted(unclaimed, key=lambda t: (t.bbox[1], t.bbox[0])):
        items.append(Item("table", page.page, "", [("", list(table.bbox))], table=table))
    items = _attach_captions(items)
    return [i for i in items if i.kind != "footnote"] + [i for i in items if i.kind == "footnote"]


def _lines_of(block: Block, page: PageResult) -> list[tuple[str, list[float]]]:
    """The page's lines a block was made of (centre inside its box), or the block itself as one line."""
    x0, y0, x1, y1 = block.bbox
    inside = [(line.text, list(line.bbox)) for line in page.lines
              if x0 - _TOLERANCE <= (line.bbox[0] + line.bbox[2]) / 2 <= x1 + _TOLERANCE
              and y0 - _TOLERANCE <= (line.bbox[1] + line.bbox[3]) / 2 <= y1 + _TOLERANCE]
    if inside and "\n".join(text for text, _ in inside) == block.text:
        return inside
    return [(block.text, list(block.bbox))]


def _split_bullets(item: Item) -> list[Item]:
    """A paragraph block whose later lines start with bullet glyphs: the paragraph, then a list."""
    texts = item.text.split("\n")
    start = next((i for i, t in enumerate(texts) if _BULLET.match(t)), None)
    if not start:  # none, or the whole block is a list the page called a paragraph
        return [item] if start is None else [Item("list", item.page, item.text, item.lines)]
    lines = item.lines if len(item.lines) == len(texts) else None
    return [Item("paragraph", item.page, "\n".join(texts[:start]), lines[:start] if lines else item.lines),
            Item("list", item.page, "\n".join(texts[start:]), lines[start:] if lines else item.lines)]


def _claim_table(block: Block, unclaimed: list[Table]) -> Optional[Table]:
    # Over the smaller box: a table block and its table may differ a little in size.
    scored = [(overlap_fraction(block.bbox, t.bbox), i) for i, t in enumerate(unclaimed)]
    best = max(scored, default=(0.0, -1))
    if best[0] < 0.5 or not unclaimed[best[1]].cells:
        return None
    return unclaimed.pop(best[1])


def _attach_captions(items: list[Item]) -> list[Item]:
    """A figure takes the caption that follows it, else the one before it; the caption is then its own no more."""
    taken: set[int] = set()
    for i, item in enumerate(items):
        if item.kind != "figure":
            continue
        for j in (i + 1, i - 1):
            if 0 <= j < len(items) and items[j].kind == "caption" and j not in taken:
                item.caption = items[j]
                taken.add(j)
                break
    return [item for i, item in enumerate(items) if i not in taken]
