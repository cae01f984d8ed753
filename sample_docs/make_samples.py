#!/usr/bin/env python
"""Write docpipe's small sample documents and their expected results.

Usage:
    python sample_docs/make_samples.py [OUTDIR] [--no-check]

OUTDIR defaults to the folder this script is in. Every document is made here
from fixed text with PyMuPDF and Pillow only (nothing is copied from any
corpus), and the output is byte-for-byte reproducible: fixed metadata dates,
no new /ID, no randomness. `expected.json` (written next to the documents)
says what docpipe should find in each file; after writing, the script reopens
the documents with PyMuPDF and checks that they say what expected.json says
(skip with --no-check).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from pathlib import Path

import pymupdf
from PIL import Image

from check_samples import check  # the same folder: run as a script

PAGE_W, PAGE_H = 612.0, 792.0  # US letter, points
MARGIN = 72.0
FIXED_DATE = "D:20240101000000Z"
SCAN_DPI = 200

# Base-14 fonts (no font files embedded, so the PDFs stay tiny).
BODY, BOLD, SANS = "tiro", "hebo", "helv"


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap by the font's own metrics (deterministic)."""
    lines: list[str] = []
    cur = ""
    for word in text.split():
        trial = f"{cur} {word}" if cur else word
        if cur and pymupdf.get_text_length(trial, fontname=font, fontsize=size) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


def text_width(text: str, font: str, size: float) -> float:
    return pymupdf.get_text_length(text, fontname=font, fontsize=size)


class Writer:
    """Writes text lines into one Shape (one content stream) in call order.

    `pos` is where the line's baseline starts *on the page as displayed*;
    for rotated pages it is mapped back to unrotated coordinates and the
    text is turned so it reads upright when the page is shown.
    """

    def __init__(self, page: pymupdf.Page):
        self.page = page
        self.shape = page.new_shape()
        self.lines: list[str] = []  # in content-stream order

    def line(self, x: float, y: float, text: str, font: str, size: float,
             color: tuple = (0, 0, 0)) -> None:
        p = pymupdf.Point(x, y) * self.page.derotation_matrix
        self.shape.insert_text(p, text, fontname=font, fontsize=size,
                               color=color, rotate=self.page.rotation)
        self.lines.append(text)

    def commit(self) -> None:
        self.shape.commit()


def set_fixed_metadata(doc: pymupdf.Document, title: str) -> None:
    doc.set_metadata({
        "title": title,
        "author": "docpipe",
        "subject": "docpipe sample document",
        "keywords": "docpipe, sample",
        "creator": "docpipe sample_docs/make_samples.py",
        "producer": "PyMuPDF",
        "creationDate": FIXED_DATE,
        "modDate": FIXED_DATE,
        "trapped": "",
        "format": "",
        "encryption": None,
    })


def save_pdf(doc: pymupdf.Document, path: Path) -> None:
    data = doc.tobytes(garbage=4, deflate=True, clean=True, no_new_id=True)
    path.write_bytes(data)


def page_entry(*, page: int, engine: str, lines: list[str], width: float,
               height: float, rotation: int = 0, tables: list | None = None,
               exact: bool = True) -> dict:
    return {
        "page": page,
        "engine": engine,
        "rotation": rotation,
        "width": width,
        "height": height,
        "text": "\n".join(lines),
        "text_match": "exact" if exact else "approx",
        "tables": tables or [],
    }


def footer(w: Writer, n: int, total: int, page_w: float = PAGE_W,
           page_h: float = PAGE_H) -> str:
    text = f"Page {n} of {total}"
    x = (page_w - text_width(text, SANS, 9)) / 2
    w.line(x, page_h - 40, text, SANS, 9)
    return text


def paragraph(w: Writer, text: str, x: float, y: float, width: float,
              font: str = BODY, size: float = 11, leading: float = 15) -> tuple[list[str], float]:
    """Write a wrapped paragraph; return its lines and the next baseline y."""
    lines = wrap(text, font, size, width)
    for ln in lines:
        w.line(x, y, ln, font, size)
        y += leading
    return lines, y


# --------------------------------------------------------------------------
# 1. single_column.pdf
# --------------------------------------------------------------------------

