"""The per-page stage as a plain function: page ranges, image pages, bad pages."""

from __future__ import annotations

import io

import pymupdf
import pytest
from PIL import Image
from support.scanmaker import PARAGRAPHS, scan, text_page

from docpipe.config import RunConfig
from docpipe.evaluate.metrics import cer
from docpipe.records import WorkUnit
from docpipe.runner.pages import extract_unit


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


# ---------------------------------------------------------------- routing between text layer and OCR

@pytest.fixture(scope="module")
def ocr():
    from docpipe.engines.ocr.tesseract import TesseractEngine

    engine = TesseractEngine("eng")
    yield lambda: engine
    engine.close()


def _scanned_pdf(path, image: Image.Image) -> None:
    """A PDF page holding only the image (no text layer), sized so the image is 200 DPI."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    doc = pymupdf.open()
    page = doc.new_page(width=image.width * 72 / 200, height=image.height * 72 / 200)
    page.insert_image(page.rect, stream=buffer.getvalue())
    doc.save(path)


def test_auto_routes_each_page_to_the_engine_that_can_read_it(tmp_path, ocr):
    doc, truth = text_page(paragraphs=PARAGRAPHS[:2])
    _scanned_pdf(tmp_path / "scan.pdf", scan(doc, dpi=200))
    born = pymupdf.open()
    born.insert_pdf(doc)
    born.insert_pdf(pymupdf.open(tmp_path / "scan.pdf"))
    born.save(tmp_path / "mixed.pdf")
    unit = WorkUnit(source=str(tmp_path / "mixed.pdf"), doc_id="d", mime="application/pdf",
                    page_start=0, page_stop=2)
    text_page_result, scanned = extract_unit(unit, RunConfig(input="x", out=str(tmp_path / "o")), ocr)
    assert (text_page_result.engine, scanned.engine) == ("text", "ocr")
    assert cer(text_page_result.text, truth) == 0.0 and cer(scanned.text, truth) <= 0.01
    assert (scanned.width, scanned.height) == pytest.approx((612, 792), abs=1)


def test_forced_engines(tmp_path, ocr):
    doc, truth = text_page(paragraphs=PARAGRAPHS[:2])
    doc.save(tmp_path / "born.pdf")
    _scanned_pdf(tmp_path / "scan.pdf", scan(doc, dpi=200))

    def one(name, engine):
        unit = WorkUnit(source=str(tmp_path / name), doc_id="d", mime="application/pdf", page_start=0, page_stop=1)
        return extract_unit(unit, RunConfig(input="x", out=str(tmp_path / "o"), engine=engine), ocr)[0]

    forced_ocr = one("born.pdf", "ocr")
    assert forced_ocr.engine == "ocr" and cer(forced_ocr.text, truth) <= 0.01
    forced_text = one("scan.pdf", "text")
    assert (forced_text.status, forced_text.error_kind) == ("error", "engine_unavailable")
    assert "no text layer" in forced_text.error and "--engine auto or ocr" in forced_text.error


def test_multipage_tiff_is_read_frame_by_frame(tmp_path, ocr):
    doc, truth = text_page(paragraphs=PARAGRAPHS[:1])
    first = scan(doc, dpi=200)
    second = scan(doc, dpi=200, turn=180)
    path = tmp_path / "scan.tif"
    first.save(path, "TIFF", save_all=True, append_images=[second], dpi=(200, 200), compression="tiff_lzw")
    unit = WorkUnit(source=str(path), doc_id="d", mime="image/tiff", page_start=0, page_stop=2)
    pages = extract_unit(unit, RunConfig(input=str(path), out=str(tmp_path / "o")), ocr)
    assert [p.engine for p in pages] == ["ocr", "ocr"] and [p.rotation for p in pages] == [0, 180]
    assert all(cer(p.text, truth) <= 0.01 for p in pages)
    assert (pages[0].width, pages[0].height) == pytest.approx((612, 792), abs=1)


def _scan_with_hidden_layer(path, doc, lines_of_text: list[str]) -> None:
    """The scan of `doc` with an invisible text layer (as OCR tools write) saying `lines_of_text`."""
    _scanned_pdf(path, scan(doc, dpi=200))
    layered = pymupdf.open(path)
    page = layered[0]
    source_lines = [ln for b in doc[0].get_text("dict")["blocks"] for ln in b.get("lines", ())]
    for line, text in zip(source_lines, lines_of_text):
        page.insert_text(line["spans"][0]["origin"], text, fontname="helv", fontsize=11, render_mode=3)
    layered.save(path.with_name(path.stem + "_layered.pdf"))


@pytest.mark.parametrize("layer_matches", [True, False])
def test_invisible_ocr_layer_is_used_only_when_the_image_agrees(tmp_path, ocr, layer_matches):
    doc, truth = text_page(paragraphs=PARAGRAPHS[:2])
    lines = truth.splitlines()
    layer = lines if layer_matches else [" ".join(w[::-1] for w in ln.split()) for ln in lines]
    _scan_with_hidden_layer(tmp_path / "scan.pdf", doc, layer)
    unit = WorkUnit(source=str(tmp_path / "scan_layered.pdf"), doc_id="d", mime="application/pdf",
                    page_start=0, page_stop=1)
    (page,) = extract_unit(unit, RunConfig(input="x", out=str(tmp_path / "o")), ocr)
    assert page.engine == ("text" if layer_matches else "ocr")
    assert cer(page.text, truth) <= 0.01
