"""A document as CommonMark + GitHub tables, from its structure items (docpipe.export.structure).

- titles and headings: `#` (title) and `##`.. (headings, deeper by their numbering);
- paragraphs keep their lines (soft breaks); list blocks become `-` or `N.` items;
- tables: a GitHub pipe table, or an inline HTML `<table>` when a cell spans rows or columns
  (pipe tables cannot say so);
- a figure: `*[figure]*` and its caption; footnotes at the end of their page;
- every page starts with the comment `<!-- page N -->` (invisible when rendered, easy to split on);
- a page that failed is a quoted line saying why.
Text is escaped so that a reader's Markdown shows the same characters the page has: the unit tests
parse the output with markdown-it-py and compare.
"""

from __future__ import annotations

import re

from docpipe.export.html import table_fragment
from docpipe.export.read import Document
from docpipe.export.structure import Item, document_items, page_items
from docpipe.records import PageResult, Table

_ALWAYS = re.compile(r"([\\`*\[\]<])")
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # not between two letters or digits
_ENTITY = re.compile(r"&(?=#?\w+;)")
_TILDES = re.compile(r"~(?=~)|(?<=~)~")
_LINE_START = re.compile(r"^(#{1,6}(?=\s|$)|>|[-+](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))|=+\s*$|-+\s*$|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:([\u2022\u2023\u25e6\u2043\u2219\u25aa\u25cf\-–*])|(\d{1,3})[.)])\s+(.*)$")


def escape(text: str) -> str:
    """One line of text, escaped for inline Markdown (no line-start markers: see `escape_line`)."""
    text = _ALWAYS.sub(r"\\\1", text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _ENTITY.sub(r"\\&", text)
    return _TILDES.sub(r"\\~", text)


def escape_line(line: str) -> str:
    """A line of a paragraph: inline escapes, and what would start a block (`# `, `- `, `1. `, `>`) made literal."""
    line = escape(line.strip())
    match = _LINE_START.match(line)
    if not match:
        return line
    if match.group(1)[0].isdigit():  # "1. text": escape the dot, not the number
        end = match.end()
        return line[:end] + "\\" + line[end:]
    return "\\" + line


def paragraph(text: str) -> str:
    return "\n".join(escape_line(line) for line in text.splitlines() if line.strip())


def heading(item: Item) -> str:
    text = escape(" ".join(item.text.split()))
    if text.endswith("#"):  # a closing `#` run would be dropped as the heading's closing sequence
        text = text[:-1] + "\\#"
    return "#" * item.level + " " + text


def is_list_item(line: str) -> bool:
    return _LIST_ITEM.match(line) is not None


def list_block(text: str) -> str:
    """A list block's lines as Markdown items; lines that start no item continue the one before."""
    out: list[str] = []
    for line in text.splitlines():
        match = _LIST_ITEM.match(line)
        if match:
            marker = f"{match.group(2)}." if match.group(2) else "-"
            out.append(f"{marker} {escape_line(match.group(3))}")
        elif line.strip():
            # Indented under the item it continues; before any item, a line of its own.
            out.append(("  " if out else "") + escape_line(line))
    return "\n".join(out)


def _cell(text: str) -> str:
    return "<br>".join(escape(line.strip()).replace("|", "\\|") for line in text.splitlines() if line.strip())


def table(table: Table) -> str:
    """A pipe table; an inline HTML table when a cell spans (the grid would lose it)."""
    if any(c.row_span > 1 or c.col_span > 1 for c in table.cells):
        return table_fragment(table)
    n_rows = max([table.n_rows, *(c.row + 1 for c in table.cells)])
    n_cols = max([table.n_cols, *(c.col + 1 for c in table.cells)])
    grid = [[""] * n_cols for _ in range(n_rows)]
    for c in table.cells:
        grid[c.row][c.col] = _cell(c.text)
    rows = ["| " + " | ".join(row) + " |" for row in grid]
    rows.insert(1, "|" + " --- |" * n_cols)
    return "\n".join(rows)


def code(text: str) -> str:
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return f"{fence}\n{text}\n{fence}"


def figure(item: Item) -> str:
    parts = ["*\\[figure\\]*"]
    if item.caption is not None:
        parts.append(paragraph(item.caption.text))
    if item.text.strip():
        parts.append(paragraph(item.text))
    return "\n".join(parts)


def item_markdown(item: Item) -> str:
    """One structure item as a Markdown block ('' for an item with nothing to show)."""
    if item.kind == "page":
        return f"<!-- page {item.page} -->"
    if item.kind == "page_error":
        return "> " + escape(f"[{item.text}]")
    if item.kind in ("title", "heading"):
        return heading(item)
    if item.kind == "table" and item.table is not None:
        return table(item.table)
    if item.kind == "list":
        return list_block(item.text)
    if item.kind == "code":
        return code(item.text)
    if item.kind == "figure":
        return figure(item)
    return paragraph(item.text)


def comment(text: str) -> str:
    return "<!-- " + text.replace("--", "- -") + " -->"


def document_markdown(document: Document, keep_headers: bool = False) -> str:
    """The whole document: a comment naming its source, then its pages, blocks separated by blank lines."""
    row = document.row
    blocks = [comment(f"source: {row.source} doc_id: {row.doc_id} status: {row.status}")]
    blocks += [md for item in document_items(document, keep_headers) if (md := item_markdown(item))]
    return "\n\n".join(blocks) + "\n"


def page_markdown(page: PageResult, keep_headers: bool = False) -> str:
    """One page as the document's Markdown shows it, without the page marker (for page-level scoring)."""
    return "\n\n".join(md for item in page_items(page, keep_headers) if (md := item_markdown(item))) + "\n"
