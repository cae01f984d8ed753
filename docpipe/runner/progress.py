"""Progress of a run on stderr: documents and pages done, pages per second, ETA.

On a terminal, a bar drawn by rich (redrawn in place); in a log (not a
terminal), one plain line every few seconds, so the log stays readable.
"""

from __future__ import annotations

import sys
import time
from typing import Optional, TextIO


class Progress:
    def __init__(self, enabled: bool = True, stream: Optional[TextIO] = None, every_s: float = 2.0,
                 console=None):
        self.enabled = enabled
        self._stream = stream
        self._console = console  # a rich Console to draw on (tests give one with force_terminal=True)
        self.every_s = every_s
        self.documents = self.docs_done = 0
        self.pages_total = self.pages_done = 0
        self._pages_left: dict[str, int] = {}  # doc_id -> pages still to come back
        self._started = time.perf_counter()
        self._last = 0.0
        self._written = False
        self._bar = None

    @property
    def stream(self) -> TextIO:
        # Looked up when used: the CLI points sys.stderr elsewhere while Ray runs (runner.console).
        return self._stream or sys.stderr

    def start(self, documents: int, pages: int, pages_of: Optional[dict[str, int]] = None) -> None:
        """`pages_of`: doc_id -> pages to extract; documents not in it (errors, copies) count as done."""
        self.documents, self.pages_total = documents, pages
        self._pages_left = {d: n for d, n in (pages_of or {}).items() if n > 0}
        self.docs_done = max(0, documents - len(self._pages_left))
        self._started = time.perf_counter()
        if self.enabled and self._terminal():
            self._bar = _Bar(self._console or _console(self.stream), self)
            self._written = True
        self._emit(force=True)

    def page_done(self, row: dict) -> None:
        self.pages_done += 1
        doc_id = row.get("doc_id")
        if doc_id in self._pages_left:
            self._pages_left[doc_id] -= 1
            if self._pages_left[doc_id] <= 0:
                del self._pages_left[doc_id]
                self.docs_done += 1
        self._emit()

    def rate(self) -> float:
        elapsed = time.perf_counter() - self._started
        return self.pages_done / elapsed if elapsed > 0 else 0.0

    def eta(self) -> str:
        rate, left = self.rate(), self.pages_total - self.pages_done
        if left <= 0:
            return "0:00:00"
        if rate <= 0:
            return "-:--:--"
        seconds = int(left / rate)
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    def line(self) -> str:
        return (f"documents {self.docs_done}/{self.documents}, pages {self.pages_done}/{self.pages_total} "
                f"({self.rate():.1f} pages/s, ETA {self.eta()})")

    def _terminal(self) -> bool:
        if self._console is not None:
            return self._console.is_terminal
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def _emit(self, force: bool = False) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update()
            return
        now = time.perf_counter()
        if not force and now - self._last < self.every_s:
            return
        self._last = now
        prefix = "\n" if self._written else ""  # each report its own line; the last one ended by finish()
        self.stream.write(f"{prefix}docpipe: {self.line()}")
        self._written = True
        self.stream.flush()

    def stop(self) -> None:
        """Leave a live bar on the terminal as it stands, no longer redrawn (the driver calls it when
        Ray is done, whether the run ended or failed); nothing otherwise."""
        if self._bar is not None:
            self._bar.update()
            self._bar.stop()
            self._bar = None

    def finish(self) -> None:
        if not self.enabled:
            return
        self.docs_done = self.documents  # every document has its row now (copies and errors included)
        if self._bar is not None or (self._written and self._terminal()):
            self.stop()  # the bar's last frame is the report; no plain line under it
            return
        self._emit(force=True)
        self.stream.write("\n")
        self.stream.flush()


def _console(stream: TextIO):
    from rich.console import Console

    return Console(file=stream)


class _Bar:
    """The rich bar of a Progress: its numbers are the Progress's own, so both modes say the same."""

    def __init__(self, console, progress: Progress):
        from rich.progress import BarColumn, TextColumn
        from rich.progress import Progress as RichProgress

        self._progress = progress
        self._rich = RichProgress(TextColumn("docpipe"), BarColumn(), TextColumn("{task.fields[line]}"),
                                  console=console, transient=False)
        self._task = self._rich.add_task("run", total=max(progress.pages_total, 1), line=progress.line())
        self._rich.start()

    def update(self) -> None:
        p = self._progress
        self._rich.update(self._task, completed=p.pages_done, total=max(p.pages_total, 1), line=p.line())

    def stop(self) -> None:
        self._rich.stop()
