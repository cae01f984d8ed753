"""Discover input files, sniff their type from bytes, hash them, split into page ranges.

Everything here is a plain function; `pipeline.py` runs `probe` and
`split_units` inside Ray Data tasks.
"""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
import urllib.parse
from typing import Iterator, Optional

import pyarrow.fs as pafs
from pydantic import BaseModel

from docpipe.config import Limits
from docpipe.records import ErrorKind

PDF = "application/pdf"
IMAGE_MIMES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
    "webp": "image/webp",
    "bmp": "image/bmp",
    "gif": "image/gif",
}
# Extensions picked up when walking a folder; the type itself is decided from the bytes.
DISCOVER_EXTENSIONS = {
    ".pdf", ".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".webp", ".bmp", ".gif",
}
_GLOB_CHARS = set("*?[")


class InputError(ValueError):
    """The input argument itself is unusable (a run-level error)."""


class DocumentProbe(BaseModel):
    """What the probe stage learns about one input file."""

    source: str
    doc_id: Optional[str] = None
    mime: Optional[str] = None
    bytes: Optional[int] = None
    n_pages: Optional[int] = None
    error_kind: Optional[ErrorKind] = None
    error: Optional[str] = None
    repaired: Optional[str] = None  # the file was damaged; how its pages were recovered
    likely_scan: bool = False  # its pages will most likely need OCR (sizes its work units)
    elapsed_s: float = 0.0


class WorkUnit(BaseModel):
    """A page range of one document: the unit of work for extraction tasks."""

    source: str
    doc_id: str
    mime: str
    page_start: int  # 0-based, inclusive
    page_stop: int  # exclusive
    likely_scan: bool = False


# ---------------------------------------------------------------- discovery

def resolve_filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """A pyarrow filesystem and path for a local path or a URI (s3://, gs://, file://)."""
    if "://" in uri:
        return pafs.FileSystem.from_uri(uri)
    return pafs.LocalFileSystem(), posixpath.abspath(uri)


def local_path(source: str) -> Optional[str]:
    """The path of a source on this machine's file system, or None for an object store."""
    fs, path = resolve_filesystem(source)
    return path if isinstance(fs, pafs.LocalFileSystem) else None


def _display(uri: str, fs: pafs.FileSystem, path: str) -> str:
    """How a found file is named in output: the user's URI scheme, and the URI's options.

    The options are what pyarrow takes in a URI (`gs://anonymous@bucket/...`,
    `?endpoint_override=...&scheme=http`); every worker opens the file from
    this name, so it must reach the same store. A password in the URI is
    never copied into output: pass credentials in the environment.
    """
    if "://" in uri and not uri.startswith("file://"):
        parts = urllib.parse.urlsplit(uri)
        user = f"{parts.username}@" if parts.username and parts.password is None else ""
        query = f"?{parts.query}" if parts.query else ""
        return f"{parts.scheme}://{user}{path}{query}"
    return path


def discover(input_uri: str) -> list[str]:
    """Files under INPUT: a file, a folder (recursive) or a glob; sorted, deduplicated.

    A file named explicitly is always taken, whatever its extension; in folders
    and globs only document and image extensions are taken (a README or a
    .DS_Store is not an input document).
    """
    # In a URI, `?` starts pyarrow's options (`gs://bucket/in?retry_limit_seconds=5`), not a glob.
    location = urllib.parse.urlsplit(input_uri).path if "://" in input_uri else input_uri
    if any(ch in _GLOB_CHARS for ch in location):
        return _discover_glob(input_uri)
    fs, path = resolve_filesystem(input_uri)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        raise InputError(f"input not found: {input_uri}")
    if info.type == pafs.FileType.File:
        return [_display(input_uri, fs, path)]
    selector = pafs.FileSelector(path, recursive=True)
    found = [
        _display(input_uri, fs, entry.path)
        for entry in fs.get_file_info(selector)
        if entry.type == pafs.FileType.File and _wanted(entry.path)
    ]
    return sorted(found)


def _wanted(path: str) -> bool:
    name = posixpath.basename(path)
    if name.startswith("."):
        return False
    return posixpath.splitext(name)[1].lower() in DISCOVER_EXTENSIONS


def _discover_glob(pattern: str) -> list[str]:
    # Walk from the longest glob-free prefix, then match the whole pattern.
    scheme = pattern.split("://", 1)[0] + "://" if "://" in pattern else ""
    body = pattern[len(scheme):]
    parts = body.split("/")
    fixed = []
    for part in parts:
        if any(ch in _GLOB_CHARS for ch in part):
            break
        fixed.append(part)
    base = "/".join(fixed) or "."
    fs, base_path = resolve_filesystem(scheme + base)
    if fs.get_file_info(base_path).type != pafs.FileType.Directory:
        raise InputError(f"no folder to search for the pattern {pattern!r}: {base}")
    rest = "/".join(parts[len(fixed):])
    full_pattern = posixpath.join(base_path, rest)
    selector = pafs.FileSelector(base_path, recursive="**" in rest or "/" in rest)
    found = [
        _display(scheme + base, fs, entry.path)
        for entry in fs.get_file_info(selector)
        if entry.type == pafs.FileType.File
        and _glob_match(entry.path, full_pattern)
    ]
    return sorted(set(found))


def _glob_match(path: str, pattern: str) -> bool:
    if "**" in pattern:
        # '**/' also matches zero folders.
        return fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern.replace("**/", ""))
    return fnmatch.fnmatch(path, pattern) and path.count("/") == pattern.count("/")


# ---------------------------------------------------------------- sniffing

def sniff(head: bytes) -> Optional[str]:
    """MIME type from the first bytes of a file, or None when unsupported."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return IMAGE_MIMES["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return IMAGE_MIMES["jpeg"]
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return IMAGE_MIMES["tiff"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return IMAGE_MIMES["webp"]
    if head[:2] == b"BM" and len(head) >= 26:
        return IMAGE_MIMES["bmp"]
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return IMAGE_MIMES["gif"]
    # Readers accept junk before the header (PDF 1.7 §7.5.2 allows it within 1 KB).
    if b"%PDF-" in head[:1024]:
        return PDF
    return None


def describe_unsupported(head: bytes) -> str:
    text = head[:512].lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text:
        return "HTML, not a PDF or image"
    if text.startswith(b"pk\x03\x04"):
        return "a ZIP container (Office document?), not a PDF or image"
    if text.startswith(b"{") or text.startswith(b"["):
        return "JSON text, not a PDF or image"
    return "unrecognised bytes: neither a PDF nor a supported image (PNG, JPEG, TIFF, WEBP, BMP, GIF)"


# ---------------------------------------------------------------- probing

def read_bytes(source: str) -> bytes:
    fs, path = resolve_filesystem(source)
    with fs.open_input_file(path) as handle:
        return handle.read()


def probe(source: str, limits: Limits, password: Optional[str] = None) -> DocumentProbe:
    """Read, sniff, hash and count the pages of one file; never raises for bad input."""
    import time

    started = time.perf_counter()
    result = _probe(source, limits, password)
    result.elapsed_s = time.perf_counter() - started
    return result


def _probe(source: str, limits: Limits, password: Optional[str]) -> DocumentProbe:
    try:
        fs, path = resolve_filesystem(source)
        info = fs.get_file_info(path)
    except (OSError, ValueError) as exc:
        return DocumentProbe(source=source, error_kind="not_found", error=str(exc))
    if info.type != pafs.FileType.File:
        return DocumentProbe(source=source, error_kind="not_found", error="file not found")
    size = info.size
    if size > limits.max_file_bytes:
        return DocumentProbe(
            source=source, bytes=size, error_kind="too_large",
            error=f"file is {size} bytes, over the limit of {limits.max_file_bytes} (--max-file-mb)",
        )
    local = isinstance(fs, pafs.LocalFileSystem)
    try:
        data = None
        if local:  # hashed as a stream: a long scan is never all in memory
            digest, head = _digest(fs, path)
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
    from docpipe import documents  # engine imports stay out of discovery

    if data is None:  # MuPDF opens a local PDF by path and reads only what it needs
        try:
            data = path if mime == PDF else read_bytes(source)
        except OSError as exc:
            return DocumentProbe(source=source, error_kind="not_found", error=f"cannot read: {exc}")
    count = documents.count_pages(data, mime, limits, password)
    probe_.n_pages, probe_.error_kind, probe_.error = count.n_pages, count.error_kind, count.error
    probe_.repaired, probe_.likely_scan = count.repaired, count.likely_scan
    return probe_


def _digest(fs: pafs.FileSystem, path: str) -> tuple[str, bytes]:
    """(sha256 hex, first 2 KiB) of a file, read in 8 MiB pieces."""
    sha, head = hashlib.sha256(), b""
    with fs.open_input_stream(path) as stream:
        while chunk := stream.read(8 << 20):
            head = head or chunk[:2048]
            sha.update(chunk)
    return sha.hexdigest(), head


def split_units(probe_: DocumentProbe, pages_per_unit: int) -> Iterator[WorkUnit]:
    """Page ranges of a readable document, so no task holds a whole long document.

    `pages_per_unit` counts text-layer pages; a likely scan's pages each cost
    about OCR_PAGE_COST of them, so its units are that much shorter.
    """
    if probe_.error_kind is not None or not probe_.n_pages:
        return
    if probe_.likely_scan:
        pages_per_unit = max(1, pages_per_unit // OCR_PAGE_COST)
    for start in range(0, probe_.n_pages, pages_per_unit):
        yield WorkUnit(
            source=probe_.source, doc_id=probe_.doc_id, mime=probe_.mime,
            page_start=start, page_stop=min(start + pages_per_unit, probe_.n_pages),
            likely_scan=probe_.likely_scan,
        )


# An OCR page takes about as long as this many text-layer pages (measured:
# ~2 s against ~0.05 s at 300 DPI on one core); bundles are sized by this cost.
OCR_PAGE_COST = 16


def unit_cost(unit: WorkUnit) -> int:
    return (unit.page_stop - unit.page_start) * (OCR_PAGE_COST if unit.likely_scan else 1)
