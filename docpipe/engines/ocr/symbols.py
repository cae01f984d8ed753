"""Symbols Tesseract's `eng` model cannot write, told from their ink: `·` and `•`.

The eng LSTM model has neither a middle dot nor a bullet among its characters
(its unicharset), so it reads a separator `·` as `-` and a list bullet as `*`,
`+`, `¢`, `e`, or drops it. Their shapes settle it: a middle dot is a speck about
as tall as it is wide (a hyphen is two to four times wider than tall); a bullet
is a filled disc, which none of the characters it is read as is.
"""

from __future__ import annotations

from typing import Optional

from docpipe.engines.ocr.recognizer import OcrLine, OcrWord
from docpipe.engines.ocr.scan import dark_mask

# A standalone '-' whose ink is at most this much wider than tall is a middle dot
# (measured: a Helvetica hyphen 3-4x, the dot read as '-' 1.0-1.3x).
DOT_MAX_ASPECT = 1.6
DOT_MAX_HEIGHT = 0.3  # of the line's font size: larger blobs are not a dot
# Tesseract's box of a '-' can stop short of the dash's ends; the ink is measured this far
# (font sizes) beyond each side, still inside the spaces around a standalone dash.
DASH_REACH = 0.12
# A bullet: a filled disc (a perfect one fills pi/4 of its box) of a third or so of the font size.
BULLET_MIN_FILL = 0.62
BULLET_ASPECT = (0.7, 1.45)
BULLET_HEIGHT = (0.18, 0.65)  # of the line's font size
BULLET_READINGS = set("*+¢e°o«©@•.-")  # what eng makes of a bullet (measured on generated scans)
# What fix_symbols writes only after checking the ink's shape: not specks, whatever Tesseract's confidence.
SHAPE_CHECKED = ("·", "•")
# A dropped bullet is looked for this far (in font sizes) left of a line's first word.
BULLET_SEARCH = 1.6


def fix_symbols(lines: list[OcrLine], gray) -> None:
    """Rewrite misread middle dots and bullets in place, and put back bullets Tesseract dropped.

    `gray` is the image the word boxes refer to.
    """
    import numpy as np

    if not lines:
        return
    ink = dark_mask(np.asarray(gray))
    for line in lines:
        size = line.font_px or float(line.box[3] - line.box[1])
        if size <= 0:
            continue
        first = line.words[0]
        if len(first.text) == 1 and first.text in BULLET_READINGS and len(line.words) > 1:
            if _is_disc(ink, _ink_box(ink, first.box), size):
                first.text = "•"
        else:
            found = _dropped_bullet(ink, line, size)
            if found is not None:
                line.words.insert(0, OcrWord("•", found, first.confidence))
        for word in line.words:
            if word.text == "-" and _is_dot(_ink_box(ink, _widened(word.box, DASH_REACH * size)), size):
                word.text = "·"


def _ink_box(ink, box) -> Optional[tuple[int, int, int, int]]:
    """The tight box (x0, y0, x1, y1; ends exclusive) of the ink inside `box`, or None."""
    import numpy as np

    x0, y0, x1, y1 = (max(0, int(v)) for v in box)
    region = ink[y0:y1, x0:x1]
    if not region.size or not region.any():
        return None
    rows, cols = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
    return x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1


def _widened(box, by: float) -> tuple[float, float, float, float]:
    return box[0] - by, box[1], box[2] + by, box[3]


def _is_dot(box, size: float) -> bool:
    if box is None:
        return False
    width, height = box[2] - box[0], box[3] - box[1]
    return width <= DOT_MAX_ASPECT * height and height <= DOT_MAX_HEIGHT * size


def _is_disc(ink, box, size: float) -> bool:
    if box is None:
        return False
    width, height = box[2] - box[0], box[3] - box[1]
    if not (BULLET_HEIGHT[0] * size <= height <= BULLET_HEIGHT[1] * size):
        return False
    if not (BULLET_ASPECT[0] <= width / height <= BULLET_ASPECT[1]):
        return False
    return float(ink[box[1]:box[3], box[0]:box[2]].mean()) >= BULLET_MIN_FILL


def _dropped_bullet(ink, line: OcrLine, size: float) -> Optional[tuple[int, int, int, int]]:
    """The box of a lone filled disc just left of the line's first word, or None.

    The strip searched spans the line's height; the disc must be all the ink in
    it and stand clear of the strip's left edge, so that the end of a
    neighbouring column's line is not taken for one.
    """
    first = line.words[0]
    x1 = first.box[0] - 1
    x0 = int(x1 - BULLET_SEARCH * size)
    y0, y1 = line.box[1], line.box[3]
    if x0 <= 0 or x1 - x0 < 2:
        return None
    box = _ink_box(ink, (x0, y0, x1, y1))
    if box is None or box[0] <= x0 + 1:
        return None
    return box if _is_disc(ink, box, size) else None
