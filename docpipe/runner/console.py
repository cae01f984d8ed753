"""The terminal of `docpipe run`: Ray's native messages kept off it unless --verbose.

Ray's C++ core in the driver process writes its ERROR-level lines straight
to file descriptor 2, whatever Python's logging says (for example
core_worker.cc's "Actor with class name ... has constructor arguments in the
object store", which Ray Data's own actor pools always trigger: they pass
the map function to each actor as an object reference). No Ray switch turns
only these off: RAY_BACKEND_LOG_LEVEL=fatal would, but it reaches every
Ray process started from here (the raylet's and GCS's log files lose
their errors) and prints a line of its own. The same lines are in Ray's
session log (python-core-driver-*.log), so while a run goes fd 2 is pointed
at /dev/null and Python's sys.stderr at a copy of the real one: docpipe's
progress, messages and tracebacks show, Ray's native output does not.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator



@contextlib.contextmanager
def native_stderr_hidden(enabled: bool = True) -> Iterator[None]:
    """Within: fd 2 goes to /dev/null and sys.stderr to the real stderr (as it was, when not `enabled`)."""
    try:
        real = sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # a captured or replaced stderr: nothing native to hide
        real = False
    if not enabled or not real:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    terminal = os.fdopen(os.dup(saved), "w", buffering=1, encoding=sys.stderr.encoding or "utf-8",
                         errors="backslashreplace")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    previous, sys.stderr = sys.stderr, terminal
    try:
        yield
    finally:
        terminal.flush()
        sys.stderr = previous
        os.dup2(saved, 2)
        os.close(saved)
        terminal.close()
