"""The real vLLM server on CPU for the tests: scripts/serve_tiny_vlm.sh on a free port."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path

from support.raycluster import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-vllm"


def clean_env() -> dict:
    """This process's environment without an OMP_THREAD_LIMIT it may have inherited: a limit of 1
    made torch train the tiny model to NaN and hung vLLM's CPU engine."""
    return {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}


class Server:
    """scripts/serve_tiny_vlm.sh on a free port, stopped on exit."""

    def __init__(self, checkpoint: Path, log: Path, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        self.process = subprocess.Popen([str(ROOT / "scripts" / "serve_tiny_vlm.sh"), str(checkpoint), str(self.port)],
                                        stdout=log.open("w"), stderr=subprocess.STDOUT, env=clean_env())

    def wait_ready(self, timeout: float = 300) -> "Server":
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, f"vllm serve ended: {self.log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=5) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                pass
            assert time.monotonic() < deadline, "vllm serve did not come up"
            time.sleep(1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
