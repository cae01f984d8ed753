"""Nothing lost, nothing twice, on real processes: two runs on one OUT, signals, a full disk, a hostile folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from support.hostile import map_pdf, surrogate_pdf
from support.outputs import counts, make_pdfs

DOCPIPE = str(Path(sys.executable).with_name("docpipe"))


def _command(folder: Path, out: Path, *extra: str) -> list[str]:
    return [DOCPIPE, "run", str(folder), "--out", str(out), "--num-cpus", "1", "--quiet", *extra]


def _only_parts(out: Path) -> None:
    """What a reader's glob sees is finished part files, and nothing is left in staging."""
    for sub in ("pages", "documents"):
        names = [p.name for p in (out / sub).iterdir()]
        assert all(n.startswith("part-") and n.endswith(".parquet") for n in names), names
    assert not list((out / "_staging").iterdir())


def _wait_for(predicate, process: subprocess.Popen, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process.poll() is None, f"the run ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _lock_holder(out: Path) -> dict:
    try:
        return json.loads((out / "_lock").read_text() or "{}")
    except (OSError, ValueError):
        return {}


def test_a_second_run_on_the_same_out_is_refused_and_the_first_completes_once(tmp_path):
    folder, out = tmp_path / "in", tmp_path / "out"
    make_pdfs(folder, 60, 4)
    first = subprocess.Popen(_command(folder, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _lock_holder(out).get("run_id"), first, "the first run held its lock")
        holder = _lock_holder(out)
        second = subprocess.run(_command(folder, out), capture_output=True, text=True, timeout=300)
        assert second.returncode == 2, second.stderr
        assert f"is being written by run {holder['run_id']} (pid {first.pid}" in second.stderr
        assert "Traceback" not in second.stderr
        assert first.poll() is None, "the refused run must not have disturbed the first"
        stdout, stderr = first.communicate(timeout=600)
    finally:
        first.kill()
    assert first.returncode == 0, stderr
    assert counts(out) == {"documents": 60, "sources": 60, "pages": 240, "distinct_pages": 240,
                           "not_ok": 0, "pages_not_ok": 0}
    _only_parts(out)
    again = subprocess.run(_command(folder, out), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "60 documents already complete" in again.stdout, again.stdout + again.stderr


@pytest.mark.parametrize("sent, code, said", [(signal.SIGTERM, 143, "stopped by SIGTERM"),
                                              (signal.SIGINT, 130, "interrupted (Ctrl-C)")])
def test_a_signalled_driver_stops_promptly_keeps_its_commits_and_resumes(tmp_path, sent, code, said):
    folder, out = tmp_path / "in", tmp_path / "out"
    make_pdfs(folder, 40, 15)
    command = _command(folder, out, "--pages-per-task", "10", "--commit-every", "0.5")
    # Ctrl-C reaches the run as at a terminal, whatever this test inherited: a shell that starts a
    # job in the background without job control (`.ci/run &`) ignores SIGINT for it and its children.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        _wait_for(lambda: list((out / "documents").glob("part-*.parquet")), process, "a commit")
        process.send_signal(sent)
        stdout, stderr = process.communicate(timeout=90)
    finally:
        process.kill()
    assert process.returncode == code, stderr
    assert said in stderr and "documents are committed in" in stderr and "run the same command again" in stderr
    assert "Traceback" not in stderr
    stopped = counts(out)  # readable by DuckDB's glob the moment the run has ended
    assert 0 < stopped["documents"] < 40
    assert stopped["distinct_pages"] == stopped["pages"]

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert counts(out) == {"documents": 40, "sources": 40, "pages": 600, "distinct_pages": 600,
                           "not_ok": 0, "pages_not_ok": 0}
    _only_parts(out)


@pytest.fixture
def small_disk(tmp_path):
    """A real 3 MB file system (tmpfs), grown to 256 MB by `grow()`; skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")

    def grow() -> None:
        subprocess.run(["mount", "-o", "remount,size=256m", str(mount)], check=True)

    try:
        yield mount, grow
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_ends_the_run_with_exit_2_and_the_rerun_completes_once(tmp_path, small_disk, sample_dir):
    mount, grow = small_disk
    folder, out = tmp_path / "in", mount / "out"
    make_pdfs(folder, 30, 3)
    command = _command(folder, out, "--save-images", "--pages-per-task", "3", "--commit-every", "0.2")
    full = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert full.returncode == 2, full.stderr
    assert "the output could not be written" in full.stderr and "No space left on device" in full.stderr
    assert "documents are committed in" in full.stderr and "Traceback" not in full.stderr
    kept = counts(out)
    assert kept["documents"] < 30 and kept["distinct_pages"] == kept["pages"]

    grow()
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert counts(out) == {"documents": 30, "sources": 30, "pages": 90, "distinct_pages": 90,
                           "not_ok": 0, "pages_not_ok": 0}
    images = duckdb.sql(f"select image_path from read_parquet('{out}/pages/*.parquet')").fetchall()
    assert all((out / path).is_file() for (path,) in images)
    _only_parts(out)


def test_a_hostile_folder_with_out_inside_it_gives_each_file_once(tmp_path, sample_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("single_column.pdf", "scan.png", "corrupt.pdf"):
        shutil.copyfile(sample_dir / name, folder / name)
    shutil.copyfile(sample_dir / "two_column.pdf", os.fsencode(folder) + b"/r\xe9sum\xe9.pdf")
    (folder / "gone.pdf").symlink_to(tmp_path / "nowhere.pdf")
    surrogate_pdf(folder / "bad_cmap.pdf")
    map_pdf(folder / "map.pdf", 12_000)
    out = folder / "out"
    command = _command(folder, out, "--save-images")
    for attempt in range(2):  # the second run must not take OUT/images for new inputs
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
    assert "7 documents already complete" in result.stdout
    docs = {Path(s).name: (st, kind, err) for s, st, kind, err in duckdb.sql(
        f"select source, status, error_kind, error from read_parquet('{out}/documents/*.parquet')").fetchall()}
    assert sorted(docs) == sorted(["single_column.pdf", "scan.png", "corrupt.pdf", "r%E9sum%E9.pdf", "gone.pdf",
                                   "bad_cmap.pdf", "map.pdf"])
    assert docs["gone.pdf"][:2] == ("error", "not_found") and "not there" in docs["gone.pdf"][2]
    assert docs["r%E9sum%E9.pdf"][0] == "ok" and docs["bad_cmap.pdf"][0] == "ok" and docs["map.pdf"][0] == "ok"
    odd = duckdb.sql(f"select source from read_parquet('{out}/documents/*.parquet') "
                     "where source like '%r%E9sum%'").fetchall()[0][0]
    assert odd.startswith("file://")
    pages = duckdb.sql(f"select count(*), count(distinct (doc_id, page)), "
                       f"count(*) filter (where error_kind = 'worker_lost') "
                       f"from read_parquet('{out}/pages/*.parquet')").fetchall()[0]
    assert pages[0] == pages[1] and pages[2] == 0
    _only_parts(out)