SINGLE_P1 = [
    ("title", "A Short Guide to Sample Documents"),
    ("heading", "1. Why small documents matter"),
    ("para", "Small documents made by a script are easy to inspect, cheap to "
             "process and safe to commit. Each one exercises a single feature of "
             "the pipeline, so when a test fails the cause is close at hand."),
    ("para", "At the café on the corner, a naïve reviewer called Herr Müller asked "
             "the señor behind the counter whether this text had been seen before, "
             "and the answer gave him a strong feeling of déjà vu."),
    ("para", "Accented letters like these must survive every stage unchanged: the "
             "text layer, the reading order step and the Parquet writer."),
]
SINGLE_P2 = [
    ("heading", "2. What the pipeline should report"),
    ("para", "For a born-digital page the text engine reads the text layer "
             "directly, keeps the order in which a person would read the lines, "
             "and reports one line for each line printed on the page."),
    ("para", "The footer at the bottom of each page gives the page number. It is "
             "the last line of the page text, after the body."),
]


def _write_flow(w: Writer, items, y: float) -> tuple[list[str], float]:
    out: list[str] = []
    width = PAGE_W - 2 * MARGIN
    for kind, text in items:
        if kind == "title":
            w.line(MARGIN, y, text, BOLD, 20)
            out.append(text)
            y += 36
        elif kind == "heading":
            w.line(MARGIN, y, text, BOLD, 14)
            out.append(text)
            y += 22
        else:
            lines, y = paragraph(w, text, MARGIN, y, width)
            out += lines
            y += 8
    return out, y


def make_single_column(outdir: Path) -> dict:
    doc = pymupdf.open()
    pages = []
    for n, items in ((1, SINGLE_P1), (2, SINGLE_P2)):
        page = doc.new_page(width=PAGE_W, height=PAGE_H)
        w = Writer(page)
        lines, _ = _write_flow(w, items, 96)
        lines.append(footer(w, n, 2))
        w.commit()
        pages.append(page_entry(page=n, engine="text", lines=lines,
                                width=PAGE_W, height=PAGE_H))
    set_fixed_metadata(doc, "A Short Guide to Sample Documents")
    save_pdf(doc, outdir / "single_column.pdf")
    return {"mime": "application/pdf", "n_pages": 2, "status": "ok",
            "error_kind": None, "tests": "single-column prose, title, heading, "
            "accented words, page-number footer", "pages": pages}


# --------------------------------------------------------------------------
# 2. two_column.pdf
# --------------------------------------------------------------------------

TWO_HEADER = "Journal of Sample Documents, Volume 1, 2024"
TWO_TITLE = "Reading Order in Two-Column Layouts"
TWO_LEFT = (
    "The left column is where a reader starts. It opens the article and "
    "explains that many journals print their text in two narrow columns, "
    "because short lines are quicker to read than long ones. A program that "
    "reads the page must finish this column, from top to bottom, before it "
    "moves across the gutter to the right column."
)
TWO_RIGHT = (
    "The right column continues the article. In this file it was written into "
    "the content stream before the left column, so a program that follows the "
    "stream order would print this paragraph first. Reading order comes from "
    "the position of the text on the page, not from the order of drawing."
)


def make_two_column(outdir: Path) -> dict:
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    gutter = 24.0
    col_w = (PAGE_W - 2 * MARGIN - gutter) / 2
    left_x, right_x = MARGIN, MARGIN + col_w + gutter
    size, leading, top = 10.5, 14.0, 140.0

    left = wrap(TWO_LEFT, BODY, size, col_w)
    right = wrap(TWO_RIGHT, BODY, size, col_w)
    w = Writer(page)
    # Content stream order: right column, left column, title, header.
    for i, ln in enumerate(right):
        w.line(right_x, top + i * leading, ln, BODY, size)
    for i, ln in enumerate(left):
        w.line(left_x, top + i * leading, ln, BODY, size)
    w.line(MARGIN, 96, TWO_TITLE, BOLD, 18)
    w.line(MARGIN, 44, TWO_HEADER, SANS, 8, color=(0.35, 0.35, 0.35))
    # a thin rule under the running header
    w.shape.draw_line((MARGIN, 50), (PAGE_W - MARGIN, 50))
    w.shape.finish(width=0.5, color=(0.35, 0.35, 0.35))
    w.commit()

    reading = [TWO_HEADER, TWO_TITLE] + left + right
    set_fixed_metadata(doc, TWO_TITLE)
    save_pdf(doc, outdir / "two_column.pdf")
    entry = page_entry(page=1, engine="text", lines=reading, width=PAGE_W, height=PAGE_H)
    entry["stream_order_differs"] = True
    entry["columns"] = {"left": "\n".join(left), "right": "\n".join(right)}
    return {"mime": "application/pdf", "n_pages": 1, "status": "ok",
            "error_kind": None, "tests": "reading order: header, full-width "
            "title, two columns written right column first", "pages": [entry]}


