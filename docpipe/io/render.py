"""Rasterize pages to encoded image bytes (PyMuPDF by default, poppler via pdf2image).

Images cross stage boundaries as encoded bytes, never as Python objects, and
every render respects the pixel limit by lowering the DPI rather than failing.
"""

from __future__ import annotations

import io
import math
from typing import Optional

from docpipe.config import Limits, RenderConfig
from docpipe.errors import DocumentError
from docpipe.io.documents import check_pixels
from docpipe.io.pdf_library import pymupdf_module


def fit_dpi(width_pt: float, height_pt: float, dpi: int, limits: Limits) -> int:
    """The requested DPI, lowered so the page stays within the pixel limit."""
    if width_pt <= 0 or height_pt <= 0:
        raise DocumentError("corrupt", f"page has no area ({width_pt}x{height_pt} pt)")
    longest = max(width_pt, height_pt)
    if longest > limits.max_page_points:
        raise DocumentError(
            "too_large",
            f"page is {width_pt:.0f}x{height_pt:.0f} pt, over the limit of "
            f"{limits.max_page_points:.0f} pt a side",
        )
    pixels = width_pt * height_pt * (dpi / 72.0) ** 2
    if pixels <= limits.max_pixels:
        return dpi
    return max(1, int(dpi * math.sqrt(limits.max_pixels / pixels)))


def encode(image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    if image_format == "jpeg":
        image.convert("L" if image.mode in ("1", "L") else "RGB").save(buffer, "JPEG", quality=90)
    else:
        image.save(buffer, "PNG", optimize=False)
    return buffer.getvalue()


def render_pdf_page(
    page, config: RenderConfig, limits: Limits, *, pdf_bytes: Optional[bytes | str] = None,
    dpi: Optional[int] = None, grayscale: bool = False,
) -> tuple[bytes, int]:
    """(encoded image, DPI used) for one PDF page, upright as displayed."""
    dpi = fit_dpi(page.rect.width, page.rect.height, dpi or config.dpi, limits)
    if config.renderer == "poppler":
        return _render_poppler(pdf_bytes, page.number + 1, dpi, config, grayscale), dpi
    pymupdf = pymupdf_module()

    colorspace = pymupdf.csGRAY if grayscale else pymupdf.csRGB
    pixmap = page.get_pixmap(dpi=dpi, colorspace=colorspace, alpha=False)
    if config.image_format == "png":
        return pixmap.tobytes("png"), dpi
    return pixmap.tobytes("jpeg", jpg_quality=90), dpi


def render_for_ocr(page, dpi: int, config: RenderConfig, limits: Limits, *,
                   pdf_bytes: Optional[bytes | str] = None):
    """(grayscale PIL image, DPI used) of one PDF page as displayed, for an engine in this process.

    The image stays decoded: encoding a 300 DPI page to PNG and back would
    cost about a tenth of its OCR time.
    """
    from PIL import Image

    dpi = fit_dpi(page.rect.width, page.rect.height, dpi, limits)
    if config.renderer == "poppler":
        encoded = _render_poppler(pdf_bytes, page.number + 1, dpi, config, grayscale=True)
        return Image.open(io.BytesIO(encoded)).convert("L"), dpi
    pymupdf = pymupdf_module()

    pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    return Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples), dpi


def _render_poppler(pdf_bytes: Optional[bytes | str], page_number: int, dpi: int, config: RenderConfig,
                    grayscale: bool) -> bytes:
    if pdf_bytes is None:
        raise ValueError("the poppler renderer needs the PDF (bytes or a local path)")
    from pdf2image import convert_from_bytes, convert_from_path

    convert = convert_from_path if isinstance(pdf_bytes, str) else convert_from_bytes
    images = convert(pdf_bytes, dpi=dpi, first_page=page_number, last_page=page_number, grayscale=grayscale)
    if not images:
        raise DocumentError("engine_error", f"poppler rendered nothing for page {page_number}")
    return encode(images[0], config.image_format)


def render_image_frame(image, frame: int, config: RenderConfig, limits: Limits) -> bytes:
    """One frame of an input image (multi-page TIFF), decoded and re-encoded."""
    image.seek(frame)
    check_pixels(image.width, image.height, limits)
    image.load()
    mode = image.mode
    if mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    return encode(image, config.image_format)


def render_to_size(page_or_image, width: int, height: int) -> bytes:
    """PNG of a PDF page (as displayed) or an image frame, at exactly `width` x `height` pixels.

    For the VLM, which is given its page at the size its tiling uses as is.
    PNG, not JPEG: compression artefacts around small glyphs cost the model
    more than the bytes save. The size comes from the caller, so no DPI or
    pixel limit applies here.
    """
    if hasattr(page_or_image, "get_pixmap"):  # a PyMuPDF page
        pymupdf = pymupdf_module()

        rect = page_or_image.rect
        matrix = pymupdf.Matrix(width / rect.width, height / rect.height)
        pixmap = page_or_image.get_pixmap(matrix=matrix, colorspace=pymupdf.csRGB, alpha=False)
        return pixmap.tobytes("png")
    from PIL import Image

    image = page_or_image.convert("RGB" if page_or_image.mode not in ("1", "L") else "L")
    return encode(image.resize((width, height), Image.Resampling.LANCZOS), "png")
