"""Self-check of the sample documents: reopen what make_samples.py wrote and compare with expected.json."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pymupdf
from PIL import Image



def _pdf_lines(page: pymupdf.Page) -> list[str]:
    """Text lines in content-stream order (no sorting)."""
    out = []
    for b in page.get_text("dict", flags=0)["blocks"]:
        for ln in b.get("lines", []):
            out.append("".join(s["text"] for s in ln["spans"]))
    return out


def _table_grid(page: pymupdf.Page, table) -> list[list[str]]:
    """Cell texts from the detected cell boxes and the page's words.

    (Table.extract() is not used: in PyMuPDF 1.28 / pymupdf 2.0 it uses tight
    glyph boxes and splits ',' '.' '-' onto a second line of the cell.)
    """
    words = page.get_text("words")
    grid = []
    for row in table.rows:
        cells = []
        for box in row.cells:
            r = pymupdf.Rect(box)
            inside = [w for w in words
                      if r.contains(pymupdf.Point((w[0] + w[2]) / 2, (w[1] + w[3]) / 2))]
            cells.append(" ".join(w[4] for w in inside))
        grid.append(cells)
    return grid


def check(outdir: Path, expected: dict, creation_date: str) -> None:
    files = expected["files"]
    for name, exp in files.items():
        path = outdir / name
        data = path.read_bytes()
        assert exp["sha256"] == hashlib.sha256(data).hexdigest(), name
        if exp["status"] == "error":
            try:
                if name == "corrupt.pdf":
                    pymupdf.open(stream=data, filetype="pdf")
                    raise AssertionError("corrupt.pdf opened")
            except pymupdf.FileDataError:
                pass
            if name == "not_a_pdf.pdf":
                assert not data.startswith(b"%PDF"), name
            continue
        if exp["mime"] == "image/png":
            with Image.open(path) as im:
                assert im.mode == "L", im.mode
                assert im.size == (exp["image"]["width_px"], exp["image"]["height_px"])
            continue
        doc = pymupdf.open(path)
        assert doc.page_count == exp["n_pages"], name
        assert doc.metadata["creationDate"] == creation_date, name
        for pexp in exp["pages"]:
            page = doc[pexp["page"] - 1]
            assert page.rotation == pexp["rotation"], (name, page.rotation)
            assert (page.rect.width, page.rect.height) == (pexp["width"], pexp["height"]), name
            got = _pdf_lines(page)
            if pexp["engine"] == "ocr":
                assert got == [], (name, got)
                assert len(page.get_images()) == 1, name
                continue
            want = pexp["text"].split("\n")
            table_rows = {" ".join(r) for t in pexp["tables"] for r in t["grid"]}
            cells = [c for t in pexp["tables"] for r in t["grid"] for c in r]
            want_lines = [x for x in want if x not in table_rows] + cells
            assert sorted(got) == sorted(want_lines), (name, pexp["page"], got, want_lines)
            # every line reads upright on the displayed page
            m = page.rotation_matrix
            for b in page.get_text("dict")["blocks"]:
                for ln in b.get("lines", []):
                    dx, dy = ln["dir"]
                    ux, uy = dx * m.a + dy * m.c, dx * m.b + dy * m.d
                    assert abs(ux - 1) < 1e-6 and abs(uy) < 1e-6, (name, ln["dir"])
            for texp in pexp["tables"]:
                found = page.find_tables().tables
                assert len(found) == 1, (name, len(found))
                assert _table_grid(page, found[0]) == texp["grid"], _table_grid(page, found[0])
            if pexp.get("stream_order_differs"):
                right_first = pexp["columns"]["right"].split("\n")[0]
                assert got[0] == right_first, (name, got[0])
                assert got != want, name
