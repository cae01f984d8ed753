"""The per-page stage: open a page range of one document, route each page to an engine.

A plain function over records (WorkUnit -> PageResult list), so it is tested
without Ray; `pipeline.py` maps it over units inside Ray Data workers. Routing
(`--engine auto`): the text layer when it is usable, else the VLM when one is
configured (the page leaves as a VlmPageTask, answered by a later stage),
else OCR. Every failure on a page becomes that page's error row; nothing here
raises for bad input.
"""

from __future__ import annotations

import os
import posixpath
import time
from typing import Callable, Iterator, Optional

from docpipe.config import RunConfig
from docpipe.deadline import PageTimeout, page_deadline
from docpipe.documents import DocumentError, open_image, open_pdf
from docpipe.ingest import PDF, WorkUnit, local_path, read_bytes
from docpipe.records import PageResult, VlmPageTask
from docpipe.route import NeedsOcr

# A PDF's bytes, or the path of a local file (opened lazily by MuPDF).
PdfData = bytes | str
# Gives the worker's OCR engine, created on first use; None: no OCR in this run.
OcrProvider = Optional[Callable[[], "TesseractEngine"]]  # noqa: F821


def extract_unit(unit: WorkUnit, config: RunConfig, ocr: OcrProvider = None) -> list[PageResult | VlmPageTask]:
    if config.engine == "text":
        ocr = None  # forced: pages that need OCR become clear error rows
    try:
        # A local PDF is opened by path: MuPDF reads what each page needs, so a worker does
        # not hold a whole long scan per task (docs/benchmarks.md, "Memory per worker").
        path = local_path(unit.source) if unit.mime == PDF else None
        data = path if path is not None and os.path.isfile(path) else read_bytes(unit.source)
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


def _pdf_pages(unit: WorkUnit, data: PdfData, config: RunConfig, ocr: OcrProvider) -> Iterator[PageResult]:
    from docpipe.memory import release_memory

    doc = open_pdf(data, config.password)
    try:
        for index in range(unit.page_start, unit.page_stop):
            started = time.perf_counter()
            result = _within_limit(unit, index, config, ocr,
                                   lambda page_ocr: _pdf_page(unit, index, doc, data, config, page_ocr))
            result.elapsed_ms = (time.perf_counter() - started) * 1000
            if unit.likely_scan:
                release_memory()  # a scan's decoded page image is never reused; MuPDF would cache it
            yield result
    finally:
        doc.close()


def _pdf_page(unit: WorkUnit, index: int, doc, data: PdfData, config: RunConfig, ocr: OcrProvider) -> PageResult:
    from docpipe.engines.text import extract_page
    from docpipe.render import fit_dpi

    try:
        page = doc.load_page(index)
        # Reject absurd geometry before any engine touches the page.
        fit_dpi(page.rect.width, page.rect.height, 72, config.limits)
        if config.engine == "vlm":
            result = _vlm_task(unit, index, page, _pdf_hints(unit, index, page, data, config, ocr), config)
        elif config.engine == "ocr":
            result = _ocr_pdf_page(unit, index, page, data, config, ocr, "--engine ocr")
        else:
            try:
                result = extract_page(page, doc_id=unit.doc_id, source=unit.source, page_number=index + 1)
            except NeedsOcr as needs:
                if config.vlm_pages:
                    hints = _pdf_hints(unit, index, page, data, config, ocr)
                    result = _vlm_task(unit, index, page, hints, config)
                else:
                    result = _ocr_pdf_page(unit, index, page, data, config, ocr, needs.reason)
        if config.save_images:
            result.image_path = _save_pdf_image(unit, index, page, data, config)
    except DocumentError as exc:
        result = _page_error(unit, index, exc.kind, exc.message)
    except Exception as exc:  # MuPDF errors on damaged pages are per page
        result = _page_error(unit, index, "corrupt", f"{type(exc).__name__}: {exc}")
    return result


def _within_limit(unit: WorkUnit, index: int, config: RunConfig, ocr: OcrProvider,
                  work: Callable[[OcrProvider], PageResult]) -> PageResult:
    """One page's work under --page-timeout (see docpipe.deadline); over it, a `timeout` row."""
    try:
        with page_deadline(config.page_timeout_s) as deadline:
            return work(None if ocr is None else (lambda: ocr().until(deadline)))
    except PageTimeout:
        return _page_error(unit, index, "timeout",
                           f"page ran over its time limit of {config.page_timeout_s:g} s (--page-timeout); "
                           "the rest of the document went on")


