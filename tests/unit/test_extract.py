"""The per-page stage as a plain function: page ranges, image pages, bad pages."""

from __future__ import annotations

import io

import pymupdf
from PIL import Image

from docpipe.config import RunConfig
from docpipe.extract import extract_unit
from docpipe.ingest import WorkUnit


def _write_pdf(path, sizes):
    doc = pymupdf.open()
    for i, (w, h) in enumerate(sizes):
        doc.new_page(width=w, height=h).insert_text((20, 40), f"page {i + 1}")
    doc.save(path)


def test_page_range_gives_exactly_its_pages(tmp_path):
    path = tmp_path / "doc.pdf"
    _write_pdf(path, [(300, 400)] * 5)
    unit = WorkUnit(source=str(path), doc_id="d", mime="application/pdf", page_start=2, page_stop=4)
    pages = extract_unit(unit, RunConfig(input=str(path), out=str(tmp_path / "o")))
    assert [p.page for p in pages] == [3, 4]
    assert [p.text for p in pages] == ["page 3", "page 4"]


def test_absurd_page_size_is_a_page_error(tmp_path):
    path = tmp_path / "huge.pdf"
    _write_pdf(path, [(300, 400), (14_000, 90_000)])
    unit = WorkUnit(source=str(path), doc_id="d", mime="application/pdf", page_start=0, page_stop=2)
    first, second = extract_unit(unit, RunConfig(input=str(path), out=str(tmp_path / "o")))
    assert first.status == "ok"
    assert (second.status, second.error_kind) == ("error", "too_large")


def test_image_pages_wait_for_ocr_with_their_size(tmp_path):
    frames = [Image.new("L", (600, 300), 255) for _ in range(2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300))
    path = tmp_path / "scan.tif"
    path.write_bytes(buffer.getvalue())
    unit = WorkUnit(source=str(path), doc_id="d", mime="image/tiff", page_start=0, page_stop=2)
    pages = extract_unit(unit, RunConfig(input=str(path), out=str(tmp_path / "o"), save_images=True))
    assert [p.error_kind for p in pages] == ["engine_unavailable"] * 2
    assert round(pages[0].width) == 144 and round(pages[0].height) == 72  # 600 px at 300 dpi
    assert all((tmp_path / "o" / p.image_path).exists() for p in pages)


def test_vanished_file_is_not_found(tmp_path):
    unit = WorkUnit(source=str(tmp_path / "gone.pdf"), doc_id="d", mime="application/pdf",
                    page_start=0, page_stop=1)
    (page,) = extract_unit(unit, RunConfig(input="x", out=str(tmp_path / "o")))
    assert page.error_kind == "not_found"
