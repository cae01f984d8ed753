"""A document as one standalone HTML file, built with dominate (which escapes every text and attribute).

The same structure as the Markdown (docpipe.export.structure): `<h1>` for a title, `<h2>`.. for
headings, `<p>`, `<ul>`/`<ol>`, `<table>` with rowspan/colspan, `<figure>` with its `<figcaption>`,
footnotes at the end of their page. Each page is a `<section class="page" id="page-N">`.
"""

from __future__ import annotations

import re

import dominate
from dominate import tags

from docpipe.export.read import Document
from docpipe.export.structure import Item, document_items
from docpipe.records import Table

_LIST_ITEM = re.compile(r"^\s*(?:[\u2022\u2023\u25e6\u2043\u2219\u25aa\u25cf\-–*]|(\d{1,3})[.)])\s+(.*)$")
_STYLE = """body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
section.page{border-top:1px dashed #999;margin-top:2rem;padding-top:.5rem}
.page-number{color:#777;font-size:.8rem}.page-error{color:#a00}.footnote{font-size:.85rem}
table{border-collapse:collapse;margin:1rem 0}td{border:1px solid #bbb;padding:.2rem .4rem;vertical-align:top}
.figure-placeholder{background:#eee;padding:1.5rem;text-align:center;color:#666}"""


def _with_breaks(element, text: str):
    """`text` into `element`, its line breaks as <br>."""
    for i, line in enumerate(text.splitlines()):
        if i:
            element.add(tags.br())
        element.add(line)
    return element


def table_element(table: Table) -> tags.table:
    element = tags.table()
    by_row: dict[int, list] = {}
    for cell in sorted(table.cells, key=lambda c: (c.row, c.col)):
        by_row.setdefault(cell.row, []).append(cell)
    for row in range(max([table.n_rows, *(r + 1 for r in by_row)])):
        tr = element.add(tags.tr())
        for cell in by_row.get(row, []):
            spans = {k: v for k, v in (("rowspan", cell.row_span), ("colspan", cell.col_span)) if v > 1}
            tr.add(_with_breaks(tags.td(**spans), cell.text))
    return element


def table_fragment(table: Table) -> str:
    """The table as one line of HTML: a Markdown HTML block ends at the first blank line."""
    return table_element(table).render(pretty=False)


def _list(text: str):
    """A list block's lines as <li>; a line that starts no item continues the one before."""
    lines = [(_LIST_ITEM.match(line), line.strip()) for line in text.splitlines() if line.strip()]
    first = lines[0][0] if lines else None
    element = tags.ol() if first is not None and first.group(1) else tags.ul()
    for match, line in lines:
        if match is not None or not element.children:
            element.add(tags.li(match.group(2) if match else line))
        else:
            last = element.children[-1]
            last.add(tags.br())
            last.add(line)
    return element


def item_element(item: Item):
    if item.kind in ("title", "heading"):
        return getattr(tags, f"h{item.level}")(" ".join(item.text.split()))
    if item.kind == "table" and item.table is not None:
        return table_element(item.table)
    if item.kind == "list":
        return _list(item.text)
    if item.kind == "code":
        return tags.pre(tags.code(item.text))
    if item.kind == "figure":
        element = tags.figure(tags.div("[figure]", cls="figure-placeholder"))
        if item.text.strip():
            element.add(_with_breaks(tags.p(), item.text))
        if item.caption is not None:
            element.add(_with_breaks(tags.figcaption(), item.caption.text))
        return element
    if item.kind == "page_error":
        return tags.p(f"[{item.text}]", cls="page-error")
    css = item.kind if item.kind in ("caption", "footnote", "header", "footer", "page_number", "formula") else None
    return _with_breaks(tags.p(cls=css) if css else tags.p(), item.text)


def document_html(document: Document, keep_headers: bool = False) -> str:
    row = document.row
    page = dominate.document(title=row.source.rsplit("/", 1)[-1])
    page.head.add(tags.meta(charset="utf-8"))
    page.head.add(tags.meta(name="docpipe-source", content=row.source))
    page.head.add(tags.meta(name="docpipe-doc-id", content=row.doc_id or ""))
    page.head.add(tags.meta(name="docpipe-status", content=row.status))
    page.head.add(tags.style(_STYLE))
    section = None
    for item in document_items(document, keep_headers):
        if item.kind == "page":
            section = page.add(tags.section(cls="page", id=f"page-{item.page}", data_page=str(item.page)))
            section.add(tags.div(f"page {item.page}", cls="page-number"))
        elif section is not None:
            section.add(item_element(item))
    return page.render() + "\n"
