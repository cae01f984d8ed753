"""Helpers the benchmark scripts share: running docpipe as a user does, and writing the figures down.

Imported as `import _common` by scripts run as `python benchmarks/NAME.py` (their folder is on sys.path).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable, Optional, Sequence


def tool_path(name: str) -> Optional[str]:
    """The venv's console script first (docpipe, ocrmypdf), then PATH."""
    here = Path(sys.executable).with_name(name)
    if here.exists():
        return str(here)
    return shutil.which(name)


def docpipe_command(src: Path, out: Path, *extra: str) -> list[str]:
    """`docpipe run SRC --out OUT -q EXTRA...`, through the venv's console script as a user runs it."""
    return [tool_path("docpipe") or "docpipe", "run", str(src), "--out", str(out), "-q", *extra]


def run_docpipe(src: Path, out: Path, extra: Sequence[str] = (), env: Optional[dict] = None,
                cwd: Optional[Path] = None) -> dict:
    """Run `docpipe run SRC --out OUT -q EXTRA`; returns wall seconds, return code, stdout, stderr."""
    cmd = docpipe_command(src, out, *extra)
    started = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    return {"cmd": cmd, "wall_s": time.perf_counter() - started, "returncode": p.returncode,
            "stdout": p.stdout, "stderr": p.stderr}


def docpipe_pages_ok(out: Path) -> int:
    """How many rows of OUT/pages came out ok."""
    import pyarrow.parquet as pq

    return sum(pq.read_table(f, columns=["status"]).column("status").to_pylist().count("ok")
               for f in (out / "pages").glob("*.parquet"))


def spread(values: Iterable[float]) -> dict:
    """Median, min and max of repeated measurements."""
    values = list(values)
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def spread_cells(values: Iterable[float], digits: int = 2) -> str:
    """`median | min | max` for a Markdown table row."""
    s = spread(values)
    return " | ".join(f"{s[k]:.{digits}f}" for k in ("median", "min", "max"))


def pct(value: Optional[float], digits: int = 1) -> str:
    """A 0..1 fraction as a percentage figure ('n/a' for no value)."""
    return "n/a" if value is None else f"{100 * value:.{digits}f}"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]], align: str = "") -> str:
    """A GitHub Markdown table; `align` has one letter per column, l or r (default: first left, rest right)."""
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---" if a == "l" else "---:" for a in align]
    lines = [f"| {' | '.join(header)} |", f"|{'|'.join(rule)}|"]
    lines += [f"| {' | '.join(str(cell) for cell in row)} |" for row in rows]
    return "\n".join(lines)
