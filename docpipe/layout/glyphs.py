"""Glyphs -> line segments: pieces of text regrouped into lines by their geometry.

Coordinates are points on the page as displayed upright, origin top left.
No PDF library is imported here, so every engine (text layer, OCR) shares the
same logic and it is tested on plain tuples.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Optional, Sequence

from docpipe.layout import bidi


class Glyph(NamedTuple):
    c: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool = False
    conf: float = 1.0  # the engine's confidence in this glyph (OCR words); 1.0 for a text layer


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

    @property
    def confidence(self) -> float:
        ink = [g.conf for g in self.glyphs if not g.c.isspace()]
        return sum(ink) / len(ink) if ink else 1.0


# A gap wider than this many font sizes ends a line segment (column gutters,
# table cells without rulings); word spaces, even justified, stay far below it.
SEGMENT_GAP_EM = 0.9
SPACE_GAP_EM = 0.12


# Two single quotes set as one double quote (TeX's ‘‘quoted’’) are that double quote.
_DOUBLE = {"‘‘": "“", "’’": "”"}
_PAIRED_QUOTES = re.compile("‘‘|’’")


def _text_of(glyphs: Sequence[Glyph]) -> str:
    """The line's text in reading order; glyphs come left to right (RTL lines are turned back)."""
    parts: list[str] = []
    owners: list[Optional[Glyph]] = []
    prev: Optional[Glyph] = None
    for g in glyphs:
        if prev is not None and not g.c.isspace() and not prev.c.isspace():
            if g.x0 - prev.x1 > SPACE_GAP_EM * max(g.size, prev.size):
                parts.append(" ")
                owners.append(None)
        parts.append(g.c)
        owners.append(g)
        prev = g
    if bidi.is_rtl(parts):
        parts = bidi.logical_tokens(parts, owners)
    return _PAIRED_QUOTES.sub(lambda m: _DOUBLE[m.group(0)], re.sub(r"\s+", " ", "".join(parts)).strip())


# TeX sets an accented letter as a spacing accent drawn over the letter ("J´an Min´aˇc"); the
# accent and its letter overlap, so they are put back together as the one letter (NFC).
_COMBINING = {"´": "\u0301", "`": "\u0300", "ˆ": "\u0302", "˜": "\u0303", "¨": "\u0308", "ˇ": "\u030c",
              "˘": "\u0306", "˙": "\u0307", "˚": "\u030a", "¸": "\u0327", "¯": "\u0304", "˝": "\u030b",
              "˛": "\u0328"}


def compose_accents(glyphs: list[Glyph]) -> list[Glyph]:
    """Spacing accents that overlap the next (or previous) letter merged into it: ´ + a -> á."""
    if not any(g.c in _COMBINING for g in glyphs):
        return glyphs
    out = list(glyphs)
    drop = set()
    for i, g in enumerate(out):
        if g.c not in _COMBINING:
            continue
        centre = (g.x0 + g.x1) / 2
        for j in (i + 1, i - 1):
            if 0 <= j < len(out) and j not in drop and out[j].c.isalpha() and out[j].x0 - 0.5 <= centre <= out[j].x1 + 0.5:
                base = {"ı": "i", "ȷ": "j"}.get(out[j].c, out[j].c)
                merged = unicodedata.normalize("NFC", base + _COMBINING[g.c])
                if len(merged) == 1:
                    out[j] = out[j]._replace(c=merged)
                    drop.add(i)
                break
    return [g for i, g in enumerate(out) if i not in drop]


_BULLETS = frozenset("•◦·▪▫‣⁃∙●○■□")


def _symbol(c: str) -> bool:
    """A dingbat, check box, bullet or unmapped glyph (not a math sign: a large sum sizes its formula)."""
    return c[:1] in _BULLETS or unicodedata.category(c[:1]) in ("So", "Co", "Cc", "Cn")


def _make_segment(glyphs: list[Glyph]) -> Segment:
    glyphs = compose_accents(glyphs)
    ink = [g for g in glyphs if not g.c.isspace()] or glyphs
    _, x0s, y0s, x1s, y1s, sizes, bolds, _ = zip(*ink)  # one pass in C: this runs once per line
    size = sizes[0]
    if min(sizes) != max(sizes):
        # A check box or bullet set in a larger symbol font does not size its line: the rest does,
        # so a list item's first line still matches the size of its next line.
        size = max((g.size for g in ink if not _symbol(g.c)), default=max(sizes))
    return Segment(
        glyphs=glyphs, x0=min(x0s), y0=min(y0s), x1=max(x1s), y1=max(y1s), size=size,
        bold=sum(bolds) * 2 > len(ink), text=_text_of(glyphs),
    )


def split_runs(runs: Iterable[Sequence[Glyph]], gap_em: float = SEGMENT_GAP_EM) -> list[list[Glyph]]:
    """Cut each run of glyphs (in writing order) where it jumps back or leaves a wide gap."""
    pieces: list[list[Glyph]] = []
    for run in runs:
        run = bidi.visual_run(list(run))
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


def restore_spaces(segments: list[Segment], spaces: Sequence[Glyph]) -> list[Segment]:
    """`segments` made again with the text's own space characters that stand between two of their glyphs.

    Table cells are regrouped from ink glyphs alone, and the gap rule misses word spaces in fonts
    whose glyph boxes overlap across them (a Korean cell: 0.8 pt between words at 9 pt, under
    SPACE_GAP_EM); the space character standing between two glyphs still tells the words apart.
    Only the text changes: which glyphs form a segment stays as the geometry found it.
    """
    if not spaces:
        return segments
    spaces = sorted(spaces, key=lambda g: g.y0 + g.y1)
    keys = [g.y0 + g.y1 for g in spaces]
    out = []
    for seg in segments:
        lo, hi = bisect.bisect_left(keys, 2 * seg.y0), bisect.bisect_right(keys, 2 * seg.y1)
        inside = [g for g in spaces[lo:hi] if seg.x0 < _middle(g) < seg.x1]
        if not inside:
            out.append(seg)
            continue
        glyphs = list(seg.glyphs)
        for space in inside:
            centre = _middle(space)
            at = next((i for i, g in enumerate(glyphs) if not g.c.isspace() and _middle(g) > centre),
                      len(glyphs))
            # Between the two glyphs' middles: a space hidden under one glyph (a spreadsheet's
            # padding under a "(") parts no words.
            if 0 < at < len(glyphs) and _middle(glyphs[at - 1]) <= space.x0 and space.x1 <= _middle(glyphs[at]):
                glyphs.insert(at, space)
        out.append(_make_segment(glyphs))
    return out


def _middle(g: Glyph) -> float:
    return (g.x0 + g.x1) / 2


def line_segments(lines: Iterable[Sequence[Glyph]], gap_em: float = SEGMENT_GAP_EM) -> list[Segment]:
    """Segments of lines an engine has already formed (OCR), cut only at wide gaps.

    Unlike `build_segments`, pieces of different lines are never joined: an
    OCR engine's lines already respect the columns, and rejoining across
    a gutter narrowed by a noise speck read as '.' would merge two columns.
    """
    return [s for s in (_make_segment(piece) for piece in split_runs(lines, gap_em)) if s.text]


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
        _, x0s, y0s, x1s, y1s, sizes, _, _ = zip(*ink)
        p_y0, p_y1, p_size, p_right = min(y0s), max(y1s), max(sizes), max(x1s)
        x0 = x0s[0]
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
