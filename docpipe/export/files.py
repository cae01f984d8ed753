"""`docpipe export OUT --format markdown|html|json --to DIR`: one file per document, named after its source.

Names: the source file's stem (`reports/q3.pdf` -> `q3.md`). Stems that collide (compared
case-insensitively, as macOS and Windows file systems do) are numbered in source order:
`report.md`, `report-2.md`, ...; a stem no other source shares always keeps its plain name.
Each file names its source inside (a comment, a meta tag, a JSON field).

A document with status `error` (nothing was read from it) gets no file: it is listed in the
summary with its error, so that a folder of exports holds only documents that have content.
"""

from __future__ import annotations

import json
import posixpath
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable

from docpipe.errors import OutputError
from docpipe.export.html import document_html
from docpipe.export.markdown import document_markdown
from docpipe.export.read import Document, Output
from docpipe.io.storage import join, resolve_filesystem

EXTENSIONS = {"markdown": "md", "html": "html", "json": "json"}
_UNSAFE = re.compile(r"[^\w.\- ]+")


@dataclass
class ExportSummary:
    written: list[tuple[str, str]] = field(default_factory=list)  # (source, file name)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, why)


def stem(source: str) -> str:
    """The file name stem of a source (path or URI), made safe to use as a file name."""
    path = urllib.parse.urlsplit(source).path if "://" in source else source
    base = posixpath.splitext(posixpath.basename(path.rstrip("/")))[0]
    return _UNSAFE.sub("_", base).strip(" .") or "document"


def file_stems(sources: list[str]) -> dict[str, str]:
    """Source -> a stem no other source has: its own stem, numbered from -2 in source order when shared."""
    stems = {source: stem(source) for source in sources}
    counts: dict[str, int] = {}
    for s in stems.values():
        counts[s.casefold()] = counts.get(s.casefold(), 0) + 1
    taken = {s.casefold() for s in stems.values() if counts[s.casefold()] == 1}
    names = {}
    for source in sorted(sources):
        base = candidate = stems[source]
        if counts[base.casefold()] > 1:
            n = 1
            while candidate.casefold() in taken:
                n += 1
                candidate = f"{base}-{n}"
        taken.add(candidate.casefold())
        names[source] = candidate
    return names


def document_json(document: Document, keep_headers: bool = False) -> str:
    """The documents row and every pages row (blocks, lines, tables with their cells), for programs.

    All blocks are kept, headers and footers too: each says its kind.
    """
    body = {"document": document.row.model_dump(mode="json"),
            "pages": [p.model_dump(mode="json") for p in document.pages],
            "missing_pages": document.missing_pages}
    return json.dumps(body, ensure_ascii=False, indent=1) + "\n"


RENDERERS: dict[str, Callable[[Document, bool], str]] = {
    "markdown": document_markdown, "html": document_html, "json": document_json,
}


def export_files(out_uri: str, to_uri: str, fmt: str, keep_headers: bool = False) -> ExportSummary:
    """Write one file per document of OUT into TO. Raises OutputError when TO cannot be written."""
    render = RENDERERS[fmt]
    output = Output(out_uri)
    output.require_documents(out_uri)
    names = file_stems([row.source for row in output.rows if row.status != "error"])
    fs, root = resolve_filesystem(to_uri)
    summary = ExportSummary()
    try:
        fs.create_dir(root, recursive=True)
        for document in output.documents():
            row = document.row
            if row.status == "error":
                summary.skipped.append((row.source, f"{row.error_kind}: {row.error}"))
                continue
            name = f"{names[row.source]}.{EXTENSIONS[fmt]}"
            with fs.open_output_stream(join(root, name)) as handle:
                handle.write(render(document, keep_headers).encode("utf-8"))
            summary.written.append((row.source, name))
    except OSError as exc:
        raise OutputError(f"cannot write the export to {to_uri}: {exc}") from exc
    return summary
