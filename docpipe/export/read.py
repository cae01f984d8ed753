"""OUT read back as documents with their pages, on any pyarrow filesystem (local path or URI)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from docpipe.errors import OutputError
from docpipe.io.parquet import DOCUMENTS_DIR, PAGES_DIR, part_files
from docpipe.io.storage import resolve_filesystem
from docpipe.records import DocumentResult, PageResult


@dataclass
class Document:
    """A documents row and its pages rows in page order (pages are shared by doc_id, see io.resume)."""

    row: DocumentResult
    pages: list[PageResult] = field(default_factory=list)

    @property
    def missing_pages(self) -> list[int]:
        """Pages the document has that OUT/pages does not hold (a run that ended before them)."""
        have = {p.page for p in self.pages}
        return [n for n in range(1, (self.row.n_pages or 0) + 1) if n not in have]


def read_table(out_uri: str, subdir: str) -> pa.Table | None:
    """Every committed part of one dataset of OUT as one table (None when there is none)."""
    fs, _ = resolve_filesystem(out_uri)
    paths = part_files(out_uri, subdir)
    if not paths:
        return None
    # Parts written by different docpipe versions may differ by added columns: unify, do not fail.
    return pa.concat_tables([pq.read_table(p, filesystem=fs) for p in paths], promote_options="default")


def _records(table: pa.Table | None, model) -> list:
    if table is None:
        return []
    known = [n for n in table.column_names if n in model.model_fields]
    return [model.model_validate(row) for row in table.select(known).to_pylist()]


class Output:
    """A docpipe output: its documents rows at once, their pages one document at a time.

    The pages are held in memory as Arrow (compact) and turned into records per document.
    """

    def __init__(self, out_uri: str):
        self.rows = sorted(_records(read_table(out_uri, DOCUMENTS_DIR), DocumentResult), key=lambda d: d.source)
        self._pages = read_table(out_uri, PAGES_DIR)
        self._rows_of: dict[str, list[int]] = defaultdict(list)
        if self._pages is not None:
            for index, doc_id in enumerate(self._pages.column("doc_id").to_pylist()):
                self._rows_of[doc_id].append(index)

    def require_documents(self, out_uri: str) -> None:
        if not self.rows:
            raise OutputError(f"{out_uri} holds no committed documents ({DOCUMENTS_DIR}/*.parquet)")

    def document(self, row: DocumentResult) -> Document:
        own = self._pages.take(self._rows_of[row.doc_id]) if row.doc_id in self._rows_of else None
        return Document(row=row, pages=sorted(_records(own, PageResult), key=lambda p: p.page))

    def documents(self) -> Iterator[Document]:
        """Every documents row, by source, with its pages."""
        for row in self.rows:
            yield self.document(row)
