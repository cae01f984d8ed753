"""Boxed regions (cards, side bars, text boxes) read as units.

A frame or a tinted panel drawn around some blocks says they belong together:
a side bar is read whole, not line by line between the column's paragraphs,
and a grid of cards is read card by card. The blocks of each region are put
in order among themselves; the regions take their place among the other blocks
as one block each. Numbered cards ("1. Euler's identity", "2. ...") are read
in their numbers' order, which a 2x2 grid's geometry alone cannot tell.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from docpipe.layout.blocks import LayoutBlock

Box = tuple[float, float, float, float]
_NUMBERED = re.compile(r"^\s*(\d{1,3})[.)]\s")
EDGE = 2.0  # points a block may stick out of its frame (stroke width, rounding)


def order_in_regions(blocks: list[LayoutBlock], regions: Sequence[Box],
                     order: Callable[[list[LayoutBlock]], list[LayoutBlock]]) -> list[LayoutBlock]:
    """`order` over the blocks with each framed group standing in as one block, then each group in order."""
    groups = _groups(blocks, regions)
    if not groups:
        return order(blocks)
    members = {id(b) for group in groups for b in group[1]}
    proxies = []
    for box, inside in groups:
        proxy = LayoutBlock(kind="region", x0=box[0], y0=box[1], x1=box[2], y1=box[3], text_override="")
        proxies.append((proxy, order(inside)))
    expanded = {id(p): inside for p, inside in proxies}
    units = order([b for b in blocks if id(b) not in members] + [p for p, _ in proxies])
    units = _by_numbers(units, expanded)
    return [b for unit in units for b in expanded.get(id(unit), [unit])]


def _groups(blocks: list[LayoutBlock], regions: Sequence[Box]) -> list[tuple[Box, list[LayoutBlock]]]:
    """The outermost frames that hold some blocks wholly, cut none, and do not hold every block."""
    found = []
    for box in regions:
        inside = [b for b in blocks if _holds(box, b)]
        held = {id(b) for b in inside}
        cut = any(_crosses(box, b) for b in blocks if id(b) not in held)
        if inside and not cut and len(inside) < len(blocks):
            found.append((box, inside))
    outer = [(box, inside) for box, inside in found
             if not any(other is not box and _holds_box(other, box) for other, _ in found)]
    taken: set[int] = set()
    groups = []
    for box, inside in sorted(outer, key=lambda g: -len(g[1])):
        inside = [b for b in inside if id(b) not in taken]
        if inside:
            taken.update(id(b) for b in inside)
            groups.append((box, inside))
    return groups


def _holds(box: Box, b: LayoutBlock) -> bool:
    return box[0] - EDGE <= b.x0 and box[1] - EDGE <= b.y0 and b.x1 <= box[2] + EDGE and b.y1 <= box[3] + EDGE


def _holds_box(outer: Box, inner: Box) -> bool:
    return (outer[0] - EDGE <= inner[0] and outer[1] - EDGE <= inner[1] and inner[2] <= outer[2] + EDGE
            and inner[3] <= outer[3] + EDGE and outer != inner)


def _crosses(box: Box, b: LayoutBlock) -> bool:
    """A block partly in and partly out: the frame is no container (a rule under a heading, a highlight).

    Judged by the block's lines where it has them: a paragraph that wraps round a framed
    infobox and then runs under it at full width has a box across the frame, not a line.
    """
    parts = b.segments or [b]
    return any(min(box[2], p.x1) - max(box[0], p.x0) > EDGE and min(box[3], p.y1) - max(box[1], p.y0) > EDGE
               for p in parts)


def _by_numbers(units: list[LayoutBlock], expanded: dict[int, list[LayoutBlock]]) -> list[LayoutBlock]:
    """Regions that each open with a distinct number take the places of the regions in number order."""
    slots = [i for i, u in enumerate(units) if id(u) in expanded]
    numbers = {}
    for i in slots:
        first = expanded[id(units[i])][0].text if expanded[id(units[i])] else ""
        match = _NUMBERED.match(first)
        if match:
            numbers[i] = int(match.group(1))
    if len(slots) < 2 or len(numbers) != len(slots) or len(set(numbers.values())) != len(slots):
        return units
    out = list(units)
    for slot, source in zip(slots, sorted(slots, key=numbers.get)):
        out[slot] = units[source]
    return out
