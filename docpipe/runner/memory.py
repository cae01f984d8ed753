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

from docpipe.io.pdf_library import pymupdf_module

# Free heap kept for the next page rather than trimmed: a 300 dpi page's buffers (about 80-110 MB
# free between pages, measured) are then reused, not returned and faulted in again, which cost 3-5%
# of the CPU of OCR (24 scans, 2 processes: 47.3-48.6 CPU s without trimming, 49.8-50.2 with).
KEEP_FREE_HEAP = 128 << 20


class _MallInfo2(ctypes.Structure):
    # glibc's struct mallinfo2 (2.33+): sizes of the main arena, in bytes.
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def release_memory() -> None:
    """Empty MuPDF's cache and return free heap pages to the OS beyond KEEP_FREE_HEAP (call between units)."""
    pymupdf = pymupdf_module()

    pymupdf.TOOLS.store_shrink(100)  # percent: drop everything cached
    if sys.platform.startswith("linux"):
        libc_name = ctypes.util.find_library("c")
        if libc_name:
            libc = ctypes.CDLL(libc_name)
            if hasattr(libc, "malloc_trim") and _free_heap(libc) > KEEP_FREE_HEAP:  # glibc only (musl has none)
                libc.malloc_trim(0)


def _free_heap(libc) -> float:
    """Free bytes held in the heap; infinite where glibc cannot say (older than 2.33: always trim)."""
    if not hasattr(libc, "mallinfo2"):
        return float("inf")
    libc.mallinfo2.restype = _MallInfo2
    return libc.mallinfo2().fordblks
