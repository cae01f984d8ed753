"""Line pieces that belong together before blocks are made: line-number columns and drop capitals.

A column of line numbers (court transcripts, pleadings), left alone, reads as a
column of its own, all its numbers before the text ("2 3 4 ... 25 IN THE
SUPREME COURT"). On such a page a number belongs to the line it sits on: each
number is joined with the pieces of text on its baseline ("5  Petitioner  :").
A drop capital is a letter three lines tall beside its paragraph's first line:
left alone it is a heading of its own and the word is cut ("O" + "ver the past").
"""

from __future__ import annotations

import re

from docpipe.layout.glyphs import Segment

_NUMBER = re.compile(r"\d{1,3}")
MIN_NUMBERS = 5
EDGE_TOLERANCE = 2.0  # points: the numbers are set flush right (or left) in their column
CONSECUTIVE_SHARE = 0.8
DROP_CAP_RATIO = 2.0  # a drop capital is at least twice the size of its text


def join_line_numbers(segments: list[Segment]) -> list[Segment]:
    """Join each number of a line-number column with the text on its line; other pages unchanged."""
    column = _number_column(segments)
    if not column:
        return segments
    in_column = {id(s) for s in column}
    taken: set[int] = set()
    joined: list[Segment] = []
    for number in column:
        line = sorted(
            (s for s in segments if id(s) not in in_column and id(s) not in taken and s.x0 > number.x1
             and abs(s.center_y - number.center_y) < 0.5 * max(number.height, 1.0)),
            key=lambda s: s.x0,
        )
        taken.update(id(s) for s in line)
        joined.append(_join([number] + line))
    return [s for s in segments if id(s) not in in_column and id(s) not in taken] + joined


def _number_column(segments: list[Segment]) -> list[Segment]:
    """The numbers of a line-number column, top to bottom, or [] when the page has none."""
    numbers = [s for s in segments if _NUMBER.fullmatch(s.text)]
    if len(numbers) < MIN_NUMBERS:
        return []
    best: list[Segment] = []
    for anchor in numbers:
        group = sorted((s for s in numbers if abs(s.x1 - anchor.x1) <= EDGE_TOLERANCE), key=lambda s: s.y0)
        if len(group) > len(best):
            best = group
    if len(best) < MIN_NUMBERS:
        return []
    values = [int(s.text) for s in best]
    steps = [b - a for a, b in zip(values, values[1:])]
    if sum(step == 1 for step in steps) < CONSECUTIVE_SHARE * len(steps):
        return []
    # A column of its own at the left: no text of these lines starts left of it.
    rest = [s for s in segments if not _NUMBER.fullmatch(s.text)]
    left_edge = max(s.x1 for s in best)
    if any(s.x0 < left_edge and best[0].y0 <= s.center_y <= best[-1].y1 for s in rest):
        return []
    return best


def join_drop_caps(segments: list[Segment]) -> list[Segment]:
    """Put a drop capital back at the start of the line whose top it is set level with."""
    caps = [s for s in segments if 1 <= len(s.text) <= 2 and s.text.isalpha() and s.height > 0]
    if not caps:
        return segments
    out = list(segments)
    for cap in caps:
        line = [
            s for s in out if s is not cap and s.size * DROP_CAP_RATIO <= cap.size
            and 0 <= s.x0 - cap.x1 < 1.5 * s.size and abs(s.y0 - cap.y0) < s.size and cap.y1 > s.y1 + s.size
            and s.text[:1].islower()
        ]
        if not line:
            continue
        first = min(line, key=lambda s: s.x0)
        joined = Segment(glyphs=cap.glyphs + first.glyphs, x0=cap.x0, y0=first.y0, x1=first.x1, y1=first.y1,
                         size=first.size, bold=first.bold, text=cap.text + first.text)
        out = [joined if s is first else s for s in out if s is not cap]
    return out


def _join(pieces: list[Segment]) -> Segment:
    if len(pieces) == 1:
        return pieces[0]
    glyphs = [g for p in pieces for g in p.glyphs]
    return Segment(
        glyphs=glyphs, x0=min(p.x0 for p in pieces), y0=min(p.y0 for p in pieces),
        x1=max(p.x1 for p in pieces), y1=max(p.y1 for p in pieces),
        size=max(p.size for p in pieces), bold=False, text=" ".join(p.text for p in pieces),
    )
