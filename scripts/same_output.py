"""Do two docpipe outputs hold the same rows? `python scripts/same_output.py OUT_A OUT_B`

Compares OUT/documents and OUT/pages row by row (sorted by source and page),
every column but those that differ from run to run by nature (`run_id`,
`elapsed_s`, `elapsed_ms`); floats must be equal to the bit. Exits 0 when
both hold the same rows, 1 (naming the first differences) when they do not.
Used to show that a change of code left the output contract alone, e.g.
`docpipe run sample_docs --out A` on the old tree and `--out B` on the new one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow.dataset as ds

VOLATILE = {"run_id", "elapsed_s", "elapsed_ms"}


def rows(out: Path, name: str) -> list[dict]:
    table = ds.dataset(out / name, format="parquet").to_table()
    keep = [c for c in table.column_names if c not in VOLATILE]
    found = table.select(keep).to_pylist()
    return sorted(found, key=lambda r: (r["source"], r.get("page") or 0, repr(r)))


def differences(a: list[dict], b: list[dict], limit: int = 5) -> list[str]:
    found = []
    if len(a) != len(b):
        found.append(f"{len(a)} rows against {len(b)}")
    for left, right in zip(a, b):
        if left != right:
            columns = sorted(k for k in set(left) | set(right) if left.get(k) != right.get(k))
            found.append(f"{left.get('source')} page {left.get('page')}: {', '.join(columns)} differ")
            if len(found) >= limit:
                break
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    first, second = Path(argv[0]), Path(argv[1])
    same = True
    for name in ("documents", "pages"):
        a, b = rows(first, name), rows(second, name)
        problems = differences(a, b)
        same &= not problems
        print(f"{name}: {len(a)} and {len(b)} rows, " + ("the same" if not problems else "; ".join(problems)))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
