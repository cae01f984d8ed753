"""The per-page stage: open a page range of one document, route each page to an engine.

A plain function over records (WorkUnit -> PageResult list), so it is tested
without Ray; `pipeline.py` maps it over units inside Ray Data workers. Routing
(`--engine auto`): the text layer when it is usable, else OCR. Every failure
on a page becomes that page's error row; nothing here raises for bad input.
"""

from __future__ import annotations

import posixpath
import time
from typing import Callable, Iterator, Optional

from docpipe.config import RunConfig
from docpipe.documents import DocumentError, open_image, open_pdf
from docpipe.ingest import PDF, WorkUnit, read_bytes
from docpipe.records import PageResult
from docpipe.route import NeedsOcr

# Gives the worker's OCR engine, created on first use; None: no OCR in this run.
OcrProvider = Optional[Callable[[], "TesseractEngine"]]  # noqa: F821


def extract_unit(unit: WorkUnit, config: RunConfig, ocr: OcrProvider = None) -> list[PageResult]:
    if config.engine == "text":
        ocr = None  # forced: pages that need OCR become clear error rows
    try:
        data = read_bytes(unit.source)
    except OSError as exc:
        return _all_failed(unit, "not_found", f"cannot read: {exc}")
    try:
        if unit.mime == PDF:
            return list(_pdf_pages(unit, data, config, ocr))
        return list(_image_pages(unit, data, config, ocr))
    except DocumentError as exc:
        return _all_failed(unit, exc.kind, exc.message)


def _all_failed(unit: WorkUnit, kind, message: str) -> list[PageResult]:
    return [
        PageResult(doc_id=unit.doc_id, source=unit.source, page=i + 1, status="error",
                   error_kind=kind, error=message)
        for i in range(unit.page_start, unit.page_stop)
    ]


def _pdf_pages(unit: WorkUnit, data: bytes, config: RunConfig, ocr: OcrProvider) -> Iterator[PageResult]:
    from docpipe.engines.text import extract_page
    from docpipe.memory import release_memory
    from docpipe.render import fit_dpi

    doc = open_pdf(data, config.password)
    try:
        for index in range(unit.page_start, unit.page_stop):
            started = time.perf_counter()
            try:
                page = doc.load_page(index)
                # Reject absurd geometry before any engine touches the page.
                fit_dpi(page.rect.width, page.rect.height, 72, config.limits)
                if config.engine == "ocr":
                    result = _ocr_pdf_page(unit, index, page, data, config, ocr, "--engine ocr")
                else:
                    try:
                        result = extract_page(page, doc_id=unit.doc_id, source=unit.source, page_number=index + 1)
                    except NeedsOcr as needs:
                        result = _ocr_pdf_page(unit, index, page, data, config, ocr, needs.reason)
                if config.save_images:
                    result.image_path = _save_pdf_image(unit, index, page, data, config)
            except DocumentError as exc:
                result = _page_error(unit, index, exc.kind, exc.message)
            except Exception as exc:  # MuPDF errors on damaged pages are per page
                result = _page_error(unit, index, "corrupt", f"{type(exc).__name__}: {exc}")
            result.elapsed_ms = (time.perf_counter() - started) * 1000
            if unit.likely_scan:
                release_memory()  # a scan's decoded page image is never reused; MuPDF would cache it
            yield result
    finally:
        doc.close()


