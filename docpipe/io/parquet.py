"""The OUT layout, and Parquet writing on any pyarrow filesystem (local folder, s3://, gs://).

OUT/pages, OUT/documents, OUT/extractions and OUT/chunks are Parquet datasets of part
files; OUT/images holds saved page images. Each file is written in
OUT/_staging and then moved into place, so a reader (or a resumed run)
never sees half a file, not even through a glob such as DuckDB's
`read_parquet('OUT/pages/*.parquet')`, which also matches dot-files; writing
the same name again replaces the part whole. OUT/_lock holds the run's lock
(`docpipe.io.lock`).
Which parts count (exactly-once across killed and resumed runs) is
`docpipe.io.resume`'s business.
"""

from __future__ import annotations

import posixpath
import uuid

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from docpipe.errors import OutputError
from docpipe.io.storage import join as _join
from docpipe.io.storage import resolve_filesystem

PAGES_DIR = "pages"
DOCUMENTS_DIR = "documents"
EXTRACTIONS_DIR = "extractions"
CHUNKS_DIR = "chunks"
IMAGES_DIR = "images"
STAGING_DIR = "_staging"


def prepare_output(out_uri: str) -> None:
    """Create OUT/ and prove it is writable before any work starts."""
    fs, root = resolve_filesystem(out_uri)
    try:
        info = fs.get_file_info(root)
        if info.type == pafs.FileType.File:
            raise OutputError(f"--out {out_uri} is a file; give a folder")
        for sub in (PAGES_DIR, DOCUMENTS_DIR, STAGING_DIR):
            fs.create_dir(_join(root, sub), recursive=True)
        probe = _join(root, f".write-test-{uuid.uuid4().hex}")
        with fs.open_output_stream(probe) as handle:
            handle.write(b"ok")
        fs.delete_file(probe)
    except OutputError:
        raise
    except (OSError, pa.ArrowException) as exc:
        raise OutputError(f"cannot write to --out {out_uri}: {exc}") from exc


def write_table(out_uri: str, subdir: str, table: pa.Table, name: str | None = None) -> str:
    """Write one part file atomically; returns its path relative to OUT. Raises OutputError."""
    name = name or f"part-{uuid.uuid4().hex}.parquet"
    relative = posixpath.join(subdir, name)

    def write(fs: pafs.FileSystem, path: str) -> None:
        pq.write_table(table, path, filesystem=fs, compression="zstd")

    _staged(out_uri, relative, write)
    return relative


def write_bytes(out_uri: str, relative: str, data: bytes) -> None:
    """Write one file atomically (a saved page image). Raises OutputError."""

    def write(fs: pafs.FileSystem, path: str) -> None:
        with fs.open_output_stream(path) as handle:
            handle.write(data)

    _staged(out_uri, relative, write)


def _staged(out_uri: str, relative: str, write) -> None:
    """Write into OUT/_staging, then move to OUT/relative; a failure of the store is an OutputError."""
    fs, root = resolve_filesystem(out_uri)
    final = _join(root, relative)
    staging = _join(root, posixpath.join(STAGING_DIR, f"{uuid.uuid4().hex}-{posixpath.basename(relative)}"))
    try:
        fs.create_dir(posixpath.dirname(final), recursive=True)
        fs.create_dir(posixpath.dirname(staging), recursive=True)
        write(fs, staging)
        fs.move(staging, final)
    except (OSError, pa.ArrowException) as exc:
        _forget(fs, staging)
        raise OutputError(f"cannot write {relative} in --out {out_uri}: {exc}") from exc


def _forget(fs: pafs.FileSystem, path: str) -> None:
    try:
        fs.delete_file(path)
    except (OSError, pa.ArrowException):
        pass  # never written, or the store is down: the next run's recovery clears _staging


def clear_staging(out_uri: str) -> None:
    """Delete what killed writers left in OUT/_staging (only while this run holds OUT's lock)."""
    fs, root = resolve_filesystem(out_uri)
    for path in list_files(fs, _join(root, STAGING_DIR)):
        fs.delete_file(path)


def part_files(out_uri: str, subdir: str) -> list[str]:
    """Paths of the finished part files of one dataset of OUT (none while it does not exist)."""
    fs, root = resolve_filesystem(out_uri)
    return [p for p in list_files(fs, _join(root, subdir)) if _is_part(p)]


def _is_part(path: str) -> bool:
    return path.endswith(".parquet") and not posixpath.basename(path).startswith(".")


def list_files(fs: pafs.FileSystem, folder: str) -> list[str]:
    """Every file directly in `folder`, sorted (none when the folder does not exist)."""
    selector = pafs.FileSelector(folder, allow_not_found=True)
    return sorted(i.path for i in fs.get_file_info(selector) if i.type == pafs.FileType.File)


def page_image_path(doc_id: str, page: int, image_format: str) -> str:
    """Where a saved page image goes, relative to OUT (recorded in pages.image_path)."""
    extension = "jpg" if image_format == "jpeg" else "png"
    return posixpath.join(IMAGES_DIR, doc_id, f"p{page:05d}.{extension}")
