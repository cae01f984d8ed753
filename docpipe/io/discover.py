"""Input files under INPUT: a file, a folder (recursive) or a glob, on any pyarrow filesystem."""

from __future__ import annotations

import fnmatch
import posixpath
import urllib.parse

import pyarrow.fs as pafs

from docpipe.errors import InputError
from docpipe.io.storage import resolve_filesystem

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
