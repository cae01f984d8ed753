"""Input and output on object stores: moto's S3 server and a GCS emulator on 127.0.0.1, the CLI run on their URIs.

S3: the endpoint and credentials reach pyarrow (and every local Ray worker,
which inherits the driver's environment) only through the standard AWS_*
variables. GCS: the endpoint through CLOUD_STORAGE_EMULATOR_ENDPOINT (read
by the Google Cloud C++ client under pyarrow), anonymous access and a short
retry limit through the URI itself, which docpipe keeps in every source.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest

from support.raycluster import free_port

from docpipe.errors import OutputLocked
from docpipe.io.lock import OutputLock

FILES = ["single_column.pdf", "two_column.pdf", "scan.png", "scan.pdf", "not_a_pdf.pdf"]


@pytest.fixture(scope="module")
def s3_env():
    pytest.importorskip("moto")
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1",
                               "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    try:
        fs = pafs.S3FileSystem(endpoint_override=env["AWS_ENDPOINT_URL"], access_key="testing",
                               secret_key="testing", region="us-east-1", allow_bucket_creation=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                fs.create_dir("docs-in")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        fs.create_dir("docs-out")
        yield env, fs
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def s3_run(s3_env, sample_dir):
    env, fs = s3_env
    for name in FILES:
        with fs.open_output_stream(f"docs-in/batch/{name}") as out:
            out.write((sample_dir / name).read_bytes())
    docpipe = Path(sys.executable).with_name("docpipe")
    result = subprocess.run(
        [str(docpipe), "run", "s3://docs-in/batch", "--out", "s3://docs-out/run1", "--num-cpus", "2",
         "--save-images", "--pages-per-task", "1", "--quiet"],
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return fs


def _rows(fs, path: str) -> list[dict]:
    return ds.dataset(path, filesystem=fs, format="parquet").to_table().to_pylist()


def test_one_documents_row_per_object(s3_run, expected):
    docs = {d["source"]: d for d in _rows(s3_run, "docs-out/run1/documents")}
    assert sorted(docs) == sorted(f"s3://docs-in/batch/{name}" for name in FILES)
    for source, row in docs.items():
        want = expected[source.rsplit("/", 1)[1]]
        assert (row["status"], row["error_kind"]) == (want["status"], want["error_kind"])
        if want["status"] == "ok":
            assert row["doc_id"] == want["sha256"] and row["pages_ok"] == want["n_pages"]


def test_pages_complete_once_each_with_images_on_s3(s3_run, expected):
    pages = _rows(s3_run, "docs-out/run1/pages")
    keys = sorted((p["source"], p["page"]) for p in pages)
    assert keys == sorted((f"s3://docs-in/batch/{name}", i + 1) for name in FILES
                          if expected[name]["status"] == "ok" for i in range(expected[name]["n_pages"]))
    assert {p["engine"] for p in pages} == {"text", "ocr"}
    for page in pages:
        info = s3_run.get_file_info(f"docs-out/run1/{page['image_path']}")
        assert info.type == pafs.FileType.File and info.size > 0


def test_unreachable_output_bucket_is_a_run_level_error(s3_env, sample_dir, tmp_path):
    env, _ = s3_env
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(sample_dir / "two_column.pdf", folder)
    docpipe = Path(sys.executable).with_name("docpipe")
    result = subprocess.run([str(docpipe), "run", str(folder), "--out", "s3://no-such-bucket/out", "--quiet"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "cannot write to --out s3://no-such-bucket/out" in result.stderr


@pytest.fixture(scope="module")
def gcs_env():
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).with_name("gcp-storage-emulator")), "start",
                               "--host", "127.0.0.1", "--port", str(port), "--in-memory", "--default-bucket", "docs"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, CLOUD_STORAGE_EMULATOR_ENDPOINT=f"http://127.0.0.1:{port}")
    try:
        fs = pafs.GcsFileSystem(anonymous=True, scheme="http", endpoint_override=f"127.0.0.1:{port}",
                                retry_time_limit=timedelta(seconds=5))
        deadline = time.monotonic() + 30
        while fs.get_file_info("docs").type != pafs.FileType.Directory:
            assert time.monotonic() < deadline, "the GCS emulator did not come up"
            time.sleep(0.3)
        yield env, fs
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_gcs_input_and_output(gcs_env, sample_dir, expected):
    env, fs = gcs_env
    names = ["two_column.pdf", "scan.png", "not_a_pdf.pdf"]
    for name in names:
        with fs.open_output_stream(f"docs/in/{name}") as out:
            out.write((sample_dir / name).read_bytes())
    options = "?retry_limit_seconds=5"
    docpipe = Path(sys.executable).with_name("docpipe")
    result = subprocess.run(
        [str(docpipe), "run", f"gs://anonymous@docs/in{options}", "--out", f"gs://anonymous@docs/out{options}",
         "--num-cpus", "2", "--quiet"], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    docs = {d["source"]: d for d in _rows(fs, "docs/out/documents")}
    assert sorted(docs) == sorted(f"gs://anonymous@docs/in/{name}{options}" for name in names)
    for source, row in docs.items():
        want = expected[source.split("?")[0].rsplit("/", 1)[1]]
        assert (row["status"], row["error_kind"]) == (want["status"], want["error_kind"])
    pages = _rows(fs, "docs/out/pages")
    assert sorted((p["source"].split("?")[0].rsplit("/", 1)[1], p["page"], p["engine"]) for p in pages) == [
        ("scan.png", 1, "ocr"), ("two_column.pdf", 1, "text")]


def _lease_holds_and_expires(out: str, fs: pafs.FileSystem, lock_path: str) -> None:
    """The object-store lease: refuses a second writer, renews, is released, is taken over once stale."""
    timing = {"stale_s": 3.0, "heartbeat_s": 0.5, "settle_s": 0.2}
    first = OutputLock(out, "run-a", **timing)
    with first:
        with pytest.raises(OutputLocked, match="run run-a"):
            OutputLock(out, "run-b", **timing).__enter__()
        time.sleep(timing["stale_s"] + 1)  # only the heartbeat keeps it from going stale
        with pytest.raises(OutputLocked, match="run run-a"):
            OutputLock(out, "run-b", **timing).__enter__()
    assert fs.get_file_info(lock_path).type == pafs.FileType.NotFound  # released
    with OutputLock(out, "run-c", **timing):
        pass
    # A run killed without releasing: its lease stops being renewed and is taken over once stale.
    with fs.open_output_stream(lock_path) as handle:
        handle.write(json.dumps({"run_id": "run-dead", "pid": 1, "host": "gone",
                                 "heartbeat": time.time() - timing["stale_s"] - 1}).encode())
    with OutputLock(out, "run-d", **timing) as taken:
        assert json.loads(fs.open_input_stream(lock_path).read())["run_id"] == "run-d"
        # Another run overwriting the lease (the last writer of a race) is noticed by the holder.
        with fs.open_output_stream(lock_path) as handle:
            handle.write(json.dumps({"run_id": "run-e", "pid": 2, "host": "h", "heartbeat": time.time()}).encode())
        deadline = time.monotonic() + 5
        while taken.lost is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert taken.lost is not None and "run-e" in taken.lost


def test_the_output_lease_on_s3(s3_env, monkeypatch):
    env, fs = s3_env
    for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(key, env[key])
    _lease_holds_and_expires("s3://docs-out/leased", fs, "docs-out/leased/_lock")


def test_the_output_lease_on_gcs(gcs_env, monkeypatch):
    env, fs = gcs_env
    monkeypatch.setenv("CLOUD_STORAGE_EMULATOR_ENDPOINT", env["CLOUD_STORAGE_EMULATOR_ENDPOINT"])
    _lease_holds_and_expires("gs://anonymous@docs/leased?retry_limit_seconds=5", fs, "docs/leased/_lock")
