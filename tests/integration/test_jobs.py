"""`ray job submit` of jobs/extract.py to a real head node (`ray start --head` on 127.0.0.1, token auth)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from support.raycluster import BIN, head_node

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def head():
    with head_node(num_cpus=2) as node:
        yield node


def _submit(head, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "ray"), "job", "submit", "--address", head.dashboard,
         "--runtime-env", "jobs/runtime_env.yaml", "--working-dir", ".", "--",
         "python", "jobs/extract.py", *args],
        cwd=ROOT, env=head.env, capture_output=True, text=True, timeout=600)


def test_job_submit_extracts_every_file_once(head, sample_dir, expected, tmp_path):
    out = tmp_path / "out"
    result = _submit(head, str(sample_dir), "--out", str(out), "--pages-per-task", "1")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # The CLI's own summary, printed by the job's driver and streamed back by `ray job submit`.
    assert f"documents: {len(expected)} (" in result.stdout
    assert "succeeded" in result.stdout
    docs = ds.dataset(out / "documents", format="parquet").to_table().to_pylist()
    assert sorted(Path(d["source"]).name for d in docs) == sorted(expected)
    for d in docs:
        want = expected[Path(d["source"]).name]
        assert d["status"] == want["status"]
        if want["status"] == "ok":
            assert d["pages_ok"] == want["n_pages"]
    pages = ds.dataset(out / "pages", format="parquet").to_table(columns=["source", "page"]).to_pylist()
    keys = sorted((Path(p["source"]).name, p["page"]) for p in pages)
    assert keys == sorted((name, i + 1) for name, want in expected.items()
                          if want["status"] == "ok" for i in range(want["n_pages"]))


def test_job_without_the_token_is_refused(head, sample_dir, tmp_path):
    env = {k: v for k, v in head.env.items() if k != "RAY_AUTH_TOKEN"}
    env["RAY_AUTH_TOKEN"] = "not-the-token"
    result = subprocess.run(
        [str(BIN / "ray"), "job", "list", "--address", head.dashboard],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0


def test_job_bad_option_exits_2(head, tmp_path):
    result = _submit(head, str(tmp_path / "missing"), "--out", str(tmp_path / "out"))
    assert result.returncode != 0
    assert "input not found" in result.stdout + result.stderr
