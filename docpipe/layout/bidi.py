"""Right-to-left text (Arabic, Hebrew) in a left-to-right geometry pipeline.

Layout works in visual order: glyphs sorted by x, lines joined left to right.
A PDF writes RTL text in logical order with x decreasing, so a line of it is
first put in visual order (`visual_run`) like any other, and its text is
turned back into logical (reading) order at the end (`logical_tokens`): the
visual sequence reversed, with runs of left-to-right text inside it (Latin
words, numbers) kept as they read. This is the part of the Unicode
bidirectional algorithm that a page's geometry needs (no explicit embedding
marks occur in extracted text); python-bidi goes the other way only.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, TypeVar

T = TypeVar("T")

_RTL = {"R", "AL"}
_LTR = {"L", "EN", "AN"}  # numbers (European or Arabic-Indic) read left to right in RTL text too
_ALEFS = "\u0627\u0623\u0625\u0622"  # ا أ إ آ


def _class(text: str) -> str:
    return unicodedata.bidirectional(text[0]) if text else ""


# Hebrew, Arabic, Syriac, Thaana, NKo... and their presentation forms: a quick test that
# skips the per-character count for the (usual) pages that have none.
_RTL_BLOCKS = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe]")


def is_rtl(texts: Iterable[str]) -> bool:
    """More right-to-left letters than left-to-right ones in the text (pieces are joined)."""
    text = "".join(texts)
    if not _RTL_BLOCKS.search(text):
        return False
    rtl = sum(1 for ch in text if _class(ch) in _RTL)
    return rtl > 0 and rtl > sum(1 for ch in text if _class(ch) == "L")


def visual_run(glyphs: list[T]) -> list[T]:
    """A run in the order it is drawn, left to right (an RTL run comes in logical order)."""
    if not is_rtl(g.c for g in glyphs):
        return glyphs
    return sorted(glyphs, key=lambda g: (g.x0 + g.x1) / 2)


def logical_tokens(tokens: list[str], glyphs: list = None) -> list[str]:
    """Tokens of an RTL line in visual order -> reading order (see the module doc).

    `glyphs`, parallel to `tokens` (None for inserted spaces), lets a lam-alef
    ligature be read right: PDFs give its alef as a zero-width glyph at the
    lam's edge, which lands it before the lam.
    """
    order = list(range(len(tokens)))[::-1]
    i = 0
    while i < len(order):
        if _class(tokens[order[i]]) not in _LTR:
            i += 1
            continue
        j = last = i
        while j + 1 < len(order) and _class(tokens[order[j + 1]]) not in _RTL:
            j += 1
            if _class(tokens[order[j]]) in _LTR:
                last = j
        order[i:last + 1] = order[i:last + 1][::-1]
        i = last + 1
    if glyphs is not None:
        for k in range(len(order) - 1):
            a, b = glyphs[order[k]], glyphs[order[k + 1]]
            if (a is not None and b is not None and a.c in _ALEFS and b.c == "\u0644"
                    and a.x1 - a.x0 < 0.05 * a.size and abs(a.x0 - b.x1) < 0.25 * a.size):
                order[k], order[k + 1] = order[k + 1], order[k]
    return [tokens[k] for k in order]
