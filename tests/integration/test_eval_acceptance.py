"""Acceptance 1 of the evidence issue, end to end: `docpipe run` then `docpipe eval --json` on
generated ground truth no development run has used (seed 4242), against a CER computed here
from the same definition with nothing of docpipe's: the Parquet read by duckdb, whitespace
collapsed with str.split, and a textbook Levenshtein.

The truth is edited on purpose (text dropped, letters changed, a page the document does not
have), so the expected CER is well above 0 and a wrong eval cannot agree by accident.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from support.textbook import naive_levenshtein

ROOT = Path(__file__).resolve().parents[2]
SEED = 4242  # never used while developing; any seed must pass


def _cli(*args: str) -> subprocess.CompletedProcess:
    docpipe = Path(sys.executable).with_name("docpipe")
    return subprocess.run([str(docpipe), *args], capture_output=True, text=True, timeout=600)


def _distance(a: str, b: str) -> int:
    # Dropping a common prefix and suffix leaves the Levenshtein distance unchanged and keeps
    # the pure-Python programme small on pages that agree almost everywhere.
    while a and b and a[0] == b[0]:
        a, b = a[1:], b[1:]
    while a and b and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    return naive_levenshtein(a, b)


def _cer(pred: str | None, truth: str) -> float:
    if pred is None:
        return 1.0  # a page missing from the output
    p, t = " ".join(pred.split()), " ".join(truth.split())
    longest = max(len(p), len(t))
    return _distance(p, t) / longest if longest else 0.0


def _edit(text: str, k: int) -> str:
    """A different truth: 150 characters dropped at a third of the page, letters changed after it.

    Local edits keep the textbook Levenshtein (quadratic, pure Python) fast once the common
    prefix and suffix are set aside.
    """
    cut = len(text) // 3
    text = text[:cut] + text[cut + 150:]
    mid = len(text) // 2
    return text[:mid] + "".join("#" if (i + k) % 3 == 0 and ch.isalpha() else ch
                                for i, ch in enumerate(text[mid:mid + 90])) + text[mid + 90:]


def test_eval_json_agrees_with_an_independent_cer_on_unseen_truth(tmp_path):
    gen = tmp_path / "gen"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gen_born_digital.py"), str(gen),
                    "--seed", str(SEED), "--n", "3"], check=True, capture_output=True)
    inputs = tmp_path / "in"
    inputs.mkdir()
    for pdf in gen.glob("*.pdf"):
        shutil.copy(pdf, inputs / pdf.name)
    truth = tmp_path / "truth"
    truth.mkdir()
    pages: dict[tuple[str, int], str] = {}
    for k, txt in enumerate(sorted(gen.glob("*.p*.txt"))):
        stem, page = txt.name[:-4].rsplit(".p", 1)
        pages[(stem, int(page))] = _edit(txt.read_text(encoding="utf-8"), k) if k % 2 else txt.read_text("utf-8")
    first = sorted({s for s, _ in pages})[0]
    n_first = max(p for s, p in pages if s == first)
    pages[(first, n_first + 1)] = "A page the document does not have."
    # One document in the whole-document format (pages split by form feed), the rest per page.
    (truth / f"{first}.txt").write_text("\f".join(pages[(first, p)] for p in range(1, n_first + 2)), "utf-8")
    for (stem, page), text in pages.items():
        if stem != first:
            (truth / f"{stem}.p{page}.txt").write_text(text, "utf-8")

    run = _cli("run", str(inputs), "--out", str(tmp_path / "out"), "--num-cpus", "1", "-q")
    assert run.returncode == 0, run.stderr
    scored = _cli("eval", str(tmp_path / "out"), "--truth", str(truth), "--json")
    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)

    rows = duckdb.sql(f"select source, page, text from read_parquet('{tmp_path / 'out' / 'pages'}/*.parquet')"
                      ).fetchall()
    output = {(Path(source).stem, page): text for source, page, text in rows}
    expected = [_cer(output.get(key), text) for key, text in pages.items()]
    independent = sum(expected) / len(expected)

    assert report["pages"] == len(pages)
    assert report["pages_missing"] == 1
    assert independent > 0.05  # the edits make a wrong scorer visible
    assert abs(report["cer"] - independent) <= 0.005, (report["cer"], independent)
