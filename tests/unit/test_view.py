"""`docpipe view` without a browser: what it writes, escaping, page images turned like their boxes."""

from __future__ import annotations

import json
import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pymupdf
from PIL import Image

from docpipe.arrow import DOCUMENTS_SCHEMA, PAGES_SCHEMA, to_table
from docpipe.export.view import build_viewer
from docpipe.io.parquet import DOCUMENTS_DIR, PAGES_DIR, write_table
from docpipe.records import DocumentResult, Line, PageResult

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "</script><script>alert(1)</script><!-- & é"


def _output(out: Path, documents: list[DocumentResult], pages: list[PageResult]) -> str:
    write_table(str(out), DOCUMENTS_DIR, to_table(documents, DOCUMENTS_SCHEMA))
    write_table(str(out), PAGES_DIR, to_table(pages, PAGES_SCHEMA))
    return str(out)


def _document(source: Path, doc_id: str, mime: str) -> DocumentResult:
    return DocumentResult(doc_id=doc_id, source=str(source), mime=mime, n_pages=1, status="ok", pages_ok=1,
                          run_id="r", docpipe_version="0")


def _embedded(html_file: Path) -> dict:
    match = re.search(r'<script type="application/json" id="docpipe-data">(.*?)</script>', html_file.read_text(),
                      re.S)
    return json.loads(match.group(1))


def test_text_cannot_end_the_script_and_comes_back_whole(tmp_path):
    scan = tmp_path / "scan.png"
    Image.new("L", (200, 100), 255).save(scan)
    line = Line(text=HOSTILE, bbox=[0.1, 0.2, 0.3, 0.4])
    page = PageResult(doc_id="d1", source=str(scan), page=1, width=200, height=100, engine="ocr",
                      text=HOSTILE, lines=[line])
    out = _output(tmp_path / "out", [_document(scan, "d1", "image/png")], [page])
    summary = build_viewer(out, str(tmp_path / "view"), dpi=72)
    html = (tmp_path / "view" / "doc-d1.html").read_text()
    assert html.count("</script") == 2 and "<!-- &" not in html  # only the page's own two script elements end
    data = _embedded(tmp_path / "view" / "doc-d1.html")
    assert data["pages"][0]["lines"][0]["text"] == HOSTILE
    assert data["pages"][0]["lines"][0]["bbox"] == [0.1, 0.2, 0.3, 0.4]
    assert (summary.documents, summary.pages) == (1, 1)


def test_an_image_page_is_turned_as_the_engine_turned_it(tmp_path):
    scan = tmp_path / "sideways.png"
    Image.new("L", (200, 100), 255).save(scan)  # landscape as stored; OCR turned it to portrait
    page = PageResult(doc_id="d2", source=str(scan), page=1, width=100, height=200, rotation=90, engine="ocr")
    out = _output(tmp_path / "out", [_document(scan, "d2", "image/png")], [page])
    build_viewer(out, str(tmp_path / "view"), dpi=72)
    (image,) = (tmp_path / "view" / "images" / "d2").iterdir()
    assert Image.open(image).size == (100, 200)


def test_a_saved_pdf_image_has_its_rotate_already_and_only_the_rest_is_applied(tmp_path):
    pdf = tmp_path / "rotated.pdf"
    doc = pymupdf.open()
    doc.new_page(width=612, height=792).set_rotation(90)  # shown 792 x 612
    doc.save(pdf)
    out = tmp_path / "out"
    saved = pymupdf.open(pdf)[0].get_pixmap(dpi=36)  # as the run saves it: /Rotate applied
    (out / "images" / "d3").mkdir(parents=True)
    saved.save(out / "images" / "d3" / "p00001.png")
    page = PageResult(doc_id="d3", source=str(pdf), page=1, width=792, height=612, rotation=90, engine="text",
                      image_path="images/d3/p00001.png")
    _output(out, [_document(pdf, "d3", "application/pdf")], [page])
    build_viewer(str(out), str(tmp_path / "view"), dpi=36)
    assert Image.open(tmp_path / "view" / "images" / "d3" / "p00001.png").size == (saved.width, saved.height)
    assert saved.width > saved.height

    turned = PageResult(**{**page.model_dump(), "rotation": 180, "width": 612, "height": 792})  # a further 90
    _output(tmp_path / "out2", [_document(pdf, "d3", "application/pdf")], [turned])
    (tmp_path / "out2" / "images").symlink_to(out / "images")
    build_viewer(str(tmp_path / "out2"), str(tmp_path / "view2"), dpi=36)
    assert Image.open(tmp_path / "view2" / "images" / "d3" / "p00001.png").size == (saved.height, saved.width)


def test_pages_of_an_uncommitted_document_are_not_shown(tmp_path):
    scan = tmp_path / "a.png"
    Image.new("L", (20, 20), 255).save(scan)
    pages = [PageResult(doc_id=d, source=str(scan), page=1, width=20, height=20) for d in ("kept", "in-flight")]
    out = _output(tmp_path / "out", [_document(scan, "kept", "image/png")], pages)
    build_viewer(out, str(tmp_path / "view"), dpi=72)
    assert sorted(p.name for p in (tmp_path / "view").glob("doc-*.html")) == ["doc-kept.html"]
    (entry,) = _embedded(tmp_path / "view" / "index.html")["documents"]
    assert entry["href"] == "doc-kept.html"


def test_every_viewer_file_is_package_data():
    """The viewer's files are not modules: pyproject must name them, or the wheel ships a viewer without them."""
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = globs["docpipe.export"]
    files = [p.relative_to(ROOT / "docpipe" / "export").as_posix()
             for p in (ROOT / "docpipe" / "export" / "viewer").iterdir()]
    assert files and all(any(fnmatch(f, pattern) for pattern in patterns) for f in files)
