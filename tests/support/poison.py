"""A Ray worker setup hook for tests: a worker that reaches a page saying POISON dies on the spot.

It stands for a page that crashes its process every time (a segfault in a
native library, the kernel's OOM killer), which Python code cannot catch.
"""

from __future__ import annotations

import os

MARK = "POISON"


def crash_on_poison_pages() -> None:
    from docpipe.runner import pages

    original = pages._pdf_page

    def pdf_page(unit, index, doc, data, config, ocr):
        if MARK in doc.load_page(index).get_text():
            os._exit(139)  # no cleanup, no exception: as a segfault would end it
        return original(unit, index, doc, data, config, ocr)

    pages._pdf_page = pdf_page
