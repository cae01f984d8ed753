"""The package keeps its layers (DESIGN.md section 5): import-linter's contracts in pyproject.toml, and sizes.

Each contract is also shown to bite: the same check on a copy of the package
with one forbidden import added must fail, naming the contract it breaks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "docpipe"
LINT = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess:
    """import-linter on the docpipe/ under `tree`, with the project's contracts."""
    if not LINT.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT), "--no-cache", "--config", str(ROOT / "pyproject.toml")], cwd=tree,
                          env=env, capture_output=True, text=True)


def test_every_import_contract_is_kept():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, added, broken", [
    ("layout/boxes.py", "from docpipe.runner import plan", "Layers: nothing imports upward"),
    ("io/storage.py", "import ray", "Only runner/ imports ray"),
    ("export/view.py", "from docpipe.runner import session", "Layers: nothing imports upward"),
    ("engines/ocr/page.py", "import tesserocr", "Only the Tesseract adapter imports tesserocr"),
    ("layout/glyphs.py", "import pymupdf", "layout/ is pure geometry"),
    ("engines/ocr/lines.py", "from docpipe.engines.ocr import page", "No import circles"),
    ("export/chunks.py", "from docpipe.runner import plan", "Layers: nothing imports upward"),
    ("engines/text/page.py", "from docpipe.export import read", "Layers: nothing imports upward"),
    ("export/read.py", "import pymupdf", "export/ reads the Parquet output only"),
    ("runner/plan.py", "import dominate", "Only export/ builds HTML"),
])
def test_a_forbidden_import_breaks_its_contract(tmp_path, module, added, broken):
    shutil.copytree(PACKAGE, tmp_path / "docpipe", ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "docpipe" / module
    target.write_text(f"{added}  # noqa\n" + target.read_text())
    result = lint(tmp_path)
    assert result.returncode != 0
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout.split(broken, 1)[1].splitlines()[0]


def test_import_docpipe_loads_no_engine_library():
    code = ("import sys, docpipe\n"
            "heavy = ('ray', 'pymupdf', 'fitz', 'PIL', 'numpy', 'pyarrow', 'tesserocr', 'openai', 'vllm', 'torch')\n"
            "print(','.join(m for m in heavy if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


def test_the_package_root_holds_the_contract_only_and_no_module_is_long():
    root_modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert root_modules == ["__init__.py", "arrow.py", "cli.py", "config.py", "errors.py", "records.py"]
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 350}
    assert long == {}
