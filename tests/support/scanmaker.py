"""Scanned pages made in the tests: text drawn with PyMuPDF, rendered, then degraded like a scan.

The text is known exactly, so OCR output can be scored against it.
"""

from __future__ import annotations

import io
import random

import pymupdf
from PIL import Image, ImageFilter

PARAGRAPHS = [
    "Quarterly shipments rose by nine percent, driven by strong demand in the northern region.",
    "The warehouse in Leeds handled most of the returned goods during the spring months.",
    "Staff training continued through June, and every new member completed the safety course.",
    "Energy costs fell slightly after the heating system was replaced in the main building.",
    "Customer complaints dropped to their lowest level since the records began in 2011.",
    "The board approved a new budget for maintenance, repairs and the replacement of old vans.",
]


def _wrap(text: str, width_pt: float, size: float) -> list[str]:
    font = pymupdf.Font("helv")
    lines, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if font.text_length(trial, fontsize=size) > width_pt and current:
            lines.append(current)
            current = word
        else:
            current = trial
    return lines + [current]


def text_page(columns: int = 1, size: float = 11, paragraphs=PARAGRAPHS) -> tuple[pymupdf.Document, str]:
    """A letter-size page of prose in 1 or 2 columns; returns (doc, truth in reading order)."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    margin, gutter = 72, 36
    col_width = (612 - 2 * margin - gutter * (columns - 1)) / columns
    per_column = -(-len(paragraphs) // columns)
    truth = []
    for c in range(columns):
        x, y = margin + c * (col_width + gutter), 100
        for paragraph in paragraphs[c * per_column:(c + 1) * per_column]:
            for line in _wrap(paragraph, col_width, size):
                page.insert_text((x, y), line, fontname="helv", fontsize=size)
                truth.append(line)
                y += size * 1.3
            y += size
    return doc, "\n".join(truth)


def distinct_text_pages(folder, count: int) -> None:
    """`count` one-page PDFs of prose, each with its own number at the top: distinct bytes, distinct documents."""
    for number in range(count):
        doc, _ = text_page(columns=1 + number % 2)
        doc[0].insert_text((72, 60), f"Document {number}")
        doc.save(f"{folder}/page{number:03d}.pdf")


def table_page(rows: list[list[str]], size: float = 11, side_rules: bool = True) -> pymupdf.Document:
    """A ruled table, one text line per cell; without `side_rules` its left and right edges are open."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    widths = [max(pymupdf.Font("helv").text_length(r[c], fontsize=size) for r in rows) + 24
              for c in range(len(rows[0]))]
    x0, y0, row_h = 72, 120, size * 2.2
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    for r, row in enumerate(rows):
        top = y0 + r * row_h
        for c, text in enumerate(row):
            page.insert_text((xs[c] + 8, top + row_h * 0.65), text, fontname="helv", fontsize=size)
    bottom = y0 + len(rows) * row_h
    for r in range(len(rows) + 1):
        page.draw_line((xs[0], y0 + r * row_h), (xs[-1], y0 + r * row_h), width=1.2)
    for x in xs if side_rules else xs[1:-1]:
        page.draw_line((x, y0), (x, bottom), width=1.2)
    return doc


def scan(doc: pymupdf.Document, dpi: int = 300, skew: float = 0.0, turn: int = 0, noise: float = 0.0,
         blur: float = 0.0, jpeg: int = 0, seed: int = 1) -> Image.Image:
    """Page 1 of `doc` as a grayscale scan: skewed (degrees, counter-clockwise), turned
    (clockwise quarter turns: 90 = scanned lying on its left side), noisy, blurred, JPEG'd."""
    pixmap = doc[0].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    image = Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples)
    if skew:
        image = image.rotate(skew, resample=Image.BICUBIC, fillcolor=255)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = random.Random(seed)
        pixels = image.load()
        for _ in range(int(image.width * image.height * noise)):
            x, y = rng.randrange(image.width), rng.randrange(image.height)
            pixels[x, y] = 0 if rng.random() < 0.5 else 255
    if jpeg:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=jpeg)
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    if turn:
        image = image.rotate(-turn, expand=True)
    image.info["dpi"] = (dpi, dpi)
    return image
