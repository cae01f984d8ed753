"""Another tool's invisible OCR layer over a scan: trusted only when the image says the same."""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from docpipe.engines.ocr.recognizer import Recognizer

# Invisible text over a scan is trusted when this share of sampled words reads the same in the image.
HIDDEN_WORDS_SAMPLED = 8
HIDDEN_WORDS_AGREE = 0.7


def hidden_words_match(words: list[tuple[str, tuple[float, float, float, float]]], image, dpi: float,
                       engine: Recognizer) -> bool:
    """Does another tool's invisible OCR layer say what the image shows?

    `words` are the layer's (text, box in page points as displayed). A few
    long words spread over the page are read from their crops of the image:
    a few single-word reads instead of OCR'ing the whole page.
    """
    candidates = [(t, b) for t, b in words if sum(ch.isalnum() for ch in t) >= 4]
    if len(candidates) < 3:
        return False
    step = max(1, len(candidates) // HIDDEN_WORDS_SAMPLED)
    sample = candidates[::step][:HIDDEN_WORDS_SAMPLED]
    scale = dpi / 72.0
    agree = 0
    for text, (x0, y0, x1, y1) in sample:
        pad = 0.15 * (y1 - y0)
        crop = image.crop((int((x0 - pad) * scale), int((y0 - pad) * scale),
                           int((x1 + pad) * scale) + 1, int((y1 + pad) * scale) + 1))
        agree += _edit_rate(engine.read_word(crop), text) <= 0.25
    return agree >= HIDDEN_WORDS_AGREE * len(sample)


def _edit_rate(read: str, text: str) -> float:
    """Edits over the longer string, whitespace collapsed: `docpipe eval`'s CER, without the scoring package."""
    read, text = " ".join(read.split()), " ".join(text.split())
    return Levenshtein.normalized_distance(read, text)
