"""One page range of one document -> its pages: open it, and try each page with the engines its route names.

A plain function over records (WorkUnit -> PageResult list), so it is tested
without Ray; `runner.stages` maps it over units inside Ray Data workers. The
engines a page tries, in order, come from `engines.route.page_engines`: a
page for the VLM leaves as a VlmPageTask, answered by a later stage. Every
failure on a page becomes that page's error row; nothing here raises for bad
input.
"""

from __future__ import annotations

import os
import time
from typing import Callable, Iterator, Optional

from docpipe.config import RunConfig
from docpipe.engines.ocr.hidden import hidden_words_match
from docpipe.engines.ocr.page import ocr_page
from docpipe.engines.ocr.recognizer import Recognizer
from docpipe.engines.route import TextLayerVerdict, page_engines
from docpipe.engines.text.page import displayed_words, extract_page
from docpipe.engines.vlm.tasks import vlm_task
from docpipe.errors import DocumentError, NeedsOcr, OutputError, PageTimeout
from docpipe.io.documents import check_pixels, open_image, open_pdf
from docpipe.io.parquet import page_image_path, write_bytes
from docpipe.io.render import fit_dpi, render_for_ocr, render_image_frame, render_pdf_page
from docpipe.io.sniff import PDF
from docpipe.io.storage import local_path, read_bytes, utf8_name
from docpipe.layout.furniture import mark_running
from docpipe.records import PageResult, VlmPageTask, WorkUnit
from docpipe.runner.deadline import page_deadline
from docpipe.runner.memory import release_memory

# A PDF's bytes, or the path of a local file (opened lazily by MuPDF).
PdfData = bytes | str
# Seconds a page over its limit gets to keep its text layer (read without tables and figures).
SALVAGE_S = 10.0
# Gives the worker's OCR engine, created on first use; None: no OCR in this run.
OcrProvider = Optional[Callable[[], Recognizer]]


def extract_unit(unit: WorkUnit, config: RunConfig, ocr: OcrProvider = None) -> list[PageResult | VlmPageTask]:
    if config.engine == "text":
        ocr = None  # forced: pages that need OCR become clear error rows
    try:
        # A local PDF is opened by path: MuPDF reads what each page needs, so a worker does
        # not hold a whole long scan per task (docs/benchmarks.md, "Memory per worker").
        path = local_path(unit.source) if unit.mime == PDF else None
        by_name = path is not None and utf8_name(path) and os.path.isfile(path)
        data = path if by_name else read_bytes(unit.source)
    except OSError as exc:
        return _all_failed(unit, "not_found", f"cannot read: {exc}")
    try:
        pages = list(_pdf_pages(unit, data, config, ocr) if unit.mime == PDF else _image_pages(unit, data, config, ocr))
        # Running headers and footers recur across pages: one page alone cannot tell them.
        mark_running([p for p in pages if isinstance(p, PageResult)])
        return pages
    except DocumentError as exc:
        return _all_failed(unit, exc.kind, exc.message)


def _all_failed(unit: WorkUnit, kind, message: str) -> list[PageResult]:
    return [_page_error(unit, i, kind, message) for i in range(unit.page_start, unit.page_stop)]


def _page_error(unit: WorkUnit, index: int, kind, message: str, **fields) -> PageResult:
    return PageResult.failed(unit.doc_id, unit.source, index + 1, kind, message, **fields)


def _pdf_pages(unit: WorkUnit, data: PdfData, config: RunConfig, ocr: OcrProvider) -> Iterator[PageResult]:
    doc = open_pdf(data, config.password)
    try:
        for index in range(unit.page_start, unit.page_stop):
            started = time.perf_counter()
            result = _within_limit(unit, index, config, ocr,
                                   lambda page_ocr: _pdf_page(unit, index, doc, data, config, page_ocr),
                                   salvage=lambda: _text_layer_only(unit, index, doc))
            result.elapsed_ms = (time.perf_counter() - started) * 1000
            if unit.likely_scan:
                release_memory()  # a scan's decoded page image is never reused; MuPDF would cache it
            yield result
    finally:
        doc.close()


def _pdf_page(unit: WorkUnit, index: int, doc, data: PdfData, config: RunConfig, ocr: OcrProvider) -> PageResult:
    try:
        page = doc.load_page(index)
        # Reject absurd geometry before any engine touches the page.
        fit_dpi(page.rect.width, page.rect.height, 72, config.limits)
        result = _read_pdf_page(unit, index, page, data, config, ocr)
        if config.save_images:
            encoded, _ = render_pdf_page(page, config.render, config.limits, pdf_bytes=data)
            result.image_path = _save_image(unit, index, encoded, config)
    except DocumentError as exc:
        result = _page_error(unit, index, exc.kind, exc.message)
    except OutputError:
        raise  # the output store failed: a run-level problem, not this page's
    except Exception as exc:  # MuPDF errors on damaged pages are per page
        result = _page_error(unit, index, "corrupt", f"{type(exc).__name__}: {exc}")
    return result


