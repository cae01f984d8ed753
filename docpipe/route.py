"""Per-page engine choice: is the text layer usable, or does the page need OCR?"""

from __future__ import annotations

from enum import Enum


class NeedsOcr(Exception):
    """The text layer cannot give this page's text; `reason` says why (a TextLayerVerdict value)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TextLayerVerdict(str, Enum):
    USABLE = "usable"
    BLANK = "blank page"  # no text and no image: nothing to read
    IMAGE_ONLY = "no text layer"  # a scan: text lives only in pixels
    GARBAGE = "unreadable text layer"  # glyphs without a Unicode mapping
    HIDDEN_OVER_SCAN = "invisible text over a scan"  # another tool's OCR: check it against the image


# Below this many glyphs a page covered by an image is treated as a scan
# (a stamp or page number printed over a scanned page is not a text layer).
MIN_GLYPHS_OVER_IMAGE = 20
MAX_UNMAPPED_FRACTION = 0.1


def assess_text_layer(n_glyphs: int, n_unmapped: int, image_coverage: float,
                      n_invisible: int = 0) -> TextLayerVerdict:
    if n_glyphs and n_unmapped / n_glyphs > MAX_UNMAPPED_FRACTION:
        return TextLayerVerdict.GARBAGE
    if n_glyphs and n_invisible > 0.5 * n_glyphs and image_coverage > 0.5:
        return TextLayerVerdict.HIDDEN_OVER_SCAN
    if n_glyphs == 0:
        return TextLayerVerdict.IMAGE_ONLY if image_coverage > 0.05 else TextLayerVerdict.BLANK
    if image_coverage > 0.5 and n_glyphs < MIN_GLYPHS_OVER_IMAGE:
        return TextLayerVerdict.IMAGE_ONLY
    return TextLayerVerdict.USABLE
