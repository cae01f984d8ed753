"""PyMuPDF, imported without its layout model; the model loaded on the first page that asks for it.

`import pymupdf` also imports `pymupdf.layout` when that package is installed, and activating it
builds three ONNX Runtime sessions: about 0.27 s in every process that imports PyMuPDF (measured
here: 0.50-0.79 s against 0.23-0.24 s for the import), with ONNX Runtime's default intra-op pool of
one thread per core, which spins while idle. Only pages whose text hints at a table without
rulings ask the model (58 of 244 pages read from the shared corpus, none of run_overhead.py's
361), and a Ray worker owns one CPU: with the default pool, two workers on two cores each ran
their layout pages on both cores (`benchmarks/layout_threads.py`: 30-35% slower than one thread
each).

So every docpipe module takes PyMuPDF from `pymupdf_module()`, and `layout_analyzer_ready()` loads
the model with sessions sized to the threads the process owns (`OMP_NUM_THREADS`, which Ray sets
to a task's CPUs). pymupdf.layout has no thread option: its sessions all come from
`onnxruntime.SessionOptions()` while it activates, so that class is swapped for a sized one for
the length of the import only.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

LAYOUT_MODULE = "pymupdf.layout"


def pymupdf_module() -> ModuleType:
    """The pymupdf module; a first import here leaves the layout model unloaded."""
    if "pymupdf" not in sys.modules and LAYOUT_MODULE not in sys.modules:
        # A None entry makes `import pymupdf.layout` inside pymupdf raise ImportError, which
        # pymupdf catches; removing it afterwards lets layout_analyzer_ready() import it for real.
        sys.modules[LAYOUT_MODULE] = None  # type: ignore[assignment]
        try:
            import pymupdf  # noqa: F401
        finally:
            if sys.modules.get(LAYOUT_MODULE, "") is None:
                del sys.modules[LAYOUT_MODULE]
    import pymupdf

    return pymupdf


def owned_threads() -> int:
    """Threads this process may use: Ray's OMP_NUM_THREADS in a worker, 0 (the library's choice) elsewhere."""
    try:
        return max(0, int(os.environ.get("OMP_NUM_THREADS", "0")))
    except ValueError:
        return 0


def layout_analyzer_ready() -> bool:
    """Load PyMuPDF's layout model once per process; False when it is not installed or will not load."""
    pymupdf = pymupdf_module()
    if callable(getattr(pymupdf, "_get_layout", None)):
        return True
    try:
        import onnxruntime
    except Exception:
        return False
    threads = owned_threads()
    library_options = onnxruntime.SessionOptions

    class SizedOptions(library_options):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.intra_op_num_threads = threads
            self.inter_op_num_threads = 1 if threads else 0

    onnxruntime.SessionOptions = SizedOptions
    try:
        import pymupdf.layout  # noqa: F401  (activates the analyzer)
    except Exception:
        return False
    finally:
        onnxruntime.SessionOptions = library_options
    return callable(getattr(pymupdf, "_get_layout", None))
