"""A page that kills its worker process on every try costs that page only, and the run finishes."""

from __future__ import annotations

import os
from pathlib import Path

import pymupdf
import pytest

from docpipe.config import RunConfig
from docpipe.runner.pipeline import run
from docpipe.runner.session import TASK_RETRIES
from support.poison import MARK
from support.outputs import counts

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ray_with_poison():
    import ray

    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"worker_process_setup_hook": "support.poison.crash_on_poison_pages",
                          "env_vars": {"PYTHONPATH": path}})
    yield
    ray.shutdown()


def test_page_that_kills_its_worker_every_time_is_a_worker_lost_row(ray_with_poison, tmp_path):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for d in range(3):
        doc = pymupdf.open()
        for p in range(6):
            word = MARK if (d, p) == (1, 3) else "ordinary"
            doc.new_page().insert_textbox(pymupdf.Rect(72, 72, 540, 720),
                                          f"Document {d} page {p + 1}: an {word} page of text. " * 8, fontsize=11)
        doc.save(folder / f"doc{d}.pdf")

    summary = run(RunConfig(input=str(folder), out=str(out), progress=False, pages_per_unit=3))

    by_name = {Path(d.source).name: d for d in summary.documents}
    assert by_name["doc0.pdf"].status == by_name["doc2.pdf"].status == "ok"
    poisoned = by_name["doc1.pdf"]
    assert (poisoned.status, poisoned.error_kind, poisoned.pages_ok, poisoned.pages_failed) == \
        ("partial", "worker_lost", 5, 1)
    assert counts(out) == {"documents": 3, "sources": 3, "pages": 18, "distinct_pages": 18,
                           "not_ok": 1, "pages_not_ok": 1}
    import duckdb

    (page, kind, error), = duckdb.sql(
        f"select page, error_kind, error from read_parquet('{out}/pages/*.parquet') where status <> 'ok'").fetchall()
    assert (page, kind) == (4, "worker_lost") and f"died on this page {TASK_RETRIES + 1} times" in error
