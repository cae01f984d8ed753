"""A one-line progress report on stderr: documents and pages done, pages per second."""

from __future__ import annotations

import sys
import time
from typing import Optional, TextIO


class Progress:
    def __init__(self, enabled: bool = True, stream: Optional[TextIO] = None, every_s: float = 2.0):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.every_s = every_s
        self.documents = 0
        self.pages_total = 0
        self.pages_done = 0
        self.docs_done: set[str] = set()
        self._pages_seen: dict[str, int] = {}
        self._expected: dict[str, int] = {}
        self._started = time.perf_counter()
        self._last = 0.0
        self._written = False
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def start(self, documents: int, pages: int) -> None:
        self.documents, self.pages_total = documents, pages
        self._started = time.perf_counter()
        self._emit(force=True)

    def page_done(self, row: dict) -> None:
        self.pages_done += 1
        self._emit()

    def rate(self) -> float:
        elapsed = time.perf_counter() - self._started
        return self.pages_done / elapsed if elapsed > 0 else 0.0

    def _emit(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (not force and now - self._last < self.every_s):
            return
        self._last = now
        # On a terminal the line is redrawn in place; in a log each report is its own line.
        prefix = "\r" if self._tty else ("\n" if self._written else "")
        self._written = True
        self.stream.write(
            f"{prefix}docpipe: {self.documents} documents, pages {self.pages_done}/{self.pages_total} "
            f"({self.rate():.1f} pages/s)"
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self._emit(force=True)
            self.stream.write("\n")
            self.stream.flush()
