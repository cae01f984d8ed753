"""Exactly-once, resumable runs: what OUT already holds, and committing documents as they finish.

The protocol (one run at a time per OUT, held by `docpipe.io.lock`):

1. Pages parts are written by the workers under a name fixed by the run and
   the bundle (`pages/part-RUN-BUNDLE.parquet`), atomically (written in
   OUT/_staging, then moved). A bundle retried by Ray (a worker died, an object was lost)
   writes the same name again, so it replaces its own part instead of adding one.
2. A document is *committed* when its documents row is in a documents part.
   The driver commits a document only after every one of its pages has come
   back, which is after the parts holding those pages were moved into place;
   finished documents are committed together every `--commit-every` seconds,
   so a run killed late keeps nearly all its work.
3. At the start of every run (`recover`): what killed writers left in
   OUT/_staging is deleted, and pages rows of documents that are not committed (a killed run's
   work in progress) are removed: a part holding only such rows is deleted, a
   part mixing them with committed documents is rewritten without them.
   Sources with a documents row are skipped; a document whose bytes (doc_id)
   already have committed pages gets its own documents row, copied, without
   being extracted again.
4. `--schema`: after the documents are committed, every committed document
   without an extractions row for that schema is extracted (`unextracted`),
   so a run killed before its extractions were written gets them on re-run.
5. At the end of every run (`sweep`): a pages part written late by a killed
   run's last worker (after step 3 ran) is deleted, and OUT/_staging emptied.

So once a run finishes, OUT/documents holds each input file once and
OUT/pages each page of each doc_id once. While a run is going, readers may
see pages of documents not yet committed (their documents row comes later);
join pages to documents to see only finished documents.

Why not Ray Data's checkpointing (`DataContext.checkpoint_config`): it
filters input rows by an id once the row's output was written by a Ray Data
sink; here a document is spread over several bundles and a bundle holds
several documents, so no single row's write says a document is done. Ray's
own task retries (actors restarted, their tasks retried: Ray Data's default
for actor pools) handle a worker that dies mid-run; step 1 makes the retry safe.
"""

from __future__ import annotations

import posixpath
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from docpipe.arrow import DOCUMENTS_SCHEMA, to_table
from docpipe.io.parquet import (
    DOCUMENTS_DIR, EXTRACTIONS_DIR, PAGES_DIR, clear_staging, list_files, part_files, write_table,
)
from docpipe.io.storage import resolve_filesystem
from docpipe.records import DocumentProbe, DocumentResult

# Where earlier docpipe versions staged their writes: inside the dataset folders.
LEGACY_TEMPORARY_PREFIX = ".tmp-"

# Builds the documents rows of probes from their page summaries (runner.document_rows.document_rows).
Build = Callable[[list[DocumentProbe], list[dict]], list[DocumentResult]]


@dataclass
class Committed:
    """What earlier runs committed in OUT."""

    sources: set[str] = field(default_factory=set)
    extracted: dict[str, dict] = field(default_factory=dict)  # doc_id -> a documents row whose pages exist
    kept_parts: set[str] = field(default_factory=set)  # pages part names checked by `recover`


def recover(out_uri: str) -> Committed:
    """Read what is committed in OUT and remove everything else (step 3 above)."""
    fs, root = resolve_filesystem(out_uri)
    clear_staging(out_uri)
    parts = {sub: [] for sub in (PAGES_DIR, DOCUMENTS_DIR)}
    for sub in parts:
        for path in list_files(fs, posixpath.join(root, sub)):
            name = posixpath.basename(path)
            if name.startswith(LEGACY_TEMPORARY_PREFIX):
                fs.delete_file(path)  # a write that never finished
            elif name.endswith(".parquet"):
                parts[sub].append(path)
    state = Committed()
    rows = [r for path in parts[DOCUMENTS_DIR] for r in pq.read_table(path, filesystem=fs).to_pylist()]
    state.sources = {r["source"] for r in rows}
    # Rows whose pages were extracted; a probe error (encrypted, too_large, ...) has none.
    with_pages = {r["doc_id"] for r in rows if r["doc_id"] and (r["pages_ok"] or r["pages_failed"])}
    kept_ids: set[str] = set()
    for path in parts[PAGES_DIR]:
        ids = pq.read_table(path, columns=["doc_id"], filesystem=fs).column("doc_id")
        present = set(ids.to_pylist())
        name = posixpath.basename(path)
        if present <= with_pages:
            state.kept_parts.add(name)
        elif present & with_pages:
            table = pq.read_table(path, filesystem=fs)
            keep = pc.is_in(table.column("doc_id"), value_set=pa.array(sorted(with_pages), pa.string()))
            write_table(out_uri, PAGES_DIR, table.filter(keep), name=name)
            state.kept_parts.add(name)
        else:
            fs.delete_file(path)
            continue
        kept_ids |= present & with_pages
    for r in rows:
        if r["doc_id"] in kept_ids and r["doc_id"] not in state.extracted:
            state.extracted[r["doc_id"]] = r
    return state


