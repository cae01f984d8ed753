"""Probe one input file: read, sniff, hash and count its pages; never raises for bad input."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from typing import Optional

import pyarrow.fs as pafs

from docpipe.config import Limits
from docpipe.io import documents
from docpipe.io.sniff import PDF, describe_unsupported, sniff
from docpipe.io.storage import read_bytes, resolve_filesystem, utf8_name
from docpipe.records import DocumentProbe


def probe(source: str, limits: Limits, password: Optional[str] = None) -> DocumentProbe:
    """Read, sniff, hash and count the pages of one file; never raises for bad input."""
    started = time.perf_counter()
    result = _probe(source, limits, password)
    result.elapsed_s = time.perf_counter() - started
    return result


def _probe(source: str, limits: Limits, password: Optional[str]) -> DocumentProbe:
    try:
        fs, path = resolve_filesystem(source)
        local = isinstance(fs, pafs.LocalFileSystem)
        size = _local_size(path) if local else _remote_size(fs, path)
    except (OSError, ValueError) as exc:
        return DocumentProbe(source=source, error_kind="not_found", error=str(exc))
    if size is None:
        missing = "a link to a file that is not there" if local and os.path.islink(path) else "file not found"
        return DocumentProbe(source=source, error_kind="not_found", error=missing)
    if size > limits.max_file_bytes:
        return DocumentProbe(
            source=source, bytes=size, error_kind="too_large",
            error=f"file is {size} bytes, over the limit of {limits.max_file_bytes} (--max-file-mb)",
        )
    try:
        data = None
        if local:  # hashed as a stream: a long scan is never all in memory
            digest, head = _digest(path)
        else:  # one read of a remote object serves the hash and the page count
            data = read_bytes(source)
            digest, head = hashlib.sha256(data).hexdigest(), data[:2048]
    except OSError as exc:
        return DocumentProbe(source=source, error_kind="not_found", error=f"cannot read: {exc}")
    probe_ = DocumentProbe(source=source, bytes=size, doc_id=digest)
    if not size:
        probe_.error_kind, probe_.error = "empty", "zero-byte file"
        return probe_
    mime = sniff(head)
    if mime is None:
        probe_.error_kind, probe_.error = "unsupported_format", describe_unsupported(head)
        return probe_
    probe_.mime = mime
    if data is None:  # MuPDF opens a local PDF by (a UTF-8) path and reads only what it needs
        try:
            data = path if mime == PDF and utf8_name(path) else read_bytes(source)
        except OSError as exc:
            return DocumentProbe(source=source, error_kind="not_found", error=f"cannot read: {exc}")
    count = documents.count_pages(data, mime, limits, password)
    probe_.n_pages, probe_.error_kind, probe_.error = count.n_pages, count.error_kind, count.error
    probe_.repaired, probe_.likely_scan = count.repaired, count.likely_scan
    return probe_


def _local_size(path: str) -> Optional[int]:
    """Bytes in a local file, or None when there is no file (missing, a dangling link, a folder)."""
    try:
        status = os.stat(path)  # follows links, as reading does
    except FileNotFoundError:
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _remote_size(fs: pafs.FileSystem, path: str) -> Optional[int]:
    info = fs.get_file_info(path)
    return info.size if info.type == pafs.FileType.File else None


def _digest(path: str) -> tuple[str, bytes]:
    """(sha256 hex, first 2 KiB) of a local file, read in 8 MiB pieces (Python's I/O takes any name)."""
    sha, head = hashlib.sha256(), b""
    with open(path, "rb") as stream:
        while chunk := stream.read(8 << 20):
            head = head or chunk[:2048]
            sha.update(chunk)
    return sha.hexdigest(), head
