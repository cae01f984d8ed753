"""Input files under INPUT: a file, a folder (recursive) or a glob, on any pyarrow filesystem.

Local folders are walked with `os` rather than pyarrow: pyarrow's local
filesystem fails on names that are not UTF-8 and leaves dangling links out;
here every name becomes a document (`storage.source_name`), and a link to
nothing becomes a `not_found` row, because the user named it.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import urllib.parse
from typing import Iterator, Optional

import pyarrow.fs as pafs

from docpipe.errors import InputError
from docpipe.io.storage import resolve_filesystem, source_name

# Extensions picked up when walking a folder; the type itself is decided from the bytes.
DISCOVER_EXTENSIONS = {
    ".pdf", ".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".webp", ".bmp", ".gif",
}
_GLOB_CHARS = set("*?[")


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


def discover(input_uri: str, exclude: Optional[str] = None) -> list[str]:
    """Files under INPUT: a file, a folder (recursive) or a glob; sorted, deduplicated.

    A file named explicitly is always taken, whatever its extension; in folders
    and globs only document and image extensions are taken (a README or a
    .DS_Store is not an input document). Nothing under `exclude` (the run's
    own --out) is taken: its saved page images are not new inputs.
    """
    # In a URI, `?` starts pyarrow's options (`gs://bucket/in?retry_limit_seconds=5`), not a glob.
    location = urllib.parse.urlsplit(input_uri).path if "://" in input_uri else input_uri
    outside = _outside(exclude)
    if any(ch in _GLOB_CHARS for ch in location):
        return [f for f in _discover_glob(input_uri) if outside(f)]
    fs, path = resolve_filesystem(input_uri)
    if isinstance(fs, pafs.LocalFileSystem):
        if os.path.isdir(path):
            return sorted(source_name(p) for p in _walk_local(path) if outside(p) and _wanted(p))
        if not os.path.lexists(path):
            raise InputError(f"input not found: {input_uri}")
        return [source_name(path)]
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
    return sorted(f for f in found if outside(f))


def _walk_local(root: str) -> Iterator[str]:
    """Every file and link to a file (dangling ones too) under a local folder; linked folders once each."""
    seen = set()
    for folder, subfolders, names in os.walk(root, followlinks=True):
        status = os.stat(folder)
        if (status.st_dev, status.st_ino) in seen:  # a link loop, or a folder linked twice
            subfolders[:] = []
            continue
        seen.add((status.st_dev, status.st_ino))
        subfolders.sort()
        for name in names:
            yield os.path.join(folder, name)


def _outside(exclude: Optional[str]):
    """A test that a found file is not under `exclude` (compared as real paths when local)."""
    if not exclude:
        return lambda found: True
    fs, root = resolve_filesystem(exclude)
    if isinstance(fs, pafs.LocalFileSystem):
        real_root = os.path.realpath(root)

        def local_outside(found: str) -> bool:
            if "://" in found and not found.startswith("file://"):
                return True  # an object in a store is never under a local folder
            _, path = resolve_filesystem(found)
            real = os.path.realpath(os.path.dirname(path))
            return real != real_root and not real.startswith(real_root.rstrip("/") + "/")
        return local_outside

    def remote_outside(found: str) -> bool:
        parts = urllib.parse.urlsplit(found)  # scheme://[user@]bucket/key?options
        path = parts.netloc.rsplit("@", 1)[-1] + parts.path
        return not path.startswith(root.rstrip("/") + "/")
    return remote_outside


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
    if isinstance(fs, pafs.LocalFileSystem):
        return sorted({source_name(p) for p in _walk_local(base_path) if _glob_match(p, full_pattern)})
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
