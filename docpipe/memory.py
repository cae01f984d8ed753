"""Give memory back between work units, so a worker's footprint does not grow with document length.

Measured (benchmarks/memory_pages.py, scanned PDFs at 300 dpi): without this a
page worker's private memory climbed from ~400 MB to ~680 MB over eight 4-page
units, and a worker on an 80-page scan peaked ~1.9x higher than on an 8-page
one. Two things held it: MuPDF's store, which keeps decoded page images and
fonts (up to 256 MB) after their document is closed, and glibc's heap, which
keeps freed 300 dpi image buffers in its arenas instead of returning them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys


def release_memory() -> None:
    """Empty MuPDF's cache and return free heap pages to the OS (call between units)."""
    import pymupdf

    pymupdf.TOOLS.store_shrink(100)  # percent: drop everything cached
    if sys.platform.startswith("linux"):
        libc_name = ctypes.util.find_library("c")
        if libc_name:
            libc = ctypes.CDLL(libc_name)
            if hasattr(libc, "malloc_trim"):  # glibc only (musl has none)
                libc.malloc_trim(0)
