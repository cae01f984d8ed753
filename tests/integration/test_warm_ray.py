"""`docpipe up` / `docpipe down`: a Ray left running on this machine, which each `docpipe run` joins.

Real processes: `docpipe up` runs `ray start --head` on this machine's default
port and /tmp/ray; the runs are the console script as a user runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
SESSION = Path("/tmp/ray/session_latest")  # Ray's link to the newest session's folder


def _docpipe(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", "from docpipe.cli import main; main()", *args], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def warm_ray():
    up = _docpipe("up", "--num-cpus", "2")
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        yield up
    finally:
        _docpipe("down")


def test_runs_join_the_ray_docpipe_up_started_and_down_stops_it(tmp_path, sample_dir, warm_ray):
    assert "Ray is up at" in warm_ray.stdout and "docpipe down" in warm_ray.stdout
    session = SESSION.resolve()
    again = _docpipe("up")
    assert again.returncode == 2 and "already running" in again.stderr and "Traceback" not in again.stderr

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(sample_dir / "two_column.pdf", folder / "two_column.pdf")
    for k in range(2):
        run = _docpipe("run", str(folder), "--out", str(tmp_path / f"out{k}"), "-q")
        assert run.returncode == 0, run.stderr[-3000:]
        documents = pq.read_table(tmp_path / f"out{k}" / "documents").to_pylist()
        assert [d["status"] for d in documents] == ["ok"]
        # A run that started a Ray of its own would have made a new session folder.
        assert SESSION.resolve() == session

    down = _docpipe("down")
    assert down.returncode == 0 and "Stopped" in down.stdout, down.stdout + down.stderr
    assert "Did not find any active Ray processes" in _docpipe("down").stdout


def test_an_address_nothing_answers_at_ends_the_run_at_once_with_what_to_check(tmp_path, sample_dir):
    from support.raycluster import free_port

    address = f"127.0.0.1:{free_port()}"  # a port no cluster listens on: Ray would retry it for minutes
    run = _docpipe("run", str(sample_dir), "--out", str(tmp_path / "out"), "--address", address, "-q")
    assert run.returncode == 2
    assert f"could not join the Ray cluster at {address}: Connection refused" in run.stderr
    assert "--address is its GCS address" in run.stderr and "Traceback" not in run.stderr
    assert not list((tmp_path / "out").glob("*/*.parquet"))
