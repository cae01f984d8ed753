"""PyMuPDF comes without its layout model until a page asks, and the model then runs the threads the process owns."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("pymupdf.layout", reason="pymupdf_layout is not installed")

# Run in a fresh interpreter: whether pymupdf loaded its layout model is decided by its first import.
PROBE = """
import gc, json, sys
import onnxruntime
from docpipe.io.pdf_library import layout_analyzer_ready, pymupdf_module

library_options = onnxruntime.SessionOptions
pymupdf = pymupdf_module()
report = {"layout_loaded_on_import": "pymupdf.layout" in sys.modules or pymupdf._get_layout is not None}
report["ready"] = layout_analyzer_ready()
report["ready_again"] = layout_analyzer_ready()
sessions = [o for o in gc.get_objects() if isinstance(o, onnxruntime.InferenceSession)]
report["session_threads"] = sorted(s.get_session_options().intra_op_num_threads for s in sessions)
report["options_restored"] = onnxruntime.SessionOptions is library_options
print(json.dumps(report))
"""


def probe(threads: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if threads is not None:
        env["OMP_NUM_THREADS"] = threads
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_layout_model_loads_on_demand_with_the_threads_ray_gives_the_worker():
    report = probe("1")
    assert report["layout_loaded_on_import"] is False
    assert report["ready"] is True and report["ready_again"] is True
    # pymupdf.layout builds three sessions (layout, image features, table grid); all run one thread.
    assert len(report["session_threads"]) == 3
    assert set(report["session_threads"]) == {1}
    assert report["options_restored"] is True


def test_outside_ray_the_layout_model_keeps_onnx_runtimes_own_thread_choice():
    report = probe(None)
    assert report["ready"] is True
    assert set(report["session_threads"]) == {0}  # 0: ONNX Runtime sizes its pool to the machine
