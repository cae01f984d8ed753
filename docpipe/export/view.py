"""`docpipe view OUT --to DIR`: a static page viewer that opens from file:// without a server.

DIR/index.html lists the documents; DIR/doc-<doc_id>.html shows one
document's pages with its lines, blocks and table cells drawn over the page
image, and DIR/images/<doc_id>/ holds those images. The HTML, CSS and JS are
the package's files in `viewer/`; each page gets its data embedded as JSON
(a browser refuses fetch() of local files), and the JS draws it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Optional

from docpipe.export.view_data import pages_parts, read_documents, read_pages
from docpipe.export.view_images import PageImages

ASSETS = ("viewer.css", "index.js", "document.js")
DOCUMENT_FIELDS = ("doc_id", "source", "mime", "n_pages", "status", "error_kind", "error", "pages_ok",
                   "pages_failed", "engines")
PAGE_FIELDS = ("page", "width", "height", "rotation", "engine", "status", "error_kind", "error", "text")


@dataclass
class ViewSummary:
    documents: int = 0
    pages: int = 0
    index: str = ""


def build_viewer(out: str, to: str, dpi: int, password: Optional[str] = None) -> ViewSummary:
    """Write the viewer of OUT into the folder `to`; raises FileNotFoundError when OUT has no documents."""
    documents = read_documents(out)
    if not documents:
        raise FileNotFoundError(f"no documents rows in {out}/documents: is it the --out of a docpipe run?")
    target = Path(to)
    target.mkdir(parents=True, exist_ok=True)
    viewer = resources.files("docpipe.export") / "viewer"
    for name in ASSETS:
        (target / name).write_bytes((viewer / name).read_bytes())
    template = (viewer / "page.html").read_text(encoding="utf-8")

    summary, entries, written = ViewSummary(), [], set()
    where = pages_parts(out)
    for document in documents:
        doc_id = document["doc_id"]
        href = f"doc-{doc_id}.html" if doc_id in where else None
        if href and doc_id not in written:  # two files with the same bytes share one doc_id and one page
            pages = read_pages(out, where[doc_id], doc_id)
            _write_document(out, document, pages, target, href, template, dpi, password)
            written.add(doc_id)
            summary.pages += len(pages)
        entries.append({**{k: document.get(k) for k in DOCUMENT_FIELDS}, "href": href})
    _write_page(target / "index.html", template, "index.js", {"out": out, "documents": entries})
    summary.documents, summary.index = len(entries), str(target / "index.html")
    return summary


def _write_document(out: str, document: dict, pages: list[dict], target: Path, href: str, template: str,
                    dpi: int, password: Optional[str]) -> None:
    folder = f"images/{document['doc_id']}"
    images = PageImages(out, document, target / folder, dpi, password)
    try:
        shown = []
        for page in pages:
            image = images.write(page)
            if "name" in image:
                image["name"] = f"{folder}/{image['name']}"
            shown.append(_page_entry(page, image))
    finally:
        images.close()
    data = {"document": {k: document.get(k) for k in DOCUMENT_FIELDS}, "pages": shown}
    _write_page(target / href, template, "document.js", data)


def _page_entry(page: dict, image: dict) -> dict:
    def box(b):  # float32 in Parquet; six decimals are a thousandth of a pixel on any screen
        return [round(v, 6) for v in b]

    tables = [{"bbox": box(t["bbox"]), "n_rows": t["n_rows"], "n_cols": t["n_cols"],
               "cells": [{**c, "bbox": box(c["bbox"])} for c in t["cells"]]} for t in page["tables"] or []]
    return {
        **{k: page.get(k) for k in PAGE_FIELDS}, "tables": tables,
        # the image's size lets the browser lay out a lazily loaded page (and its boxes) before it arrives
        "image": image.get("name"), "image_size": image.get("size"), "image_error": image.get("error"),
        "lines": [{"text": ln["text"], "bbox": box(ln["bbox"]), "confidence": round(ln["confidence"], 3)}
                  for ln in page["lines"] or []],
        "blocks": [{"kind": b["kind"], "text": b["text"], "bbox": box(b["bbox"])} for b in page["blocks"] or []],
    }


def _write_page(path: Path, template: str, script: str, data: dict) -> None:
    # Escaping: the template has no per-document markup, only this JSON, and the
    # JS puts every string into the page with textContent, never innerHTML. So
    # the one thing to escape is what could end the <script> element early:
    # `<` (as in `</script>` or `<!--`) written as the JSON escape \u003c, and
    # `>` and `&` with it. A template engine would add a dependency for a
    # single substitution and still leave the JSON to be escaped by hand.
    blob = json.dumps(data, ensure_ascii=False, allow_nan=False)
    blob = blob.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    html = template.replace("__DOCPIPE_SCRIPT__", script).replace("__DOCPIPE_DATA__", blob)
    path.write_text(html, encoding="utf-8")
