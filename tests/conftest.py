"""Shared fixtures: sample documents made by the project's script, the shared corpus when present."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_docs"
CORPUS = Path(os.environ.get("DOCPIPE_CORPUS", ROOT.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    """sample_docs regenerated into a temp folder: the committed script is what is tested."""
    out = tmp_path_factory.mktemp("sample_docs")
    subprocess.run([sys.executable, str(SAMPLES / "make_samples.py"), str(out)], check=True,
                   capture_output=True)
    return out


@pytest.fixture(scope="session")
def expected(sample_dir) -> dict:
    return json.loads((sample_dir / "expected.json").read_text())["files"]


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS
