"""Where bytes live: a pyarrow filesystem and path for a local path or a URI (s3://, gs://, file://).

Local file names are bytes on POSIX and need not be UTF-8 (`caf\\xe9.pdf` from
an old Latin-1 disk). Such a file's `source` is a `file://` URI with the
bytes that are not UTF-8 percent-escaped (`file:///in/caf%E9.pdf`, RFC 8089);
`local_path` turns it back into the exact name. Names that are UTF-8 stay
plain paths. Local files are read with Python's own I/O, which takes any
name; pyarrow's local filesystem only takes UTF-8 ones.
"""

from __future__ import annotations

import os
import posixpath
import urllib.parse
from typing import Optional

import pyarrow.fs as pafs


def resolve_filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """A pyarrow filesystem and path for a local path or a URI (s3://, gs://, file://)."""
    if uri.startswith("file://"):
        return pafs.LocalFileSystem(), _file_uri_path(uri)
    if "://" in uri:
        return pafs.FileSystem.from_uri(uri)
    return pafs.LocalFileSystem(), posixpath.abspath(uri)


def _file_uri_path(uri: str) -> str:
    """The local name a file:// URI stands for (undecodable bytes as surrogate escapes, as `os` gives them)."""
    return os.fsdecode(urllib.parse.unquote_to_bytes(urllib.parse.urlsplit(uri).path))


def source_name(path: str) -> str:
    """How a local file found on disk is named in output: its path, or a file:// URI when it is not UTF-8."""
    if utf8_name(path):
        return path
    return "file://" + urllib.parse.quote_from_bytes(os.fsencode(path), safe="/")


def utf8_name(path: str) -> bool:
    """Whether a local name is valid UTF-8 (what pyarrow and MuPDF can open it by)."""
    try:
        path.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def local_path(source: str) -> Optional[str]:
    """The path of a source on this machine's file system, or None for an object store."""
    fs, path = resolve_filesystem(source)
    return path if isinstance(fs, pafs.LocalFileSystem) else None


def read_bytes(source: str) -> bytes:
    path = local_path(source)
    if path is not None:
        with open(path, "rb") as handle:
            return handle.read()
    fs, path = resolve_filesystem(source)
    with fs.open_input_file(path) as handle:
        return handle.read()


def join(root: str, relative: str) -> str:
    return posixpath.join(root.rstrip("/"), relative)
