"""Score table extraction of docpipe and peer tools on the real tables of the shared corpus.

    python benchmarks/quality_tables.py [--corpus ../shared/corpus] [--json out.json] [--only NAME ...]

Truth: CORPUS/tables/STEM.pdf with STEM.csv or STEM.table1.csv, STEM.table2.csv, ...,
or STEM.md holding a Markdown pipe table. PubTabNet items (PNG only), olmOCR
`.tests.jsonl` items and truths in other forms (HTML) are skipped and listed.
The truths are regression outputs of other tools and cover only the table or
area their test looked at (see CORPUS/MANIFEST.csv), hence two views:

- ICDAR-2013 per document: all predicted tables of the document (any page; the
  CSVs do not say which page) are paired one to one with the truth tables by
  `adjacency_f1`; a missed or an invented table scores 0. Adjacency-relation
  precision / recall / F1 summed over documents (micro) and averaged per document.
- Best table: per truth table, the best predicted table anywhere in the document,
  by cell accuracy and by relation F1 (each its own best). Forgives extra tables.

Peers: docpipe (extract_pdf, cells with their real spans), pdfplumber
(extract_tables), pymupdf4llm (Markdown tables of to_markdown(page_chunks=True)),
camelot lattice and stream, PyMuPDF find_tables().extract(). Each runs in its
own process; seconds are extraction wall time after the tool's import.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib
import io
import json
import multiprocessing
import re
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from statistics import mean
from typing import Callable

from _common import pct
from docpipe.evaluate.metrics import adjacency_f1, best_table_cell_accuracy, grid_to_cells

Grid = list[list[str]]

# ------------------------------------------------------------------ ground truth


def read_csv_grid(path: Path) -> Grid:
    with open(path, newline="", encoding="utf-8") as fh:
        return [row for row in csv.reader(fh)]


_MD_RULE = re.compile(r"^\|?(\s*:?-{3,}:?\s*\|)*\s*:?-{3,}:?\s*\|?$")
_PIPE = re.compile(r"(?<!\\)\|")  # a cell border; "\|" is a literal pipe inside a cell
_BR = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]+>")


def _md_cell(s: str) -> str:
    # pymupdf4llm marks bold headers (**x**) and highlights (<mark>); the truth has
    # <br> for line breaks. Keep the text, drop the markup.
    s = _TAG.sub("", _BR.sub("\n", s)).replace("**", "").replace("\\|", "|")
    return s.strip()


def parse_markdown_tables(md: str) -> list[Grid]:
    """Grids of the pipe tables in MD: runs of lines starting with '|' that include a --- rule."""
    tables, block = [], []
    for line in md.splitlines() + [""]:  # the empty sentinel closes a table at the end
        line = line.strip()
        if line.startswith("|"):
            block.append(line)
            continue
        if any(_MD_RULE.match(b) for b in block):  # a stray "|" in prose is not a table
            rows = [b for b in block if not _MD_RULE.match(b)]
            # Drop exactly one border pipe per side: leading empty cells ("|||x|") are real.
            inner = [r[1:-1] if r.endswith("|") and len(r) > 1 else r[1:] for r in rows]
            tables.append([[_md_cell(c) for c in _PIPE.split(r)] for r in inner])
        block = []
    return tables


def load_truth(tables_dir: Path) -> tuple[dict[str, list[Grid]], list[str]]:
    """({stem: truth grids}, skipped notes) for every PDF in the corpus tables folder."""
    truth, skipped = {}, []
    for pdf in sorted(tables_dir.glob("*.pdf")):
        stem = pdf.stem
        numbered = sorted(tables_dir.glob(f"{stem}.table*.csv"), key=lambda p: int(p.name.split(".table")[1][:-4]))
        if (tables_dir / f"{stem}.csv").exists():
            truth[stem] = [read_csv_grid(tables_dir / f"{stem}.csv")]
        elif numbered:
            truth[stem] = [read_csv_grid(p) for p in numbered]
        elif (tables_dir / f"{stem}.md").exists() and (
                grids := parse_markdown_tables((tables_dir / f"{stem}.md").read_text(encoding="utf-8"))):
            truth[stem] = grids
        elif (tables_dir / f"{stem}.tests.jsonl").exists():
            skipped.append(f"{stem}: olmOCR unit tests, not a table")
        elif (tables_dir / f"{stem}.md").exists():
            skipped.append(f"{stem}: Markdown truth without a pipe table (an HTML table)")
        else:
            skipped.append(f"{stem}: no CSV or Markdown-table truth")
    skipped += [f"{p.stem}: image only" for p in sorted(tables_dir.glob("*.png"))]
    return truth, skipped


# ------------------------------------------------------------------ extractors
# Each takes a PDF path and returns [{"page": n, "grid": Grid, "cells": [ICDAR cell, ...]}].
# "grid" (spanned text in the top-left slot, like the truth CSVs) feeds cell accuracy;
# "cells" feed the adjacency relations.


def grid_table(page: int, grid) -> dict:
    # pdfplumber and PyMuPDF put None where a spanned cell continues: that slot is empty.
    clean = [[c if isinstance(c, str) else "" for c in row] for row in grid]
    return {"page": page, "grid": clean, "cells": grid_to_cells(clean)}


def run_docpipe(pdf: Path) -> list[dict]:
    from docpipe.engines.text.page import extract_pdf

    out = []
    for i, page in enumerate(extract_pdf(str(pdf)), 1):
        for table in page.tables:
            n_rows = max([table.n_rows] + [c.row + c.row_span for c in table.cells])
            n_cols = max([table.n_cols] + [c.col + c.col_span for c in table.cells])
            grid = [[""] * n_cols for _ in range(n_rows)]
            for c in table.cells:
                grid[c.row][c.col] = c.text
            # One ICDAR cell per spanned cell, (start_row, end_row, start_col, end_col, text),
            # so a header over three columns relates to all three cells below it.
            cells = [(c.row, c.row + c.row_span - 1, c.col, c.col + c.col_span - 1, c.text) for c in table.cells]
            out.append({"page": page.page or i, "grid": grid, "cells": cells})
    return out


def run_pdfplumber(pdf: Path) -> list[dict]:
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return [grid_table(i, g) for i, page in enumerate(doc.pages, 1) for g in page.extract_tables()]


def run_pymupdf(pdf: Path) -> list[dict]:
    import pymupdf

    with pymupdf.open(pdf) as doc:
        return [grid_table(i, t.extract()) for i, page in enumerate(doc, 1) for t in page.find_tables().tables]


def run_pymupdf4llm(pdf: Path) -> list[dict]:
    import pymupdf
    import pymupdf4llm

    pymupdf.set_messages(stream=io.StringIO())  # "RapidOCR is missing" and other parser notes
    with contextlib.redirect_stdout(io.StringIO()):  # it prints blank lines
        chunks = pymupdf4llm.to_markdown(str(pdf), page_chunks=True)
    out = []
    for i, chunk in enumerate(chunks, 1):
        page = chunk.get("metadata", {}).get("page_number", i)
        # Older versions give chunk["tables"], but only bbox and row/column counts, and
        # this one gives page_boxes of class "table" (bbox only): the cell text is only
        # in the Markdown.
        out += [grid_table(page, g) for g in parse_markdown_tables(chunk["text"])]
    return out


def _camelot(pdf: Path, flavor: str) -> list[dict]:
    import camelot

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it warns on every page without a table
        found = camelot.read_pdf(str(pdf), pages="all", flavor=flavor)
    return [grid_table(int(t.page), t.df.values.tolist()) for t in found]


def run_camelot_lattice(pdf: Path) -> list[dict]:
    return _camelot(pdf, "lattice")


def run_camelot_stream(pdf: Path) -> list[dict]:
    return _camelot(pdf, "stream")


# label -> (extractor, modules imported before the clock starts)
PEERS: dict[str, tuple[Callable[[Path], list[dict]], tuple[str, ...]]] = {
    "docpipe": (run_docpipe, ("docpipe.engines.text",)),
    "pdfplumber": (run_pdfplumber, ("pdfplumber",)),
    "pymupdf4llm": (run_pymupdf4llm, ("pymupdf4llm",)),
    "camelot lattice": (run_camelot_lattice, ("camelot",)),
    "camelot stream": (run_camelot_stream, ("camelot",)),
    "PyMuPDF find_tables": (run_pymupdf, ("pymupdf",)),
}


def extract_all(label: str, pdfs: list[Path]) -> dict:
    """Run one extractor over every PDF (called in a fresh process); a failure on a file is recorded, not raised."""
    func, modules = PEERS[label]
    for m in modules:  # so that import time is not charged to the first document
        importlib.import_module(m)
    tables, errors, seconds = {}, {}, {}
    for pdf in pdfs:
        t0 = time.perf_counter()
        try:
            tables[pdf.stem] = func(pdf)
        except Exception as exc:  # noqa: BLE001 - any failure of a tool on a file is a result
            tables[pdf.stem] = []
            errors[pdf.stem] = f"{type(exc).__name__}: {exc}"[:200]
        seconds[pdf.stem] = time.perf_counter() - t0
    return {"tables": tables, "errors": errors, "seconds": seconds}


def run_isolated(label: str, pdfs: list[Path]) -> dict:
    # Importing pymupdf4llm switches PyMuPDF into its layout mode process-wide, which
    # would change the plain PyMuPDF numbers; spawn so nothing is inherited either.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(extract_all, label, pdfs).result()


# ------------------------------------------------------------------ scoring


def score_document(pred: list[dict], truth: list[Grid]) -> dict:
    """Both views for one document: the ICDAR pairing over all its tables, and best table per truth table."""
    icdar = adjacency_f1([t["cells"] for t in pred], [grid_to_cells(g) for g in truth])
    # Each best-table score picks its own best table: cell accuracy is position-exact (a
    # truth with an extra empty first column zeroes it) while relations survive offsets,
    # so the two can prefer different candidates.
    best_cells = [best_table_cell_accuracy([t["grid"] for t in pred], g) for g in truth]
    best_f1 = [max((adjacency_f1([t["cells"]], [grid_to_cells(g)])["f1"] for t in pred), default=0.0)
               for g in truth]
    return {**icdar, "n_tables_pred": len(pred), "n_tables_truth": len(truth),
            "pages_pred": sorted({t["page"] for t in pred}), "best_cells": best_cells, "best_f1": best_f1}


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def summarize(docs: dict[str, dict], run: dict) -> dict:
    tp, n_pred, n_truth = (sum(d[k] for d in docs.values()) for k in ("tp", "n_pred", "n_truth"))
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_truth if n_truth else 0.0
    return {
        "micro_precision": p, "micro_recall": r, "micro_f1": _f1(p, r),
        "mean_precision": mean(d["precision"] for d in docs.values()),
        "mean_recall": mean(d["recall"] for d in docs.values()),
        "mean_f1": mean(d["f1"] for d in docs.values()),
        "best_cell_accuracy": mean(x for d in docs.values() for x in d["best_cells"]),
        "best_f1": mean(x for d in docs.values() for x in d["best_f1"]),
        "tables_pred": sum(d["n_tables_pred"] for d in docs.values()),
        "tables_truth": sum(d["n_tables_truth"] for d in docs.values()),
        "seconds": sum(run["seconds"].values()),
        "errors": run["errors"],
    }


# ------------------------------------------------------------------ report


def icdar_view(results: dict) -> str:
    lines = ["| extractor | micro P | micro R | micro F1 | mean F1 per doc | tables pred / truth | seconds |",
             "|---|---|---|---|---|---|---|"]
    for label, s in results.items():
        if s is None:
            lines.append(f"| {label} | n/a | n/a | n/a | n/a | n/a | n/a |")
            continue
        lines.append(f"| {label} | {pct(s['micro_precision'])} | {pct(s['micro_recall'])} | {pct(s['micro_f1'])} | "
                     f"{pct(s['mean_f1'])} | {s['tables_pred']} / {s['tables_truth']} | {s['seconds']:.1f} |")
    return "\n".join(lines)


def best_table_view(results: dict) -> str:
    lines = ["| extractor | best-table cell accuracy | best-table relation F1 | truth tables with F1 > 0 |"
             " tables pred / truth | seconds |", "|---|---|---|---|---|---|"]
    for label, s in results.items():
        if s is None:
            lines.append(f"| {label} | n/a | n/a | n/a | n/a | n/a |")
            continue
        found = sum(x > 0 for d in s["docs"].values() for x in d["best_f1"])
        lines.append(f"| {label} | {pct(s['best_cell_accuracy'])} | {pct(s['best_f1'])} | "
                     f"{found} / {s['tables_truth']} | {s['tables_pred']} / {s['tables_truth']} | {s['seconds']:.1f} |")
    return "\n".join(lines)


def per_document(docs: dict[str, dict]) -> str:
    """One row per document, worst ICDAR F1 first."""
    lines = ["| document | tables pred / truth (pages) | P | R | F1 | best cell acc | best F1 | seconds |",
             "|---|---|---|---|---|---|---|---|"]
    for stem, d in sorted(docs.items(), key=lambda kv: (kv[1]["f1"], kv[0])):
        pages = ",".join(map(str, d["pages_pred"])) or "-"
        lines.append(f"| {stem} | {d['n_tables_pred']} / {d['n_tables_truth']} ({pages}) | {pct(d['precision'])} | "
                     f"{pct(d['recall'])} | {pct(d['f1'])} | {pct(mean(d['best_cells']))} | "
                     f"{pct(mean(d['best_f1']))} | {d['seconds']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    ap.add_argument("--json", type=Path, help="also write every score (per extractor and document) here")
    ap.add_argument("--only", nargs="*", help="extractor labels to run (substring match; default: all)")
    args = ap.parse_args()

    tables_dir = args.corpus / "tables"
    truth, skipped = load_truth(tables_dir)
    pdfs = [tables_dir / f"{stem}.pdf" for stem in truth]
    print(f"{len(truth)} documents, {sum(map(len, truth.values()))} truth tables in {tables_dir}; "
          f"skipped {len(skipped)} items\n")

    results: dict[str, dict | None] = {}
    notes = []
    for label in PEERS:
        if args.only and not any(o.lower() in label.lower() for o in args.only):
            continue
        run = run_isolated(label, pdfs)
        if len(run["errors"]) == len(pdfs):  # the tool does not work here at all: n/a, not 0
            results[label] = None
            notes.append(f"- {label}: n/a, failed on every file ({next(iter(run['errors'].values()))})")
            continue
        docs = {stem: {**score_document(run["tables"][stem], grids), "seconds": run["seconds"][stem]}
                for stem, grids in truth.items()}
        results[label] = {**summarize(docs, run), "docs": docs}
        notes += [f"- {label} failed on {stem} (scored as no tables): {e}" for stem, e in run["errors"].items()]

    print("ICDAR-2013 view (tables paired one to one per document; adjacency relations, %):\n")
    print(icdar_view(results))
    print("\nBest-table view (per truth table, the best predicted table in the document, %):\n")
    print(best_table_view(results))
    if results.get("docpipe"):
        print("\ndocpipe per document, worst first (%):\n")
        print(per_document(results["docpipe"]["docs"]))
    if notes:
        print("\nNotes:\n" + "\n".join(notes))
    print("\nSkipped: " + "; ".join(skipped))
    if args.json:
        args.json.write_text(json.dumps({"skipped": skipped, "results": results}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
