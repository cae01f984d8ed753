"""The server path keeps `--vlm-concurrency` requests in flight: one slow answer does not stall the rest."""

from __future__ import annotations

import subprocess
import sys
import threading

import pyarrow.dataset as ds

from support.scanmaker import distinct_text_pages
from support.vlm_server import ONE_LINE_ANSWER, ONE_LINE_TEXT, FakeVllmServer

PAGES = 16


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
        return 200, ONE_LINE_ANSWER, "stop"


def test_a_held_request_does_not_stop_the_others(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    distinct_text_pages(inputs, PAGES)
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
    assert all(p["engine"] == "vlm" and p["text"] == ONE_LINE_TEXT for p in pages)
