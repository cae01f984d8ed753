"""One writer per OUT on a local disk: a second run is refused, a dead run's lock is taken over."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from docpipe.errors import OutputError, OutputLocked
from docpipe.io.lock import OutputLock


def test_a_second_writer_is_refused_with_the_holders_name(tmp_path):
    with OutputLock(str(tmp_path), "run-one"):
        with pytest.raises(OutputLocked) as refused:
            OutputLock(str(tmp_path), "run-two").__enter__()
    assert "run run-one" in str(refused.value) and "one run at a time" in str(refused.value)
    assert isinstance(refused.value, OutputError)  # exit 2, like any output problem
    with OutputLock(str(tmp_path), "run-three"):  # released: the next run takes it
        pass


def test_the_lock_of_a_killed_run_is_taken_over_at_once(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from docpipe.io.lock import OutputLock
        with OutputLock({str(tmp_path)!r}, "killed-run"):
            print("held", flush=True)
            time.sleep(600)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputLocked, match="killed-run"):
            OutputLock(str(tmp_path), "waiting").__enter__()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        with OutputLock(str(tmp_path), "after"):
            assert "after" in (tmp_path / "_lock").read_text()
    finally:
        holder.kill()
        holder.wait()
