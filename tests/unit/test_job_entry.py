"""jobs/extract.py: which cluster a submitted job joins."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ENTRY = Path(__file__).resolve().parents[2] / "jobs" / "extract.py"


def _job_argv():
    spec = importlib.util.spec_from_file_location("jobs_extract", ENTRY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.job_argv


def test_inside_a_job_the_run_joins_the_jobs_cluster():
    job_argv = _job_argv()
    assert job_argv(["in", "--out", "o"], {"RAY_ADDRESS": "127.0.0.1:6390"}) == [
        "in", "--out", "o", "--address", "auto"]


def test_an_explicit_address_or_no_job_is_left_alone():
    job_argv = _job_argv()
    assert job_argv(["in", "--out", "o", "--address", "ray://h:10001"], {"RAY_ADDRESS": "x:1"})[-1] == "ray://h:10001"
    assert job_argv(["in", "--out", "o", "--address=ray://h:10001"], {"RAY_ADDRESS": "x:1"}) == [
        "in", "--out", "o", "--address=ray://h:10001"]
    assert job_argv(["in", "--out", "o"], {}) == ["in", "--out", "o"]
