"""The console of `docpipe run` as a user sees it: plain progress lines in a log, Ray's own output hidden.

docpipe runs as a subprocess on this worktree's code (PYTHONPATH); stderr is
a pipe, not a terminal, so progress comes as plain lines.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What Ray writes when it is not kept quiet: C++ log lines ("[2026-... E 123 123] core_worker.cc:2465: ..."),
# its Python loggers ("... WARNING authentication_token_setup.py:85 -- ..."), workers' output ("(pid=...)").
RAY_LINE = re.compile(r"\]\s+\w+\.cc:\d+|\b(INFO|WARNING|ERROR)\b\s+\S+\.py:\d+ --|\(\w*\s*pid=\d+")


def _run(tmp_path: Path, sample_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    shutil.copy(sample_dir / "two_column.pdf", folder / "two_column.pdf")
    out = tmp_path / f"out{len(extra)}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "from docpipe.cli import main; main()", "run", str(folder), "--out", str(out),
               "--num-cpus", "1", *extra]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def test_a_run_prints_plain_progress_lines_and_no_ray_output(tmp_path, sample_dir):
    result = _run(tmp_path, sample_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith("docpipe: documents ") for line in lines), result.stderr[-3000:]
    assert not any(RAY_LINE.search(line) for line in lines)
    assert "documents 1/1, pages 1/1" in lines[-1] and "pages/s, ETA 0:00:00" in lines[-1]
    assert "\r" not in result.stderr and "\x1b" not in result.stderr  # a log, not a terminal: no redrawing
    assert "documents: 1 (1 ok, 0 partial, 0 error)" in result.stdout


def test_verbose_shows_what_ray_says(tmp_path, sample_dir):
    result = _run(tmp_path, sample_dir, "--verbose")
    assert result.returncode == 0, result.stderr[-3000:]
    assert any(RAY_LINE.search(line) for line in result.stderr.splitlines()), result.stderr[-3000:]
