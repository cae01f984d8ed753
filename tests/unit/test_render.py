"""Rasterizing pages: both renderers, the DPI option and the pixel limit."""

from __future__ import annotations

import io
import shutil

import pymupdf
import pytest
from PIL import Image

from docpipe.config import Limits, RenderConfig
from docpipe.errors import DocumentError
from docpipe.io.render import fit_dpi, render_pdf_page


def _page():
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 72), "render me", fontsize=24)
    return doc, page


def _size(encoded: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(encoded)).size


@pytest.mark.parametrize("renderer", ["pymupdf", "poppler"])
def test_renderers_honour_dpi(renderer):
    if renderer == "poppler" and shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils not installed")
    doc, page = _page()
    encoded, dpi = render_pdf_page(page, RenderConfig(renderer=renderer, dpi=100), Limits(),
                                   pdf_bytes=doc.tobytes())
    assert dpi == 100
    width, height = _size(encoded)
    assert abs(width - 850) <= 2 and abs(height - 1100) <= 2


def test_pixel_limit_lowers_dpi_instead_of_failing():
    doc, page = _page()
    limits = Limits(max_pixels=1_000_000)
    encoded, dpi = render_pdf_page(page, RenderConfig(dpi=300), limits)
    width, height = _size(encoded)
    assert dpi < 300 and width * height <= 1_000_000


def test_absurd_page_size_is_too_large():
    with pytest.raises(DocumentError) as info:
        fit_dpi(200_000, 300, 150, Limits())
    assert info.value.kind == "too_large"
    with pytest.raises(DocumentError):
        fit_dpi(0, 300, 150, Limits())
