"""Per-page time limit (`--page-timeout`): a page over its limit becomes a `timeout` row.

Two mechanisms, because no single one stops every kind of work in process:

- Tesseract's recognition, the long C++ call on a pathological scan, is given
  the deadline (`Recognizer.until`) and cancels itself inside Tesseract
  (tesserocr's `Recognize(timeout=ms)`, Tesseract's ETEXT_DESC deadline).
- Everything written in Python (layout, reading order, tables, image
  cleaning) is stopped by a watchdog thread that raises `PageTimeout` in the
  page's thread with CPython's `PyThreadState_SetAsyncExc`, delivered at the
  next bytecode. Why not SIGALRM: Ray Data runs actor calls off the main
  thread, where signals cannot be handled. Why not a subprocess per page: it
  would cost a process start and a copy of the document for every page.

What neither stops: a single C call that never returns (a MuPDF render, a
Tesseract orientation check) ends before the page is cut off; those are
bounded by the pixel limits instead.
"""

from __future__ import annotations

import ctypes
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Optional

from docpipe.errors import PageTimeout


def _raise_in(thread_id: int, exc: Optional[type]) -> None:
    # exc=None clears an exception set but not yet delivered.
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc) if exc else None)


@contextmanager
def page_deadline(seconds: Optional[float]) -> Iterator[Optional[float]]:
    """Run the body under a time limit; yields the deadline (time.monotonic()) or None.

    Raises PageTimeout when the body runs over. Without a limit it does nothing.
    """
    if not seconds:
        yield None
        return
    deadline = time.monotonic() + seconds
    target = threading.get_ident()
    lock = threading.Lock()
    state = {"active": True, "fired": False}
    stop = threading.Event()

    def watch() -> None:
        if stop.wait(seconds):
            return
        with lock:
            if state["active"]:
                state["fired"] = True
                _raise_in(target, PageTimeout)

    watcher = threading.Thread(target=watch, name="docpipe-page-deadline", daemon=True)
    watcher.start()
    try:
        yield deadline
    finally:
        stop.set()
        with lock:
            state["active"] = False
            if state["fired"]:
                _raise_in(target, None)  # not delivered yet: it must not hit the caller's next page
        watcher.join()
        if state["fired"]:
            raise PageTimeout(f"page ran over its limit of {seconds:g} s")