def _image_pages(unit: WorkUnit, data: bytes, config: RunConfig, ocr: OcrProvider) -> Iterator[PageResult]:
    image = open_image(data, config.limits)
    dpi = _image_dpi(image)
    for index in range(unit.page_start, unit.page_stop):
        started = time.perf_counter()
        result = _within_limit(unit, index, config, ocr,
                               lambda page_ocr: _image_page(unit, index, image, dpi, config, page_ocr))
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        yield result


def _image_page(unit: WorkUnit, index: int, image, dpi: Optional[float], config: RunConfig,
                ocr: OcrProvider) -> PageResult:
    from docpipe.documents import check_pixels
    from docpipe.render import render_image_frame

    try:
        image.seek(index)
        check_pixels(image.width, image.height, config.limits)
        scale = 72.0 / dpi if dpi else 1.0
        if config.vlm_pages:
            hints = None
            if config.vlm.hints and ocr is not None:
                hints = _lines_of(_ocr_image(unit, index, image, dpi, ocr))
            result = _vlm_task(unit, index, image, hints, config,
                               size=(image.width * scale, image.height * scale))
        elif ocr is None:
            result = _needs_ocr(unit, index, image.width * scale, image.height * scale, "page image", config)
        else:
            result = _ocr_image(unit, index, image, dpi, ocr)
        if config.save_images:
            encoded = render_image_frame(image, index, config.render, config.limits)
            result.image_path = _save_image(unit, index, encoded, config)
    except DocumentError as exc:
        result = _page_error(unit, index, exc.kind, exc.message)
    except Exception as exc:  # truncated or damaged image data
        result = _page_error(unit, index, "corrupt", f"{type(exc).__name__}: {exc}")
    return result


def _ocr_image(unit: WorkUnit, index: int, image, dpi: Optional[float], ocr: OcrProvider) -> PageResult:
    from docpipe.engines.ocr import ocr_page

    return ocr_page(image, dpi, ocr(), doc_id=unit.doc_id, source=unit.source, page_number=index + 1)


def _vlm_task(unit: WorkUnit, index: int, page_or_image, hints: Optional[list[str]], config: RunConfig,
              size: Optional[tuple[float, float]] = None) -> VlmPageTask:
    """The page as the VLM will see it; `size` in points for an image (a PDF page knows its own)."""
    from docpipe.render import render_for_vlm

    if size is None:
        size = (page_or_image.rect.width, page_or_image.rect.height)
    return VlmPageTask(doc_id=unit.doc_id, source=unit.source, mime=unit.mime, page=index + 1, width=size[0], height=size[1],
                       rotation=getattr(page_or_image, "rotation", 0),
                       image=render_for_vlm(page_or_image, config.vlm.max_tiles), hints=hints)


def _pdf_hints(unit: WorkUnit, index: int, page, data: PdfData, config: RunConfig,
               ocr: OcrProvider) -> Optional[list[str]]:
    """--vlm-hints: the page's text-layer lines, or its OCR lines when the text layer is unusable."""
    if not config.vlm.hints:
        return None
    from docpipe.engines.text import extract_page

    try:
        return _lines_of(extract_page(page, doc_id=unit.doc_id, source=unit.source, page_number=index + 1))
    except NeedsOcr as needs:
        if ocr is None:
            return None
        return _lines_of(_ocr_pdf_page(unit, index, page, data, config, ocr, needs.reason))


def _lines_of(result: PageResult) -> list[str]:
    return [line.text for line in result.lines]


def _image_dpi(image) -> Optional[float]:
    """The image's resolution, or None when it does not say (boxes then stay in pixels)."""
    dpi = image.info.get("dpi")
    try:
        x, y = float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError, IndexError):
        return None
    # Non-square pixels are rare in scans; their mean keeps text sizes about right.
    return (x + y) / 2 if x > 1 and y > 1 else None


def _ocr_pdf_page(unit: WorkUnit, index: int, page, data: PdfData, config: RunConfig, ocr: OcrProvider,
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


def _save_pdf_image(unit: WorkUnit, index: int, page, data: PdfData, config: RunConfig) -> Optional[str]:
    from docpipe.render import render_pdf_page

    encoded, _ = render_pdf_page(page, config.render, config.limits, pdf_bytes=data)
    return _save_image(unit, index, encoded, config)


def _save_image(unit: WorkUnit, index: int, encoded: bytes, config: RunConfig) -> str:
    from docpipe.sink import write_bytes

    extension = "jpg" if config.render.image_format == "jpeg" else "png"
    relative = posixpath.join("images", unit.doc_id, f"p{index + 1:05d}.{extension}")
    write_bytes(config.out, relative, encoded)
    return relative
