"""Page furniture: running headers, footers, page numbers and margin notes.

On one page they are told by position (a band of short blocks at the top or
bottom set apart by white space, a lone number under the last paragraph, text
running up the side margin); across a document's pages, by repetition (the
same line at the same height on several pages, numbers aside). Consumers drop
these kinds to read the body alone (`docpipe export` does).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Sequence

from docpipe.layout.blocks import CAPTION, LayoutBlock
from docpipe.records import PageResult

FURNITURE = ("header", "footer", "page_number")
PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$|^[-–]\s*\d{1,4}\s*[-–]$"
                         r"|^(?=[ivx])x{0,3}(ix|iv|v?i{0,3})$", re.I)  # front matter: i to xxxix
BARE_NUMBER = re.compile(r"^\d{1,4}$")
FOOTNOTE_MARK = re.compile(r"^([\u00b9\u00b2\u00b3\u2070-\u2079*\u2020\u2021\u00a7]|\d{1,2}[\s)])")
# The top and bottom bands a running header or footer may sit in (fractions of the page height).
TOP, BOTTOM = 0.14, 0.88
# Pieces of one line this far apart (fraction of the page width) are separate furniture fields
# ("Revision 2.4 | P/N 119-036 | 10 June 2019"), not words of a sentence.
FIELD_GAP = 0.08


def mark_page_furniture(blocks: list[LayoutBlock], page_width: float, page_height: float) -> None:
    """Give header, footer and page_number kinds to one page's blocks by their position."""
    text = [b for b in blocks if b.kind not in ("table", "figure") and b.segments]
    if not text:
        return
    body_size = _body_size(text)
    # A logo wholly inside the top or bottom margin is furniture's company, not body it must keep clear of.
    top = [b for b in blocks if not (b.kind == "figure" and b.y1 < TOP * page_height)]
    bottom = [b for b in blocks if not (b.kind == "figure" and b.y0 > BOTTOM * page_height)]
    for band in (_top_band(text, top, body_size, page_height), _bottom_band(text, bottom, page_height)):
        for block, kind in band:
            block.kind = kind
    for block in text:
        if block.kind in FURNITURE:
            continue
        stripped = block.text.strip()
        if PAGE_NUMBER.match(stripped) and (block.y1 < 0.1 * page_height or block.y0 > 0.9 * page_height):
            block.kind = "page_number"
        elif _side_note(block, page_width, page_height):
            block.kind = "header"
    _lone_page_number(text, page_height)


def _kind(block: LayoutBlock, top: bool) -> str:
    if PAGE_NUMBER.match(block.text.strip()):
        return "page_number"
    return "header" if top else "footer"


def _short(block: LayoutBlock) -> bool:
    """Furniture is a line or two, and never a figure's caption set low on the page."""
    return len(block.segments) <= 2 and len(block.text) < 200 and not CAPTION.match(block.text.strip())


def _size(blocks: Sequence[LayoutBlock]) -> float:
    return max(s.size for b in blocks for s in b.segments)


def _fields(band: Sequence[LayoutBlock], page_width: float, top: bool) -> bool:
    """The band's line next to the body is two or more pieces with wide spaces between: furniture fields."""
    edge = max(band, key=lambda b: b.y1) if top else min(band, key=lambda b: b.y0)
    line = [b for b in band if min(b.y1, edge.y1) - max(b.y0, edge.y0) > 0]
    return any(_field(b, line, page_width) for b in line)


def _field(block: LayoutBlock, band: Sequence[LayoutBlock], page_width: float) -> bool:
    return any(
        other is not block and min(block.y1, other.y1) - max(block.y0, other.y0) > 0
        and max(other.x0 - block.x1, block.x0 - other.x1) > FIELD_GAP * page_width
        for other in band
    )


def _body_size(blocks: Sequence[LayoutBlock]) -> float:
    sizes = sorted((s.size, len(s.text)) for b in blocks for s in b.segments)
    half, acc = sum(n for _, n in sizes) / 2, 0
    for size, n in sizes:
        acc += n
        if acc >= half:
            return size
    return sizes[-1][0] if sizes else 10.0


def _top_band(text: list[LayoutBlock], blocks: list[LayoutBlock], body_size: float,
              page_height: float) -> list[tuple[LayoutBlock, str]]:
    """The lowest cut under which only one-line top blocks lie, set apart from the body by white space.

    Type larger than the body's, or a bold line alone, is a heading that starts the page, and a
    sentence is body text: neither is a running header.
    """
    candidates = [b for b in text if len(b.segments) == 1 and _short(b) and b.y1 < TOP * page_height
                  and not _sentence(b) and max(s.size for s in b.segments) < 1.1 * body_size]
    width = max(b.x1 for b in text) - min(b.x0 for b in text)
    best: list[LayoutBlock] = []
    for cut in sorted({b.y1 for b in candidates}):
        band = [b for b in candidates if b.y1 <= cut + 0.5]
        rest = _beside(band, blocks)
        if any(b.y0 < cut - 0.5 for b in rest):
            continue  # a body block starts inside the band
        gap = min((b.y0 for b in rest), default=page_height) - cut
        fields = _fields(band, width, top=True)
        if not fields and all(b.segments[0].bold for b in band):
            continue  # a bold line alone at the top opens the page: a heading
        if gap > 1.2 * _size(band) or (gap > 0.5 * _size(band) and fields):
            best = band
    return [(b, _kind(b, True)) for b in best]


