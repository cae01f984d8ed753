"""How busy docpipe's server path keeps `--vlm-concurrency` when a few answers are slow.

    python benchmarks/server_tail.py [--pages 96] [--concurrency 8] [--slow-share 0.1] [--seed 1]

A real server takes seconds for most pages and much longer for a few (a dense
page, or one the model runs to max_tokens). This stands a local OpenAI-compatible
server (tests/support/vlm_server.py) in for the model: it answers every page with
the same small page, after a latency drawn from a seeded mix (most requests
0.2-0.4 s, `--slow-share` of them 3-5 s), and records when each request came and
went. docpipe runs `--engine vlm --vlm-url` on generated one-page PDFs. Over the
span from the first request to the last answer:

  in flight   the mean number of requests the server held (the sum of latencies
              over the span)
  kept_busy   in flight over --concurrency: 1.0 is the client never leaving a
              slot empty; the bound is the span no client can beat (all latency
              over the concurrency, or the slowest request)

The latencies are sleeps, so the figures are the client's scheduling, not the CPU.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(Path(__file__).resolve().parent)]

from _common import docpipe_command  # noqa: E402
from support.scanmaker import distinct_text_pages  # noqa: E402
from support.vlm_server import ONE_LINE_ANSWER, FakeVllmServer  # noqa: E402


class TimedModel:
    """Answers after a seeded latency; keeps (came, went) of every request."""

    def __init__(self, seed: int, slow_share: float):
        self.random = random.Random(seed)
        self.slow_share = slow_share
        self.lock = threading.Lock()
        self.spans: list[tuple[float, float]] = []

    def __call__(self, request: dict):
        came = time.perf_counter()
        with self.lock:
            slow = self.random.random() < self.slow_share
            latency = self.random.uniform(3, 5) if slow else self.random.uniform(0.2, 0.4)
        time.sleep(latency)
        with self.lock:
            self.spans.append((came, time.perf_counter()))
        return 200, ONE_LINE_ANSWER, "stop"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=96)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--slow-share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "in").mkdir()
        distinct_text_pages(Path(tmp) / "in", args.pages)
        model = TimedModel(args.seed, args.slow_share)
        server = FakeVllmServer(responder=model)
        try:
            done = subprocess.run(
                docpipe_command(Path(tmp) / "in", Path(tmp) / "out", "--engine", "vlm", "--vlm-url", server.url,
                                "--vlm-concurrency", str(args.concurrency)),
                capture_output=True, text=True)
        finally:
            server.close()
        if done.returncode:
            sys.exit(f"docpipe failed: {done.stderr[-2000:]}")
    spans = model.spans
    span = max(went for _, went in spans) - min(came for came, _ in spans)
    busy = sum(went - came for came, went in spans)
    bound = max(busy / args.concurrency, max(went - came for came, went in spans))
    print(f"{len(spans)} requests, concurrency {args.concurrency}, slow share {args.slow_share}, seed {args.seed}")
    print(f"span {span:.1f} s (no client can do better than {bound:.1f} s); in flight {busy / span:.2f} on average")
    print(f"kept_busy={busy / span / args.concurrency:.2f}")


if __name__ == "__main__":
    main()