# --------------------------------------------------------------------------
# 3. ruled_table.pdf
# --------------------------------------------------------------------------

TABLE_TITLE = "Quarterly Ledger Summary"
TABLE_INTRO = (
    "The table below lists five ledger entries. Negative amounts appear either "
    "in parentheses or with a minus sign, and the last column gives the change "
    "against the previous quarter as a percentage."
)
TABLE_GRID = [
    ["Item", "Quarter", "Amount", "Change"],
    ["Consulting fees", "Q1", "12,345.67", "3.5%"],
    ["Refund issued", "Q2", "(1,234.00)", "-2.0%"],
    ["Bank charges", "Q2", "-45.10", "0.4%"],
    ["Software licences", "Q3", "8,900.00", "12.25%"],
    ["Travel and meals", "Q4", "615.30", "-0.75%"],
]
TABLE_NOTE = "Source: docpipe sample data. Amounts in euros."


def make_ruled_table(outdir: Path) -> dict:
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    w = Writer(page)
    lines = [TABLE_TITLE]
    w.line(MARGIN, 96, TABLE_TITLE, BOLD, 16)
    intro, y = paragraph(w, TABLE_INTRO, MARGIN, 126, PAGE_W - 2 * MARGIN)
    lines += intro

    col_w = [170.0, 70.0, 110.0, 90.0]
    numeric = [False, False, True, True]
    row_h, pad, size = 22.0, 6.0, 10.0
    x0 = (PAGE_W - sum(col_w)) / 2
    y0 = y + 10
    xs = [x0]
    for cw in col_w:
        xs.append(xs[-1] + cw)
    ys = [y0 + i * row_h for i in range(len(TABLE_GRID) + 1)]

    # rules: every horizontal and vertical line, so the grid is fully ruled
    for yy in ys:
        w.shape.draw_line((xs[0], yy), (xs[-1], yy))
    for xx in xs:
        w.shape.draw_line((xx, ys[0]), (xx, ys[-1]))
    w.shape.finish(width=0.8, color=(0, 0, 0))

    for r, row in enumerate(TABLE_GRID):
        font = BOLD if r == 0 else SANS
        base = ys[r] + row_h / 2 + size * 0.35
        for c, cell in enumerate(row):
            if numeric[c]:
                x = xs[c + 1] - pad - text_width(cell, font, size)
            else:
                x = xs[c] + pad
            w.line(x, base, cell, font, size)
        lines.append(" ".join(row))

    w.line(MARGIN, ys[-1] + 24, TABLE_NOTE, BODY, 9)
    lines.append(TABLE_NOTE)
    w.commit()

    set_fixed_metadata(doc, TABLE_TITLE)
    save_pdf(doc, outdir / "ruled_table.pdf")
    table = {
        "n_rows": len(TABLE_GRID),
        "n_cols": len(TABLE_GRID[0]),
        "header_rows": 1,
        "bbox": [round(xs[0] / PAGE_W, 4), round(ys[0] / PAGE_H, 4),
                 round(xs[-1] / PAGE_W, 4), round(ys[-1] / PAGE_H, 4)],
        "grid": [list(r) for r in TABLE_GRID],
    }
    return {"mime": "application/pdf", "n_pages": 1, "status": "ok",
            "error_kind": None, "tests": "fully ruled table with header row, "
            "amounts with thousands separators, parentheses, minus signs, percents",
            "pages": [page_entry(page=1, engine="text", lines=lines, width=PAGE_W,
                                 height=PAGE_H, tables=[table])]}


