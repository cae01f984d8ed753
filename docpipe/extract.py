"""The per-page stage: open a page range of one document and produce its page rows.

A plain function over records (WorkUnit -> PageResult list), so it is tested
without Ray; `pipeline.py` maps it over units inside Ray Data tasks. Every
failure on a page becomes that page's error row; nothing here raises for
bad input.
"""

from __future__ import annotations

import posixpath
import time
from typing import Iterator, Optional

from docpipe.config import RunConfig
from docpipe.documents import DocumentError, open_image, open_pdf
from docpipe.ingest import PDF, WorkUnit, read_bytes
from docpipe.records import PageResult


def extract_unit(unit: WorkUnit, config: RunConfig) -> list[PageResult]:
    try:
        data = read_bytes(unit.source)
    except OSError as exc:
        return _all_failed(unit, "not_found", f"cannot read: {exc}")
    try:
        if unit.mime == PDF:
            return list(_pdf_pages(unit, data, config))
        return list(_image_pages(unit, data, config))
    except DocumentError as exc:
        return _all_failed(unit, exc.kind, exc.message)


def _all_failed(unit: WorkUnit, kind, message: str) -> list[PageResult]:
    return [
        PageResult(doc_id=unit.doc_id, source=unit.source, page=i + 1, status="error",
                   error_kind=kind, error=message)
        for i in range(unit.page_start, unit.page_stop)
    ]


def _pdf_pages(unit: WorkUnit, data: bytes, config: RunConfig) -> Iterator[PageResult]:
    from docpipe.engines.text import extract_page
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
                    result = _needs_ocr(unit, index, page.rect.width, page.rect.height, "--engine ocr")
                else:
                    result = extract_page(page, doc_id=unit.doc_id, source=unit.source, page_number=index + 1)
                if config.save_images:
                    result.image_path = _save_pdf_image(unit, index, page, data, config)
            except DocumentError as exc:
                result = _page_error(unit, index, exc.kind, exc.message)
            except Exception as exc:  # MuPDF errors on damaged pages are per page
                result = _page_error(unit, index, "corrupt", f"{type(exc).__name__}: {exc}")
            result.elapsed_ms = (time.perf_counter() - started) * 1000
            yield result
    finally:
        doc.close()


def _image_pages(unit: WorkUnit, data: bytes, config: RunConfig) -> Iterator[PageResult]:
    from docpipe.render import render_image_frame

    image = open_image(data, config.limits)
    dpi_x, dpi_y = _image_dpi(image)
    for index in range(unit.page_start, unit.page_stop):
        started = time.perf_counter()
        try:
            image.seek(index)
            width, height = image.width * 72.0 / dpi_x, image.height * 72.0 / dpi_y
            result = _needs_ocr(unit, index, width, height, "page image")
            if config.save_images:
                encoded = render_image_frame(image, index, config.render, config.limits)
                result.image_path = _save_image(unit, index, encoded, config)
        except DocumentError as exc:
            result = _page_error(unit, index, exc.kind, exc.message)
        except Exception as exc:  # truncated or damaged image data
            result = _page_error(unit, index, "corrupt", f"{type(exc).__name__}: {exc}")
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        yield result


def _image_dpi(image) -> tuple[float, float]:
    dpi = image.info.get("dpi") or (72.0, 72.0)
    try:
        x, y = float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError, IndexError):
        return 72.0, 72.0
    return (x if x > 1 else 72.0), (y if y > 1 else 72.0)


def _needs_ocr(unit: WorkUnit, index: int, width: float, height: float, why: str) -> PageResult:
    # The OCR engine is not part of this build yet: the page is kept as a
    # clear error row and the run goes on.
    return PageResult(
        doc_id=unit.doc_id, source=unit.source, page=index + 1, width=width, height=height,
        status="error", error_kind="engine_unavailable",
        error=f"page needs OCR ({why}); no OCR engine in this run",
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