def _image_pages(unit: WorkUnit, data: bytes, config: RunConfig, ocr: OcrProvider) -> Iterator[PageResult]:
    from docpipe.documents import check_pixels
    from docpipe.render import render_image_frame

    image = open_image(data, config.limits)
    dpi = _image_dpi(image)
    for index in range(unit.page_start, unit.page_stop):
        started = time.perf_counter()
        try:
            image.seek(index)
            check_pixels(image.width, image.height, config.limits)
            scale = 72.0 / dpi if dpi else 1.0
            if ocr is None:
                result = _needs_ocr(unit, index, image.width * scale, image.height * scale, "page image", config)
            else:
                from docpipe.engines.ocr import ocr_page

                result = ocr_page(image, dpi, ocr(), doc_id=unit.doc_id, source=unit.source,
                                  page_number=index + 1)
            if config.save_images:
                encoded = render_image_frame(image, index, config.render, config.limits)
                result.image_path = _save_image(unit, index, encoded, config)
        except DocumentError as exc:
            result = _page_error(unit, index, exc.kind, exc.message)
        except Exception as exc:  # truncated or damaged image data
            result = _page_error(unit, index, "corrupt", f"{type(exc).__name__}: {exc}")
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        yield result


def _image_dpi(image) -> Optional[float]:
    """The image's resolution, or None when it does not say (boxes then stay in pixels)."""
    dpi = image.info.get("dpi")
    try:
        x, y = float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError, IndexError):
        return None
    # Non-square pixels are rare in scans; their mean keeps text sizes about right.
    return (x + y) / 2 if x > 1 and y > 1 else None


def _ocr_pdf_page(unit: WorkUnit, index: int, page, data: bytes, config: RunConfig, ocr: OcrProvider,
                  why: str) -> PageResult:
    if ocr is None:
        return _needs_ocr(unit, index, page.rect.width, page.rect.height, why, config)
    from docpipe.engines.ocr import hidden_words_match, ocr_page
    from docpipe.engines.text import extract_page
    from docpipe.render import render_for_ocr
    from docpipe.route import TextLayerVerdict

    image, dpi = render_for_ocr(page, config.ocr_dpi, config.render, config.limits, pdf_bytes=data)
    if why == TextLayerVerdict.HIDDEN_OVER_SCAN.value and hidden_words_match(_displayed_words(page), image, dpi, ocr()):
        return extract_page(page, doc_id=unit.doc_id, source=unit.source, page_number=index + 1,
                            trust_hidden_text=True)
    result = ocr_page(image, dpi, ocr(), doc_id=unit.doc_id, source=unit.source, page_number=index + 1)
    result.rotation = (result.rotation + page.rotation) % 360
    return result


def _displayed_words(page) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The text layer's words with boxes on the page as displayed (as rendered)."""
    import pymupdf

    matrix = page.rotation_matrix
    words = []
    for x0, y0, x1, y1, text, *_ in page.get_text("words"):
        r = pymupdf.Rect(x0, y0, x1, y1) * matrix
        words.append((text, (r.x0, r.y0, r.x1, r.y1)))
    return words


def _needs_ocr(unit: WorkUnit, index: int, width: float, height: float, why: str,
               config: RunConfig) -> PageResult:
    hint = "; run with --engine auto or ocr" if config.engine == "text" else ""
    return PageResult(
        doc_id=unit.doc_id, source=unit.source, page=index + 1, width=width, height=height,
        status="error", error_kind="engine_unavailable",
        error=f"page needs OCR ({why}{hint}); no OCR engine in this run",
    )


def _page_error(unit: WorkUnit, index: int, kind, message: str) -> PageResult:
    return PageResult(doc_id=unit.doc_id, source=unit.source, page=index + 1,
                      status="error", error_kind=kind, error=message)


def _save_pdf_image(unit: WorkUnit, index: int, page, data: bytes, config: RunConfig) -> Optional[str]:
    from docpipe.render import render_pdf_page

    encoded, _ = render_pdf_page(page, config.render, config.limits, pdf_bytes=data)
    return _save_image(unit, index, encoded, config)


def _save_image(unit: WorkUnit, index: int, encoded: bytes, config: RunConfig) -> str:
    from docpipe.sink import write_bytes

    extension = "jpg" if config.render.image_format == "jpeg" else "png"
    relative = posixpath.join("images", unit.doc_id, f"p{index + 1:05d}.{extension}")
    write_bytes(config.out, relative, encoded)
    return relative