# --------------------------------------------------------------------------
# 4. rotated.pdf
# --------------------------------------------------------------------------

ROT_TITLE = "A Landscape Page Stored with /Rotate 90"
ROT_BODY = (
    "This page is stored in portrait orientation with a /Rotate 90 entry, and "
    "its text was written turned so that it reads upright once a viewer applies "
    "the rotation. Shown correctly, the page is landscape, and each of these "
    "lines runs across its long side, wider than a portrait page could hold it."
)
ROT2_TITLE = "A Normal Portrait Page"
ROT2_BODY = (
    "The second page has no rotation. It is here to check that the rotation of "
    "one page does not leak into the next."
)


def make_rotated(outdir: Path) -> dict:
    doc = pymupdf.open()
    pages = []

    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    page.set_rotation(90)
    disp_w, disp_h = page.rect.width, page.rect.height  # 792 x 612 as displayed
    w = Writer(page)
    lines = [ROT_TITLE]
    w.line(MARGIN, 90, ROT_TITLE, BOLD, 18)
    body, _ = paragraph(w, ROT_BODY, MARGIN, 124, disp_w - 2 * MARGIN, size=12, leading=17)
    lines += body
    lines.append(footer(w, 1, 2, disp_w, disp_h))
    w.commit()
    pages.append(page_entry(page=1, engine="text", lines=lines, width=disp_w,
                            height=disp_h, rotation=90))

    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    w = Writer(page)
    lines = [ROT2_TITLE]
    w.line(MARGIN, 96, ROT2_TITLE, BOLD, 18)
    body, _ = paragraph(w, ROT2_BODY, MARGIN, 130, PAGE_W - 2 * MARGIN)
    lines += body
    lines.append(footer(w, 2, 2))
    w.commit()
    pages.append(page_entry(page=2, engine="text", lines=lines, width=PAGE_W,
                            height=PAGE_H, rotation=0))

    set_fixed_metadata(doc, ROT_TITLE)
    save_pdf(doc, outdir / "rotated.pdf")
    return {"mime": "application/pdf", "n_pages": 2, "status": "ok",
            "error_kind": None, "tests": "page /Rotate 90 with upright landscape "
            "text, followed by an unrotated page", "pages": pages}


# --------------------------------------------------------------------------
# 5. scan.png / scan.pdf
# --------------------------------------------------------------------------

SCAN_LINES = [
    ("Scanned Letter", BOLD, 22),
    ("Invoice number: 2024-0117", SANS, 14),
    ("Date: 15 March 2024", SANS, 14),
    ("Customer: Harbour Tools Ltd", SANS, 14),
    ("Total due: 1,250.00 EUR", SANS, 14),
    ("This page has no text layer.", SANS, 14),
    ("Only an OCR engine can read it.", SANS, 14),
]


def render_scan_png() -> tuple[bytes, list[str], tuple[int, int]]:
    src = pymupdf.open()
    page = src.new_page(width=PAGE_W, height=PAGE_H)
    w = Writer(page)
    y = 110.0
    for text, font, size in SCAN_LINES:
        w.line(MARGIN, y, text, font, size)
        y += size * 2.0
    w.commit()
    pix = page.get_pixmap(dpi=SCAN_DPI, colorspace=pymupdf.csGRAY, alpha=False)
    img = Image.open(io.BytesIO(pix.tobytes("png")))
    img.load()
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True, dpi=(SCAN_DPI, SCAN_DPI))
    return buf.getvalue(), [t for t, _, _ in SCAN_LINES], img.size