def _bottom_band(text: list[LayoutBlock], blocks: list[LayoutBlock], page_height: float) -> list[tuple[LayoutBlock, str]]:
    candidates = [b for b in text if _short(b) and b.y0 > BOTTOM * page_height]
    width = max(b.x1 for b in text) - min(b.x0 for b in text)
    best: list[LayoutBlock] = []
    for cut in sorted({b.y0 for b in candidates}, reverse=True):
        band = [b for b in candidates if b.y0 >= cut - 0.5]
        rest = _beside(band, blocks)
        if any(b.y1 > cut + 0.5 for b in rest):
            continue
        if any(_note(b) and not _field(b, band, width) for b in band):
            continue  # a note at the foot ("2 Provisional data ...") is a footnote, not furniture
        gap = cut - max((b.y1 for b in rest), default=0.0)
        if gap > _size(band) or (gap > 0.5 * _size(band) and _fields(band, width, top=False)):
            best = band
    return [(b, _kind(b, False)) for b in best]


def _beside(band: list[LayoutBlock], blocks: list[LayoutBlock]) -> list[LayoutBlock]:
    """The other blocks under or over the band's pieces: what its white space is measured to.

    A block that overlaps none of them horizontally (a panel running lower beside a corner
    stamp) neither hides the band nor sets its gap.
    """
    held = {id(b) for b in band}
    return [b for b in blocks if id(b) not in held and any(b.x0 < p.x1 and p.x0 < b.x1 for p in band)]


def _sentence(block: LayoutBlock) -> bool:
    """Body prose ("Table 3-1 summarizes these values."), which a running header is not."""
    text = block.text.strip()
    return text.endswith(".") and len(text.split()) >= 5


def _note(block: LayoutBlock) -> bool:
    text = block.text.strip()
    return bool(FOOTNOTE_MARK.match(text)) and not PAGE_NUMBER.match(text)


def _side_note(block: LayoutBlock, page_width: float, page_height: float) -> bool:
    """Text running up or down the outer side margin ("Downloaded from ... on 11 November")."""
    w, h = block.x1 - block.x0, block.y1 - block.y0
    in_margin = block.x1 < 0.08 * page_width or block.x0 > 0.92 * page_width
    return in_margin and h > 0.15 * page_height and w < 0.5 * h and len(block.text) > 10


def _lone_page_number(blocks: list[LayoutBlock], page_height: float) -> None:
    """A bare number as the last thing on the page, well below the text: the page's number."""
    body = [b for b in blocks if b.kind not in FURNITURE]
    if len(body) < 2:
        return
    last = max(body, key=lambda b: b.y1)
    if not BARE_NUMBER.match(last.text.strip()) or last.y0 < 0.5 * page_height:
        return
    above = max((b.y1 for b in body if b is not last and b.y1 <= last.y0 + 0.5), default=None)
    if above is not None and last.y0 - above > 1.5 * _size([last]):
        last.kind = "page_number"


# ------------------------------------------------------------------ across a document's pages

_DIGITS = re.compile(r"\d+")
# A line in the top or bottom this fraction of the page may be running furniture.
RUNNING_BAND = 0.15
# ... when it recurs, digits aside, at about the same height on this share of the pages (and on two at least).
RUNNING_SHARE = 0.3
RUNNING_DY = 0.03


def mark_running(pages: Sequence[PageResult]) -> None:
    """Blocks that recur near the top or bottom of a document's pages become header/footer/page_number.

    A running title, a journal's footer line, "Page 3 of 9" or a bare page
    number are the same text (digits aside) at the same height page after
    page; body text does not repeat that way.
    """
    pages = [p for p in pages if p.status == "ok" and p.blocks]
    if len(pages) < 2:
        return
    seen: dict[tuple[bool, str], list[tuple[int, float]]] = defaultdict(list)
    for index, page in enumerate(pages):
        for block in page.blocks:
            key = _running_key(block)
            if key is not None:
                seen[key].append((index, (block.bbox[1] + block.bbox[3]) / 2))
    need = max(2, RUNNING_SHARE * len(pages))
    for page_index, page in enumerate(pages):
        for block in page.blocks:
            key = _running_key(block)
            if key is None or block.kind in FURNITURE:
                continue
            here = (block.bbox[1] + block.bbox[3]) / 2
            near = {i for i, y in seen[key] if abs(y - here) <= RUNNING_DY}
            if len(near) >= need and page_index in near:
                number = PAGE_NUMBER.match(block.text.strip())
                block.kind = "page_number" if number else ("header" if key[0] else "footer")


def _running_key(block) -> tuple[bool, str] | None:
    if block.kind in ("table", "figure") or not block.text.strip() or len(block.text) > 200:
        return None
    top, bottom = block.bbox[3] < RUNNING_BAND, block.bbox[1] > 1 - RUNNING_BAND
    if not (top or bottom):
        return None
    return top, _DIGITS.sub("#", " ".join(block.text.lower().split()))
