"""Where chunks are written: `docpipe export OUT --format chunks --to DIR`, and `docpipe run --chunks`.

`run --chunks` (OUT/chunks): at the end of the run, every committed document (ok or partial)
whose doc_id has no rows in OUT/chunks yet is chunked, and those chunks are written as one part,
`chunks/part-RUN.parquet`, atomically (io.parquet). So a re-run never writes a document's chunks
twice, and a run stopped before its chunks were written gets them on the next run, as
extractions do (io.resume, step 4). Identical bytes at several paths share one doc_id and its
pages: their chunks are written once, under the first source. A document keeps the chunks it
got first, whatever `--chunk-tokens` a later run is given.

`export --format chunks` (any DIR): every document's chunks in one file, DIR/chunks.parquet,
replaced whole by the next export.
"""

from __future__ import annotations

import posixpath

import pyarrow.parquet as pq

from docpipe.arrow import CHUNKS_SCHEMA, to_table
from docpipe.errors import OutputError
from docpipe.export.chunks import document_chunks
from docpipe.export.read import Output
from docpipe.io.parquet import CHUNKS_DIR, part_files, write_table
from docpipe.io.storage import resolve_filesystem
from docpipe.records import Chunk

EXPORT_NAME = "chunks.parquet"


def output_chunks(output: Output, max_tokens: int, skip: frozenset[str] = frozenset()) -> list[Chunk]:
    """Chunks of every document of `output` that has pages, once per doc_id, but those in `skip`."""
    seen, chunks = set(skip), []
    for row in output.rows:
        if row.status == "error" or not row.doc_id or row.doc_id in seen:
            continue
        seen.add(row.doc_id)
        chunks += document_chunks(output.document(row), max_tokens)
    return chunks


def export_chunks(out_uri: str, to_uri: str, max_tokens: int) -> int:
    """All of OUT's chunks into TO/chunks.parquet; returns how many. Raises OutputError."""
    _, out_root = resolve_filesystem(out_uri)
    _, to_root = resolve_filesystem(to_uri)
    if to_root.rstrip("/") == posixpath.join(out_root.rstrip("/"), CHUNKS_DIR):
        raise OutputError(f"--to {to_uri} is the run's own chunks dataset; `docpipe run ... --chunks` "
                          "keeps it (an export there would hold every chunk twice)")
    output = Output(out_uri)
    output.require_documents(out_uri)
    chunks = output_chunks(output, max_tokens)
    write_table(to_uri, "", to_table(chunks, CHUNKS_SCHEMA), name=EXPORT_NAME)
    return len(chunks)


def add_missing_chunks(out_uri: str, run_id: str, max_tokens: int) -> int:
    """Chunk the committed documents of OUT that have none yet, into OUT/chunks; returns how many chunks."""
    fs, _ = resolve_filesystem(out_uri)
    done = frozenset(doc_id for path in part_files(out_uri, CHUNKS_DIR)
                     for doc_id in pq.read_table(path, columns=["doc_id"], filesystem=fs).column("doc_id").to_pylist())
    chunks = output_chunks(Output(out_uri), max_tokens, skip=done)
    if chunks:
        write_table(out_uri, CHUNKS_DIR, to_table(chunks, CHUNKS_SCHEMA), name=f"part-{run_id}.parquet")
    return len(chunks)