def make_scans(outdir: Path) -> dict:
    png, lines, (px_w, px_h) = render_scan_png()
    (outdir / "scan.png").write_bytes(png)

    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    page.insert_image(page.rect, stream=png)
    set_fixed_metadata(doc, "Scanned Letter")
    save_pdf(doc, outdir / "scan.pdf")

    image = {"width_px": px_w, "height_px": px_h, "dpi": SCAN_DPI, "colorspace": "gray"}
    entry = dict(page=1, engine="ocr", lines=lines, width=PAGE_W, height=PAGE_H, exact=False)
    return {
        "scan.png": {"mime": "image/png", "n_pages": 1, "status": "ok",
                     "error_kind": None, "tests": "image-only page (grayscale PNG "
                     f"at {SCAN_DPI} dpi); width/height are points at that dpi",
                     "image": image, "pages": [page_entry(**entry)]},
        "scan.pdf": {"mime": "application/pdf", "n_pages": 1, "status": "ok",
                     "error_kind": None, "tests": "PDF page holding only the scan "
                     "image, no text layer", "image": image,
                     "pages": [page_entry(**entry)]},
    }


# --------------------------------------------------------------------------
# 6. corrupt.pdf / not_a_pdf.pdf
# --------------------------------------------------------------------------

def make_bad_files(outdir: Path) -> dict:
    # A PDF header followed by deterministic garbage and no objects, no xref,
    # no trailer: MuPDF, PDFium and pdfminer all refuse it.
    junk = b""
    h = b"docpipe corrupt sample"
    while len(junk) < 600:
        h = hashlib.sha256(h).digest()
        junk += h
    (outdir / "corrupt.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + junk[:600])

    html = (
        "<!DOCTYPE html>\n"
        "<html lang=\"en\">\n"
        "<head><meta charset=\"utf-8\"><title>Not a PDF</title></head>\n"
        "<body>\n"
        "<h1>Not a PDF</h1>\n"
        "<p>This is an HTML page saved under a .pdf name. docpipe must sniff the "
        "bytes, not trust the extension.</p>\n"
        "</body>\n"
        "</html>\n"
    )
    (outdir / "not_a_pdf.pdf").write_text(html, encoding="utf-8", newline="\n")
    return {
        "corrupt.pdf": {"mime": "application/pdf", "n_pages": None, "status": "error",
                        "error_kind": "corrupt", "tests": "starts with %PDF-1.7 "
                        "then garbage: no reader can open it", "pages": []},
        # mime is null: sniffing finds neither a PDF nor a supported image.
        "not_a_pdf.pdf": {"mime": None, "n_pages": None, "status": "error",
                          "error_kind": "unsupported_format", "tests": "HTML named "
                          ".pdf; must be rejected by sniffing the bytes (MuPDF "
                          "itself would open it as an HTML document)", "pages": []},
    }


# --------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", nargs="?", default=str(Path(__file__).resolve().parent))
    ap.add_argument("--no-check", action="store_true", help="skip the self-check")
    args = ap.parse_args(argv)
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)

    files: dict[str, dict] = {}
    files["single_column.pdf"] = make_single_column(outdir)
    files["two_column.pdf"] = make_two_column(outdir)
    files["ruled_table.pdf"] = make_ruled_table(outdir)
    files["rotated.pdf"] = make_rotated(outdir)
    files.update(make_scans(outdir))
    files.update(make_bad_files(outdir))

    for name, entry in list(files.items()):
        data = (outdir / name).read_bytes()
        # put size and hash first, right after mime, for readability
        files[name] = {"mime": entry.pop("mime"), "bytes": len(data),
                       "sha256": hashlib.sha256(data).hexdigest(), **entry}

    expected = {
        "generator": "sample_docs/make_samples.py",
        "pymupdf_version": pymupdf.VersionBind,
        "notes": (
            "text: the page in reading order, lines joined by \\n (header, title, "
            "body/columns left then right, footer last; a table row by row, cells "
            "joined by one space). text_match 'approx' = ground truth for OCR. "
            "width/height: points as displayed. bbox: fractions of the displayed page."
        ),
        "files": files,
    }
    (outdir / "expected.json").write_text(
        json.dumps(expected, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8", newline="\n")

    if not args.no_check:
        check(outdir, expected, FIXED_DATE)
    total = sum(e["bytes"] for e in files.values())
    for name, e in files.items():
        print(f"{e['bytes']:>8}  {e['sha256'][:16]}  {name}")
    print(f"{total:>8}  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
