"""A second OCR engine for the registry's test: it 'reads' every page as the same words, in a row.

It implements `docpipe.engines.ocr.recognizer.Recognizer` and the two functions the
registry asks of an OCR engine's module, and nothing else: the proof that a new engine
is one module plus one registry line.
"""

from __future__ import annotations

from docpipe.config import OcrConfig
from docpipe.engines.ocr.recognizer import OcrLine, OcrWord

WORDS = ("stub", "engine", "words")


class StubRecognizer:
    def __init__(self, lang: str):
        self.lang = lang
        self.pages_read = 0

    def orientation(self, image) -> tuple[int, float]:
        return 0, 0.0

    def recognize(self, image, dpi):
        """One line of WORDS across the top tenth of the image, each word a tenth of its width."""
        self.pages_read += 1
        width, height = image.size
        top, bottom, step = height // 10, height // 10 + height // 40, width // 10
        words = [OcrWord(text, (step * (1 + 2 * i), top, step * (2 + 2 * i), bottom), 0.9)
                 for i, text in enumerate(WORDS)]
        return [OcrLine(words, (step, top, step * 2 * len(WORDS), bottom), font_px=float(bottom - top))]

    def recognize_script(self, image, dpi):
        return None

    def reread_unsure(self, lines, image, dpi) -> None:
        pass

    def read_word(self, image) -> str:
        return ""

    def until(self, deadline):
        return self

    def close(self) -> None:
        pass


def create(ocr: OcrConfig) -> StubRecognizer:
    return StubRecognizer(ocr.lang)


def preflight(ocr: OcrConfig) -> None:
    if ocr.lang != "eng":
        raise RuntimeError(f"the stub reads eng only, not {ocr.lang}")
