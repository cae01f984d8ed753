"""The per-page choice of engine: which engines a page is tried with, and is its text layer usable?

The one place the choice is written (`page_engines`); `runner.pages` tries the
engines in that order. The text engine raises `NeedsOcr` (with a
`TextLayerVerdict` as its reason) when a page's text lives only in pixels, and
the page goes on to the next engine.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from docpipe.config import RunConfig
from docpipe.records import Engine


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


def page_engines(config: RunConfig, source: Literal["pdf", "image"]) -> tuple[Engine, ...]:
    """The engines to try on a page, in order (`--engine`; the VLM only where one is configured).

    A PDF page tries its text layer first unless an engine is forced; what the
    text layer cannot read goes to the VLM when the run has one, else to OCR.
    A page image has no text layer. Under `--engine text`, "ocr" still comes
    second: the run has no OCR engine then, so the page becomes a clear
    `engine_unavailable` row saying what would read it.
    """
    if config.vlm_pages and (config.engine == "vlm" or source == "image"):
        return ("vlm",)
    if config.engine == "ocr" or source == "image":
        return ("ocr",)
    return ("text", "vlm" if config.vlm_pages else "ocr")