def sweep(out_uri: str, run_id: str, kept_parts: set[str]) -> list[str]:
    """Delete pages parts that appeared during this run but were not written by it (step 5)."""
    fs, root = resolve_filesystem(out_uri)
    clear_staging(out_uri)
    removed = []
    for path in list_files(fs, posixpath.join(root, PAGES_DIR)):
        name = posixpath.basename(path)
        if name.endswith(".parquet") and not name.startswith(f"part-{run_id}-") \
                and name not in kept_parts:
            fs.delete_file(path)
            removed.append(name)
    return removed


def unextracted(out_uri: str, schema: str) -> list[DocumentResult]:
    """Committed documents (any run's) with no extractions row for `schema` yet (step 4)."""
    fs, _ = resolve_filesystem(out_uri)

    def rows(sub: str, columns: list[str]) -> list[dict]:
        return [r for path in part_files(out_uri, sub)
                for r in pq.read_table(path, columns=columns, filesystem=fs).to_pylist()]

    done = {r["source"] for r in rows(EXTRACTIONS_DIR, ["source", "schema"]) if r["schema"] == schema}
    fields = ["doc_id", "source", "mime", "status", "error_kind", "error", "run_id", "docpipe_version"]
    return [DocumentResult.model_validate(r) for r in rows(DOCUMENTS_DIR, fields) if r["source"] not in done]


def copied_row(row: dict, probe: DocumentProbe, run_id: str) -> DocumentResult:
    """The documents row of a file whose bytes were extracted before, under another path."""
    fields = {k: row[k] for k in DocumentResult.model_fields if k in row}
    fields.update(source=probe.source, run_id=run_id, elapsed_s=probe.elapsed_s)
    return DocumentResult.model_validate(fields)


class Ledger:
    """Page summaries in, documents committed in parts as their documents finish (step 2)."""

    def __init__(self, out_uri: str, run_id: str, every_s: float, build: Build):
        self.out_uri, self.run_id, self.every_s, self.build = out_uri, run_id, every_s, build
        self.committed: list[DocumentResult] = []
        self._pending: list[DocumentResult] = []
        self._waiting: dict[str, list[DocumentProbe]] = {}  # doc_id -> every path with those bytes
        self._pages: dict[str, dict[int, dict]] = defaultdict(dict)
        self._parts = 0
        self._last = time.monotonic()

    def plan(self, probes: list[DocumentProbe], earlier: Committed) -> list[DocumentProbe]:
        """The probes to extract: one per doc_id not extracted before; every other probe is settled here."""
        groups: dict[str, list[DocumentProbe]] = defaultdict(list)
        for p in probes:
            if p.error_kind or not p.n_pages:
                self._pending += self.build([p], [])
            elif p.doc_id in earlier.extracted:
                self._pending.append(copied_row(earlier.extracted[p.doc_id], p, self.run_id))
            else:
                groups[p.doc_id].append(p)
        self._waiting = dict(groups)
        # Identical bytes at several paths: the first path is extracted, the others share its pages.
        return [min(group, key=lambda p: p.source) for group in groups.values()]

    def page_done(self, row: dict) -> None:
        doc_id = row["doc_id"]
        pages = self._pages[doc_id]
        pages[row["page"]] = row  # a retried bundle reports its pages again: once each
        group = self._waiting.get(doc_id)
        if group and len(pages) >= group[0].n_pages:
            self._settle(doc_id)
        if time.monotonic() - self._last >= self.every_s:
            self.flush()

    def _settle(self, doc_id: str) -> None:
        group = self._waiting.pop(doc_id)
        self._pending += self.build(group, list(self._pages.pop(doc_id, {}).values()))

    def flush(self) -> None:
        self._last = time.monotonic()
        if not self._pending:
            return
        self._parts += 1
        write_table(self.out_uri, DOCUMENTS_DIR, to_table(self._pending, DOCUMENTS_SCHEMA),
                    name=f"part-{self.run_id}-{self._parts:05d}.parquet")
        self.committed += self._pending
        self._pending = []

    def finish(self) -> None:
        """Commit what is left, including documents with pages missing (they are counted failed)."""
        for doc_id in list(self._waiting):
            self._settle(doc_id)
        self.flush()
