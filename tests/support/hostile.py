"""Real files that broke runs: a glyph mapped to a lone surrogate, a map of tens of thousands of paths."""

from __future__ import annotations

from pathlib import Path

import pymupdf

# A ToUnicode CMap mapping the byte of 'A' to U+DCB9, a lone surrogate: what some real
# PDFs' broken CMaps give, and what PyMuPDF's per-glyph `rawdict` then hands out as is.
_SURROGATE_CMAP = b"""/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def /CMapType 2 def
1 begincodespacerange <00> <FF> endcodespacerange
1 beginbfchar <41> <DCB9> endbfchar
endcmap CMapName currentdict /CMap defineresource pop end end"""


def surrogate_pdf(path: Path, text: str = "Annual figures for the harbour district, by quarter and ward") -> Path:
    """A one-page PDF whose every 'A' the text layer maps to U+DCB9."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), text, fontname="helv", fontsize=12)
    (font_xref, *_), = page.get_fonts()
    cmap = doc.get_new_xref()
    doc.update_object(cmap, "<<>>")
    doc.update_stream(cmap, _SURROGATE_CMAP)
    doc.xref_set_key(font_xref, "ToUnicode", f"{cmap} 0 R")
    doc.save(path)
    return path


def map_pdf(path: Path, n_paths: int, label: str = "Harbour district street map") -> Path:
    """A one-page PDF of `n_paths` short vector strokes (a street map) with a line of text over them."""
    doc = pymupdf.open()
    page = doc.new_page()
    shape = page.new_shape()
    for i in range(n_paths):  # streets: crossing horizontal and vertical strokes, as table rulings are
        x, y = 20 + (i * 37) % 520, 100 + (i * 53) % 660
        length = 15 + (i * 11) % 60
        shape.draw_line((x, y), (x + length, y) if i % 2 else (x, y + length))
        shape.finish(color=(0.4, 0.4, 0.4), width=0.3)  # each stroke its own path, as in a real map
    shape.commit()
    page.insert_text((72, 60), label, fontname="helv", fontsize=14)
    doc.save(path)
    return path
