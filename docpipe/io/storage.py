"""Where bytes live: a pyarrow filesystem and path for a local path or a URI (s3://, gs://, file://)."""

from __future__ import annotations

import posixpath
from typing import Optional

import pyarrow.fs as pafs


def resolve_filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """A pyarrow filesystem and path for a local path or a URI (s3://, gs://, file://)."""
    if "://" in uri:
        return pafs.FileSystem.from_uri(uri)
    return pafs.LocalFileSystem(), posixpath.abspath(uri)


def local_path(source: str) -> Optional[str]:
    """The path of a source on this machine's file system, or None for an object store."""
    fs, path = resolve_filesystem(source)
    return path if isinstance(fs, pafs.LocalFileSystem) else None


def read_bytes(source: str) -> bytes:
    fs, path = resolve_filesystem(source)
    with fs.open_input_file(path) as handle:
        return handle.read()


def join(root: str, relative: str) -> str:
    return posixpath.join(root.rstrip("/"), relative)
