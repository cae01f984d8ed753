"""The server path keeps `--vlm-concurrency` requests in flight: one slow answer does not stall the rest."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pyarrow.dataset as ds

from support.scanmaker import text_page
from support.vlm_server import FakeVllmServer

PAGES = 16
ANSWER = json.dumps({"blocks": [{"kind": "paragraph", "bbox": [100, 100, 900, 140],
                                 "lines": [{"text": "An answered page", "bbox": [100, 100, 900, 140]}]}],
                     "tables": []})


class HoldsFirstRequest:
    """Answers every request at once, except the first, which it holds until every page's request has come.

    A real server's slow answer (a page cut off at max_tokens) looks like this to
    docpipe. With batches sent one after another, the requests behind the held
    one's batch never come, and it is released only by the timeout.
    """

    def __init__(self, pages: int, timeout_s: float = 60.0):
        self.pages, self.timeout_s = pages, timeout_s
        self.lock = threading.Lock()
        self.received = 0
        self.all_came = threading.Event()
        self.held_until_all_came: bool | None = None

    def __call__(self, request: dict):
        with self.lock:
            self.received += 1
            first = self.received == 1
            if self.received == self.pages:
                self.all_came.set()
        if first:
            self.held_until_all_came = self.all_came.wait(self.timeout_s)
        return 200, ANSWER, "stop"


def test_a_held_request_does_not_stop_the_others(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for number in range(PAGES):
        doc, _ = text_page(columns=1 + number % 2)
        doc[0].insert_text((72, 60), f"Document {number}")  # distinct bytes: distinct documents
        doc.save(inputs / f"page{number:02d}.pdf")
    model = HoldsFirstRequest(PAGES)
    server = FakeVllmServer(responder=model)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "docpipe.cli", "run", str(inputs), "--out", str(tmp_path / "out"),
             "--engine", "vlm", "--vlm-url", server.url, "--vlm-concurrency", "4", "--num-cpus", "2", "--quiet"],
            capture_output=True, text=True, timeout=600,
        )
    finally:
        server.close()
    assert result.returncode == 0, result.stderr[-3000:]
    assert model.held_until_all_came is True, "the other pages' requests waited for the held one"
    assert len(server.requests) == PAGES
    pages = ds.dataset(tmp_path / "out" / "pages", format="parquet").to_table().to_pylist()
    assert len(pages) == PAGES
    assert all(p["engine"] == "vlm" and p["text"] == "An answered page" for p in pages)
