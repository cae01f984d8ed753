"""Line segments -> paragraph-like blocks within one column."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from docpipe.layout.glyphs import Segment


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
        return join_lines([s.text for s in self.segments])

    def grow(self, seg: Segment) -> None:
        if not self.segments:
            self.x0, self.y0, self.x1, self.y1 = seg.x0, seg.y0, seg.x1, seg.y1
        else:
            self.x0, self.y0 = min(self.x0, seg.x0), min(self.y0, seg.y0)
            self.x1, self.y1 = max(self.x1, seg.x1), max(self.y1, seg.y1)
        self.segments.append(seg)


CAPTION = re.compile(r"^(fig\.?|figure|table|tab\.|chart|exhibit)\s*[\dIVX]", re.I)
_HYPHENS = ("-", "\u00ad", "\u2010")


def join_lines(lines: list[str]) -> str:
    """A block's lines joined by newlines, a word hyphenated at a line's end made whole again.

    "irretrie-" over "vably negative" reads "irretrievably" over "negative": readers and
    search want the word. Only a lower-case letter before the hyphen and after the break
    counts, so "Jean-" over "Paul" and "2019-" over "2020" stay as set; a compound cut at its
    own hyphen ("non-" over "governmental") loses it, as in every dehyphenating reader.
    """
    out = list(lines)
    for i in range(len(out) - 1):
        head, tail = out[i], out[i + 1]
        if len(head) < 3 or head[-1] not in _HYPHENS or not head[-2].islower() or not tail[:1].islower():
            continue
        word, _, rest = tail.partition(" ")
        out[i], out[i + 1] = head[:-1] + word, rest
    return "\n".join(line for line in out if line)


def x_overlap(a0: float, a1: float, b0: float, b1: float) -> float:
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
            overlap = x_overlap(seg.x0, seg.x1, last.x0, last.x1)
            narrower = min(seg.x1 - seg.x0, last.x1 - last.x0)
            if overlap < 0.3 * narrower and not (abs(seg.x0 - last.x0) < 2 * seg.size and overlap > 0):
                continue
            if abs(seg.size - last.size) > 0.15 * max(seg.size, last.size) or seg.bold != last.bold:
                continue
            if abs(seg.size - last.size) > 0.08 * max(seg.size, last.size) and abs(seg.x0 - last.x0) > 2 * seg.size:
                continue  # other type and another left edge: a dateline over a column, not its first line
            target = block
            break
        if target is None:
            target = LayoutBlock(kind="paragraph")
            blocks.append(target)
        target.grow(seg)
    return blocks
