"""Where a Tesseract line is cut in pieces: at column gutters, not at the wide spaces of justified text.

Tesseract's lines sometimes run across a narrow column gutter, so a wide gap
in a line has to be able to end a segment. But a justified line in a narrow
column can space its words by two font sizes, and cutting there scatters its
words over the page. What tells them apart: a justified line spaces all its words alike, and a
gutter is blank in the lines around it where a word space is mostly ink.
"""

from __future__ import annotations

import re

from docpipe.layout.glyphs import SEGMENT_GAP_EM, Glyph

NEARBY_LINES = 4  # line pitches above and below that are looked at
# A gap is a justified space when at least this share of the nearby lines crossing it has ink there.
INKED_SHARE = 0.5
PROBE_EM = 0.25  # the gap is probed every this many font sizes
EVEN_SPACING = 2.0  # a gap under this many times the line's median other gap is a word space
# A list marker and its item's text are one line however wide the hanging indent ("-   If the ...").
_LIST_MARKER = re.compile(r"^([-–—•·*o]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])$")


def split_at_gutters(runs: list[list[Glyph]]) -> list[list[Glyph]]:
    """Each run (one OCR line: a glyph per word) cut at its wide gaps that are gutters."""
    ink = [[g for g in run if not g.c.isspace()] for run in runs]
    centres = [(run[0].y0 + run[0].y1) / 2 if run else 0.0 for run in ink]
    extents = [(min(g.x0 for g in run), max(g.x1 for g in run)) if run else (0.0, 0.0) for run in ink]
    pieces: list[list[Glyph]] = []
    for i, run in enumerate(ink):
        gaps = [b.x0 - a.x1 for a, b in zip(run, run[1:])]
        current: list[Glyph] = []
        for k, glyph in enumerate(run):
            if current:
                previous, gap = current[-1], gaps[k - 1]
                size = max(glyph.size, previous.size)
                marker = k == 1 and _LIST_MARKER.match(previous.c.strip())
                if (gap > SEGMENT_GAP_EM * size and not marker and not _evenly_spaced(gap, gaps[:k - 1] + gaps[k:])
                        and _is_gutter(i, previous.x1, glyph.x0, ink, centres, extents, size)):
                    pieces.append(current)
                    current = []
            current.append(glyph)
        if current:
            pieces.append(current)
    return pieces


def _evenly_spaced(gap: float, others: list[float]) -> bool:
    """A justified line spaces all its words alike; a gutter is one gap far wider than the rest."""
    return bool(others) and gap < EVEN_SPACING * sorted(others)[len(others) // 2]


def _is_gutter(line: int, left: float, right: float, ink: list[list[Glyph]], centres: list[float],
               extents: list[tuple[float, float]], size: float) -> bool:
    """Is some x of the gap (left, right) blank in the lines nearby that cross it?

    Probed across the whole gap: a short heading's gap spans its column's text
    and the gutter, and only the gutter is blank.
    """
    reach = NEARBY_LINES * 1.5 * size
    nearby = [(other, extents[j]) for j, other in enumerate(ink)
              if j != line and other and abs(centres[j] - centres[line]) <= reach]
    steps = max(1, int((right - left) / (PROBE_EM * size)))
    for step in range(steps + 1):
        x = left + (right - left) * (step + 0.5) / (steps + 1)
        crossing = [other for other, (x0, x1) in nearby if x0 < x < x1]
        inked = sum(any(g.x0 <= x <= g.x1 for g in other) for other in crossing)
        if not (inked >= 2 and inked >= INKED_SHARE * len(crossing)):
            return True
    return False
