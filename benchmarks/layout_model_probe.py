"""Does PyMuPDF's layout model (`pymupdf.layout`) earn its cost for page regions? A measurement.

    python benchmarks/layout_model_probe.py --corpus ../shared/corpus [--json out.json]

For every page of the corpus's born-digital PDFs that carry a truth (olmOCR-bench checks,
docling or pdfplumber text), docpipe's text engine (`extract_page`, its rule-based regions:
block kinds, furniture, order) and the layout model (`page.get_layout()`, ONNX, CPU) both run,
each timed. Reported:
  - seconds per page of each, on this machine;
  - agreement of docpipe's block kinds with the model's class for the same region (the model
    box that covers most of the block), as a confusion table;
  - olmOCR-bench checks (scored as in olmocr_checks.py) on docpipe's body text with furniture
    from docpipe's rules, and with furniture taken from the model instead (blocks the model
    covers with page-header / page-footer dropped).
The model is not the truth; where the two disagree the olmOCR checks say which one was right.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import olmocr_checks as oc  # noqa: E402

KIND_OF = {"page-header": "header", "page-footer": "footer", "section-header": "heading", "title": "title",
           "list-item": "list", "caption": "caption", "footnote": "footnote", "table": "table",
           "picture": "figure", "text": "paragraph", "formula": "formula"}


def _cover(block_box, model) -> str:
    """The model's class for the region that covers most of the block ('-' when none covers half)."""
    from docpipe.layout.boxes import overlap_fraction

    best, best_f = "-", 0.5
    for box, cls in model:
        f = overlap_fraction(block_box, box)
        if f > best_f:
            best, best_f = KIND_OF.get(cls, cls), f
    return best


def main() -> None:
    import pymupdf
    import pymupdf.layout  # noqa: F401  (activates the analyzer)

    from docpipe.engines.text.page import extract_page
    from docpipe.errors import NeedsOcr

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=HERE.parent.parent / "shared" / "corpus")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    pdfs = [p for p in sorted((args.corpus / "born_digital").glob("*.pdf"))
            if any(p.with_name(p.stem + ext).exists() for ext in (".tests.jsonl", ".md", ".txt"))]
    t_docpipe = t_model = 0.0
    n_pages = 0
    confusion: Counter = Counter()
    checks = {"docpipe rules": [], "model furniture": []}
    for pdf in pdfs:
        doc = pymupdf.open(pdf)
        tests = []
        tests_path = pdf.with_name(pdf.stem + ".tests.jsonl")
        if tests_path.exists():
            tests = [json.loads(line) for line in tests_path.read_text().splitlines() if line.strip()]
        for index in range(doc.page_count):
            page = doc[index]
            started = time.perf_counter()
            try:
                result = extract_page(page, doc_id="d", source=str(pdf), page_number=index + 1)
            except NeedsOcr:
                continue  # a scan: the model reads text layers only
            t_docpipe += time.perf_counter() - started
            started = time.perf_counter()
            try:
                page.get_layout()
                info = page.layout_information or []
            except Exception:  # noqa: BLE001 - a page the model fails on has no regions
                info = []
            t_model += time.perf_counter() - started
            n_pages += 1
            w, h = page.rect.width, page.rect.height
            model = [((b[0] / w, b[1] / h, b[2] / w, b[3] / h), b[4]) for b in info]
            for block in result.blocks:
                mine = block.kind
                if mine == "page_number":  # the model has no page-number class: its page header or footer
                    mine = "header" if block.bbox[1] < 0.5 else "footer"
                confusion[(mine, _cover(tuple(block.bbox), model))] += 1
            ours = "\n".join(b.text for b in result.blocks if b.kind not in oc.FURNITURE)
            theirs = "\n".join(b.text for b in result.blocks
                               if _cover(tuple(b.bbox), model) not in ("header", "footer"))
            for test in (t for t in tests if int(t.get("page", 1)) == index + 1):
                for name, text in (("docpipe rules", ours), ("model furniture", theirs)):
                    ok = oc.check(test, text)
                    if ok is not None:
                        checks[name].append((test["type"], ok))
        doc.close()
    print(f"{len(pdfs)} PDFs, {n_pages} text-layer pages\n")
    print("| step | seconds per page |\n|---|---:|")
    print(f"| docpipe extract_page (rules) | {t_docpipe / max(1, n_pages):.3f} |")
    print(f"| pymupdf.layout get_layout (model) | {t_model / max(1, n_pages):.3f} |\n")
    print("| olmOCR checks on the body text | all | present | absent | order |\n|---|---:|---:|---:|---:|")
    for name, got in checks.items():
        cells = []
        for kind in ("all", "present", "absent", "order"):
            sel = [ok for k, ok in got if kind in ("all", k)]
            cells.append(f"{sum(sel)}/{len(sel)}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    kinds = sorted({k for k, _ in confusion})
    classes = sorted({c for _, c in confusion})
    print("\nBlocks: docpipe's kind (rows) by the model's class for the same region (columns):\n")
    print("| docpipe \\ model | " + " | ".join(classes) + " |\n|---|" + "---:|" * len(classes))
    for k in kinds:
        print(f"| {k} | " + " | ".join(str(confusion[(k, c)] or "") for c in classes) + " |")
    if args.json:
        args.json.write_text(json.dumps({"pages": n_pages, "s_docpipe": t_docpipe, "s_model": t_model,
                                         "checks": checks, "confusion": [[k, c, n] for (k, c), n in confusion.items()]}))


if __name__ == "__main__":
    main()
