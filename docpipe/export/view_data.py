"""The rows the viewer shows, read from OUT/documents and OUT/pages (local folder or URI).

Only pages of committed documents are shown: while a run goes (or after one was
killed) OUT/pages may hold pages whose documents row is not written yet
(`docpipe.io.resume`), and joining on the documents rows hides them.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow.compute as pc
import pyarrow.parquet as pq

from docpipe.io.parquet import DOCUMENTS_DIR, PAGES_DIR, part_files
from docpipe.io.storage import resolve_filesystem


def read_documents(out: str) -> list[dict]:
    """Every documents row of OUT, ordered by source."""
    fs, _ = resolve_filesystem(out)
    rows = [r for path in part_files(out, DOCUMENTS_DIR) for r in pq.read_table(path, filesystem=fs).to_pylist()]
    return sorted(rows, key=lambda r: r["source"])


def pages_parts(out: str) -> dict[str, list[str]]:
    """doc_id -> the pages parts holding its pages: a document is then read from its own parts only,
    so the viewer never holds the whole of a large output in memory."""
    fs, _ = resolve_filesystem(out)
    where: dict[str, list[str]] = defaultdict(list)
    for path in part_files(out, PAGES_DIR):
        for doc_id in set(pq.read_table(path, columns=["doc_id"], filesystem=fs).column("doc_id").to_pylist()):
            where[doc_id].append(path)
    return dict(where)


def read_pages(out: str, parts: list[str], doc_id: str) -> list[dict]:
    """The pages rows of one document, in page order."""
    fs, _ = resolve_filesystem(out)
    rows = []
    for path in parts:
        table = pq.read_table(path, filesystem=fs)
        rows += table.filter(pc.equal(table.column("doc_id"), doc_id)).to_pylist()
    return sorted(rows, key=lambda r: r["page"])