def _read_pdf_page(unit: WorkUnit, index: int, page, data: PdfData, config: RunConfig,
                   ocr: OcrProvider) -> PageResult | VlmPageTask:
    """The page from the first engine of its route that can read it (only the text layer can decline)."""
    why = "--engine ocr"
    for engine in page_engines(config, "pdf"):
        if engine == "text":
            try:
                return extract_page(page, doc_id=unit.doc_id, source=unit.source, page_number=index + 1)
            except NeedsOcr as needs:
                why = needs.reason
        elif engine == "vlm":
            hints = _pdf_hints(unit, index, page, data, config, ocr)
            return vlm_task(unit.doc_id, unit.source, unit.mime, index + 1, page, config.vlm.max_tiles, hints)
        else:
            return _ocr_pdf_page(unit, index, page, data, config, ocr, why)
    raise NeedsOcr(why)  # a route ends with an engine that reads every page: not reached


def _within_limit(unit: WorkUnit, index: int, config: RunConfig, ocr: OcrProvider,
                  work: Callable[[OcrProvider], PageResult],
                  salvage: Optional[Callable[[], PageResult]] = None) -> PageResult:
    """One page's work under --page-timeout (see runner.deadline); over it, a `timeout` row.

    `salvage` reads what is cheap (a PDF page's text layer) for a page that ran
    over, so the row keeps its text with the timeout recorded.
    """
    message = (f"page ran over its time limit of {config.page_timeout_s:g} s (--page-timeout); "
               "the rest of the document went on")
    try:
        with page_deadline(config.page_timeout_s) as deadline:
            return work(None if ocr is None else (lambda: ocr().until(deadline)))
    except PageTimeout:
        pass
    if salvage is not None:
        try:
            with page_deadline(SALVAGE_S):
                kept = salvage()
            kept.status, kept.error_kind = "partial", "timeout"
            kept.error = f"{message}; kept its text layer, without tables and figures"
            return kept
        except (PageTimeout, NeedsOcr, DocumentError, OutputError):
            pass  # nothing cheap to keep
        except Exception:  # noqa: BLE001 - a damaged page: the timeout row says enough
            pass
    return _page_error(unit, index, "timeout", message)


def _text_layer_only(unit: WorkUnit, index: int, doc) -> PageResult:
    return extract_page(doc.load_page(index), doc_id=unit.doc_id, source=unit.source, page_number=index + 1,
                        tables=False, figures=False)


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
    try:
        image.seek(index)
        check_pixels(image.width, image.height, config.limits)
        scale = 72.0 / dpi if dpi else 1.0
        (engine,) = page_engines(config, "image")  # a page image has no text layer to try first
        if engine == "vlm":
            hints = None
            if config.vlm.hints and ocr is not None:
                hints = _lines_of(_ocr_image(unit, index, image, dpi, ocr))
            result = vlm_task(unit.doc_id, unit.source, unit.mime, index + 1, image, config.vlm.max_tiles, hints,
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
    except OutputError:
        raise
    except Exception as exc:  # truncated or damaged image data
        result = _page_error(unit, index, "corrupt", f"{type(exc).__name__}: {exc}")
    return result


def _ocr_image(unit: WorkUnit, index: int, image, dpi: Optional[float], ocr: OcrProvider) -> PageResult:
    return ocr_page(image, dpi, ocr(), doc_id=unit.doc_id, source=unit.source, page_number=index + 1)


def _pdf_hints(unit: WorkUnit, index: int, page, data: PdfData, config: RunConfig,
               ocr: OcrProvider) -> Optional[list[str]]:
    """--vlm-hints: the page's text-layer lines, or its OCR lines when the text layer is unusable."""
    if not config.vlm.hints:
        return None
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
    image, dpi = render_for_ocr(page, config.ocr.dpi, config.render, config.limits, pdf_bytes=data)
    if why == TextLayerVerdict.HIDDEN_OVER_SCAN.value and hidden_words_match(displayed_words(page), image, dpi, ocr()):
        return extract_page(page, doc_id=unit.doc_id, source=unit.source, page_number=index + 1,
                            trust_hidden_text=True)
    result = ocr_page(image, dpi, ocr(), doc_id=unit.doc_id, source=unit.source, page_number=index + 1)
    result.rotation = (result.rotation + page.rotation) % 360
    return result


def _needs_ocr(unit: WorkUnit, index: int, width: float, height: float, why: str,
               config: RunConfig) -> PageResult:
    hint = "; run with --engine auto or ocr" if config.engine == "text" else ""
    return _page_error(unit, index, "engine_unavailable", f"page needs OCR ({why}{hint}); no OCR engine in this run",
                       width=width, height=height)


def _save_image(unit: WorkUnit, index: int, encoded: bytes, config: RunConfig) -> str:
    relative = page_image_path(unit.doc_id, index + 1, config.render.image_format)
    write_bytes(config.out, relative, encoded)
    return relative
