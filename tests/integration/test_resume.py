"""Exactly-once, resumable runs on a real Ray: re-runs, killed drivers, killed workers, time limits."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import psutil
import pymupdf

from docpipe.config import RunConfig
from docpipe.runner.pipeline import run
from support.outputs import counts, make_pdfs


def _listing(out: Path) -> dict[str, float]:
    return {str(p.relative_to(out)): p.stat().st_mtime for p in out.rglob("*.parquet")}


def test_rerun_skips_complete_documents_and_identical_bytes_are_extracted_once(ray_local, tmp_path):
    folder, out = tmp_path / "in", tmp_path / "out"
    make_pdfs(folder, 2, 3)
    (folder / "sub").mkdir()
    shutil.copy(folder / "doc000.pdf", folder / "sub" / "same_bytes.pdf")
    config = RunConfig(input=str(folder), out=str(out), progress=False, pages_per_unit=2)

    first = run(config)
    by_source = {Path(d.source).name: d for d in first.documents}
    assert len(by_source) == 3 and by_source["same_bytes.pdf"].doc_id == by_source["doc000.pdf"].doc_id
    assert all(d.status == "ok" and d.pages_ok == 3 for d in first.documents)
    assert counts(out) == {"documents": 3, "sources": 3, "pages": 6, "distinct_pages": 6,
                           "not_ok": 0, "pages_not_ok": 0}

    before = _listing(out)
    again = run(config)
    assert again.documents == [] and again.skipped == 3
    assert _listing(out) == before  # nothing written, nothing rewritten

    make_pdfs(folder, 1, 2, prefix="new")
    shutil.copy(folder / "doc001.pdf", folder / "late_copy.pdf")
    third = run(config)
    assert sorted(Path(d.source).name for d in third.documents) == ["late_copy.pdf", "new000.pdf"]
    late = next(d for d in third.documents if d.source.endswith("late_copy.pdf"))
    assert (late.status, late.pages_ok, late.run_id) == ("ok", 3, third.run_id)
    assert counts(out) == {"documents": 5, "sources": 5, "pages": 8, "distinct_pages": 8,
                           "not_ok": 0, "pages_not_ok": 0}


def _family(pid: int) -> list[psutil.Process]:
    parent = psutil.Process(pid)
    return [parent, *parent.children(recursive=True)]


def test_driver_killed_with_its_local_ray_then_rerun_is_exactly_once(tmp_path):
    folder, out = tmp_path / "in", tmp_path / "out"
    make_pdfs(folder, 40, 15)
    docpipe = str(Path(sys.executable).with_name("docpipe"))
    command = [docpipe, "run", str(folder), "--out", str(out), "--num-cpus", "1", "--pages-per-task", "10",
               "--commit-every", "0.5", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    # Kill once some documents are committed: the re-run then meets committed work and orphan pages.
    while not list((out / "documents").glob("part-*.parquet")):
        assert process.poll() is None and time.monotonic() < deadline, "run ended before it could be killed"
        time.sleep(0.1)
    family = _family(process.pid)  # the driver, its raylet, GCS and workers
    for member in family:
        member.send_signal(signal.SIGKILL)
    assert process.wait(30) == -signal.SIGKILL
    psutil.wait_procs(family[1:], timeout=30)
    killed = counts(out)
    assert 0 < killed["documents"] < 40

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"resumed: {killed['documents']} documents already complete" in rerun.stdout
    assert counts(out) == {"documents": 40, "sources": 40, "pages": 600, "distinct_pages": 600,
                           "not_ok": 0, "pages_not_ok": 0}


def _page_workers() -> list[psutil.Process]:
    me = os.getuid()
    found = []
    for proc in psutil.process_iter(["cmdline", "uids"]):
        try:
            title = " ".join(proc.info["cmdline"] or [])
            # Ray titles a worker process by the task it runs (born-digital pages: the page stage's tasks).
            if proc.info["uids"].real == me and title.startswith("ray::MapBatches(extract_bundles)"):
                found.append(proc)
        except (psutil.Error, AttributeError):
            continue
    return found


def test_worker_killed_mid_task_still_completes_exactly_once(ray_local, tmp_path):
    folder, out = tmp_path / "in", tmp_path / "out"
    make_pdfs(folder, 12, 10)
    killed: list[int] = []
    done = threading.Event()

    def kill_one_worker_mid_run():
        # Once the first part is written the workers are busy with the next bundles.
        while not done.is_set():
            if list((out / "pages").glob("part-*.parquet")):
                workers = _page_workers()
                if workers:
                    workers[0].kill()
                    killed.append(workers[0].pid)
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker_mid_run)
    killer.start()
    try:
        summary = run(RunConfig(input=str(folder), out=str(out), progress=False, pages_per_unit=4))
    finally:
        done.set()
        killer.join()
    assert killed, "no page stage worker was found to kill"
    assert len(summary.documents) == 12 and all(d.status == "ok" for d in summary.documents)
    assert counts(out) == {"documents": 12, "sources": 12, "pages": 120, "distinct_pages": 120,
                           "not_ok": 0, "pages_not_ok": 0}
    # A write cut off by the kill was staged outside the datasets, and the run's end cleared it.
    assert all(p.name.startswith("part-") for p in (out / "pages").iterdir())
    assert not list((out / "_staging").iterdir())


def test_what_killed_writers_left_is_cleared_and_readers_never_see_it(ray_local, tmp_path):
    folder, out = tmp_path / "in", tmp_path / "out"
    make_pdfs(folder, 2, 2)
    # A writer killed mid-write by this version (in _staging) and by an earlier one (a dot-file in pages/).
    (out / "_staging").mkdir(parents=True)
    (out / "pages").mkdir()
    (out / "_staging" / "0123abcd-part-x.parquet").write_bytes(b"PAR1 cut off")
    (out / "pages" / ".tmp-0123abcd-part-x.parquet").write_bytes(b"PAR1 cut off")
    run(RunConfig(input=str(folder), out=str(out), progress=False))
    assert not list((out / "_staging").iterdir())
    assert counts(out)["distinct_pages"] == 4  # DuckDB's glob, which matches dot-files, reads every file


def _slow_scan_page(doc: pymupdf.Document) -> None:
    """A large page of dense random blobs: Tesseract takes many seconds to read it."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(7)
    blobs = (rng.random((1100, 850)) > 0.35).astype(np.uint8) * 255
    image = Image.fromarray(blobs).resize((5100, 6600), Image.NEAREST)
    page = doc.new_page(width=17 * 72, height=22 * 72)
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    page.insert_image(page.rect, stream=buffer.getvalue())


def test_page_over_its_time_limit_is_a_timeout_row_and_the_document_goes_on(ray_local, tmp_path):
    doc = pymupdf.open()
    for number in (1, 3):
        if number == 3:
            _slow_scan_page(doc)
        page = doc.new_page()
        page.insert_textbox(pymupdf.Rect(72, 72, 540, 720), f"A quick text page, number {number}.", fontsize=12)
    source = tmp_path / "slow.pdf"
    doc.save(source)
    out = tmp_path / "out"
    summary = run(RunConfig(input=str(source), out=str(out), progress=False, page_timeout_s=3.0))
    pages = duckdb.sql(f"select page, status, error_kind, elapsed_ms from read_parquet('{out}/pages/*.parquet') "
                       "order by page").fetchall()
    assert [p[:3] for p in pages] == [(1, "ok", None), (2, "error", "timeout"), (3, "ok", None)]
    assert pages[1][3] < 30_000  # stopped, not read to the end
    (document,) = summary.documents
    assert (document.status, document.error_kind, document.pages_ok) == ("partial", "timeout", 2)
