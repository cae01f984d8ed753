"""What an OCR engine gives docpipe: the `Recognizer` protocol, and the words and lines it returns.

An OCR engine is an adapter that implements this protocol, plus one line in
`docpipe.engines.registry`. Everything after recognition (orientation
checks, lines, blocks, reading order, tables) is shared (`engines.ocr.page`).
Boxes are pixels of the image handed to the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol


@dataclass
class OcrWord:
    text: str
    box: tuple[int, int, int, int]  # pixels of the image given to `recognize`
    confidence: float               # 0..1


@dataclass
class OcrLine:
    words: list[OcrWord]
    box: tuple[int, int, int, int]
    font_px: float  # ascender to descender height, pixels: the line's font size


class Recognizer(Protocol):
    """One loaded OCR engine, used by one worker for page after page."""

    def orientation(self, image) -> tuple[int, float]:
        """(clockwise degrees that turn the page upright, confidence); (0, 0.0) when unknown."""

    def recognize(self, image, dpi: Optional[float]) -> list[OcrLine]:
        """The words of a grayscale page image, with boxes and confidences, grouped in lines.

        Raises `docpipe.errors.PageTimeout` once the deadline set by `until` has passed.
        """

    def recognize_script(self, image, dpi: Optional[float]) -> Optional[list[OcrLine]]:
        """The page read with the model of another script (Fraktur), as `recognize` reads it; None without one."""

    def reread_unsure(self, lines: list[OcrLine], image, dpi: Optional[float]) -> None:
        """Read again, in place, the words recognized with low confidence (a no-op where there is no second model)."""

    def read_word(self, image) -> str:
        """The text of an image holding one word (a crop)."""

    def until(self, deadline: Optional[float]) -> Recognizer:
        """This engine, with recognition cut off at `deadline` (time.monotonic(); None: no limit)."""

    def close(self) -> None:
        """Free the engine's models."""
