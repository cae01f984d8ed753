"""Score docpipe and peer extractors side by side on a folder made by gen_born_digital.py.

    python benchmarks/quality_peers.py DIR [--only NAME ...] [--worst N]

Peers: pdfplumber (extract_text, extract_tables), pymupdf4llm (to_markdown with
page_chunks, Markdown stripped, its Markdown tables read as grids), PyMuPDF
(get_text() in content-stream order with find_tables(); and get_text(sort=True)),
camelot lattice (tables only), and docpipe's text engine when it can be imported.
Each extractor runs in its own process. Prints a Markdown table:
mean page CER, share of pages with CER <= 1%, mean WER, table cell accuracy
(best predicted table per truth table), ICDAR-2013 adjacency F1 (micro-averaged),
line-box match rate at IoU 0.6 (docpipe only), and seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
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

from docpipe.evaluate.metrics import (
    adjacency_f1,
    best_table_cell_accuracy,
    cer,
    grid_to_cells,
    line_match_rate,
    wer,
)

# ------------------------------------------------------------------ ground truth


def load_truth(folder: Path, name: str) -> dict[int, dict]:
    """{page: {text, tables, lines}} for NAME from NAME.pN.txt, NAME.pN.tK.csv, NAME.lines.json."""
    lines = json.loads((folder / f"{name}.lines.json").read_text(encoding="utf-8"))
    pages = {}
    for txt in folder.glob(f"{name}.p*.txt"):
        n = int(txt.name[len(name) + 2:-4])
        tables = []
        for k in range(1, 100):
            path = folder / f"{name}.p{n}.t{k}.csv"
            if not path.exists():
                break
            with open(path, newline="", encoding="utf-8") as fh:
                tables.append(list(csv.reader(fh)))
        pages[n] = {"text": txt.read_text(encoding="utf-8"), "tables": tables,
                    "lines": [ln["bbox"] for ln in lines.get(str(n), [])]}
    return pages


# ------------------------------------------------------------------ peers
# Each returns {page: {"text": str | None, "tables": list[grid] | None, "lines": list[bbox] | None}};
# None means "this tool does not produce that", which is reported as n/a.


def peer_pdfplumber(pdf: Path) -> dict[int, dict]:
    import pdfplumber

    out = {}
    with pdfplumber.open(pdf) as doc:
        for i, page in enumerate(doc.pages, 1):
            out[i] = {"text": page.extract_text() or "", "tables": page.extract_tables(), "lines": None}
    return out


def peer_pymupdf_sorted(pdf: Path) -> dict[int, dict]:
    import pymupdf

    with pymupdf.open(pdf) as doc:  # blocks sorted top-left to bottom-right, no column logic
        return {i: {"text": page.get_text(sort=True)} for i, page in enumerate(doc, 1)}


def peer_pymupdf(pdf: Path) -> dict[int, dict]:
    import pymupdf

    out = {}
    with pymupdf.open(pdf) as doc:
        for i, page in enumerate(doc, 1):
            tables = [t.extract() for t in page.find_tables().tables]
            out[i] = {"text": page.get_text(), "tables": tables, "lines": None}
    return out


_MD_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_MARKS = re.compile(r"(\*\*|__|(?<!\w)_|_(?!\w)|`|^#{1,6}\s+|^\s*[-*]\s+(?=\S))", re.M)


def _md_plain(s: str) -> str:
    return _MD_MARKS.sub("", s.replace("<br>", " "))


def strip_markdown(md: str) -> tuple[str, list[list[list[str]]]]:
    """Plain text and table grids from pymupdf4llm Markdown (pipe tables become space-joined rows)."""
    text, tables, current = [], [], None
    for line in md.splitlines():
        if line.lstrip().startswith("|"):
            if _MD_RULE.match(line.strip()):
                continue
            cells = [_md_plain(c).strip() for c in line.strip().strip("|").split("|")]
            if current is None:
                current = []
                tables.append(current)
            current.append(cells)
            text.append(" ".join(c for c in cells if c))
            continue
        current = None
        if line.strip() == "-----" or line.startswith("!["):
            continue
        text.append(_md_plain(line))
    return "\n".join(text), tables


def peer_pymupdf4llm(pdf: Path) -> dict[int, dict]:
    import pymupdf
    import pymupdf4llm

    pymupdf.set_messages(stream=io.StringIO())  # its parser notes ("RapidOCR is missing") go there
    with contextlib.redirect_stdout(io.StringIO()):  # and it prints blank lines
        chunks = pymupdf4llm.to_markdown(str(pdf), page_chunks=True)
    out = {}
    for i, chunk in enumerate(chunks, 1):
        page = chunk.get("metadata", {}).get("page_number", chunk.get("metadata", {}).get("page", i))
        text, tables = strip_markdown(chunk["text"])
        out[int(page)] = {"text": text, "tables": tables, "lines": None}
    return out


def peer_camelot(pdf: Path) -> dict[int, dict]:
    import camelot

    out: dict[int, dict] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # camelot warns on every page without a table
        found = camelot.read_pdf(str(pdf), pages="all", flavor="lattice")
    for t in found:
        page = out.setdefault(int(t.page), {"text": None, "tables": [], "lines": None})
        page["tables"].append(t.df.values.tolist())
    return out


# ---------------------------------------------------------------- docpipe hook


def _to_displayed(b: list[float], turn: int) -> list[float]:
    """Map a fraction box from a frame turned clockwise by `turn` degrees back to the displayed page."""
    x0, y0, x1, y1 = b
    if turn == 90:
        return [y0, 1 - x1, y1, 1 - x0]
    if turn == 180:
        return [1 - x1, 1 - y1, 1 - x0, 1 - y0]
    if turn == 270:
        return [1 - y1, x0, 1 - y0, x1]
    return list(b)


def docpipe_pages(pdf_path: Path) -> dict[int, dict]:
    """HOOK: docpipe's text engine, page -> {text, lines, tables} like the peers.

    Raises ImportError while docpipe.engines.text.extract_pdf does not exist yet; the
    row is then skipped with a note. extract_pdf returns pydantic PageResult records
    (docpipe/records.py): .page, .rotation, .text, .lines[i].bbox (fractions), .tables[i].cells.
    docpipe turns sideways pages upright (its .rotation then differs from the PDF's
    /Rotate); the truth boxes are in the /Rotate frame, so such boxes are turned back.
    """
    import pymupdf

    from docpipe.engines.text.page import extract_pdf

    with pymupdf.open(pdf_path) as doc:
        pdf_rotation = [page.rotation for page in doc]
    out = {}
    for i, page in enumerate(extract_pdf(str(pdf_path)), 1):
        n = getattr(page, "page", i)
        turn = (page.rotation - pdf_rotation[n - 1]) % 360
        grids = []
        for table in page.tables:
            n_rows = max([table.n_rows] + [c.row + c.row_span for c in table.cells])
            n_cols = max([table.n_cols] + [c.col + c.col_span for c in table.cells])
            grid = [[""] * n_cols for _ in range(n_rows)]
            for c in table.cells:  # spanned text in the top-left cell, like the truth CSVs
                grid[c.row][c.col] = c.text
            grids.append(grid)
        out[n] = {"text": page.text, "tables": grids,
                  "lines": [_to_displayed(list(line.bbox), turn) for line in page.lines]}
    return out


# label -> (function, gives text, gives tables, gives line boxes)
PEERS: dict[str, tuple[Callable[[Path], dict[int, dict]], bool, bool, bool]] = {
    "docpipe (text engine)": (docpipe_pages, True, True, True),
    "pdfplumber": (peer_pdfplumber, True, True, False),
    "pymupdf4llm": (peer_pymupdf4llm, True, True, False),
    "PyMuPDF get_text + find_tables": (peer_pymupdf, True, True, False),
    "PyMuPDF get_text(sort=True)": (peer_pymupdf_sorted, True, False, False),
    "camelot lattice": (peer_camelot, False, True, False),
}

# ------------------------------------------------------------------ scoring


def score(peer: Callable, text: bool, tables: bool, lines: bool, truth: dict, folder: Path) -> dict:
    """Run one extractor over every document; a crash on a document scores that document as empty."""
    cers, wers, cell_acc, line_rates, errors, worst = [], [], [], [], [], []
    adj = {"tp": 0, "n_pred": 0, "n_truth": 0}
    seconds = 0.0
    for name, pages in truth.items():
        t0 = time.perf_counter()
        try:
            got = peer(folder / f"{name}.pdf")
        except ImportError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of a third-party tool is a result
            errors.append(f"{name}: {type(exc).__name__}: {exc}"[:160])
            got = {}
        seconds += time.perf_counter() - t0
        for n, want in pages.items():
            page = got.get(n, {})
            if text:
                cers.append(cer(page.get("text") or "", want["text"]))
                worst.append((cers[-1], f"{name} p{n}"))
                wers.append(wer(page.get("text") or "", want["text"]))
            if tables:
                preds = [[[c or "" for c in row] for row in g] for g in page.get("tables") or []]
                cell_acc += [best_table_cell_accuracy(preds, t) for t in want["tables"]]
                a = adjacency_f1([grid_to_cells(g) for g in preds], [grid_to_cells(t) for t in want["tables"]])
                for k in adj:
                    adj[k] += a[k]
            if lines:
                line_rates.append(line_match_rate(page.get("lines") or [], want["lines"], 0.6))
    p = adj["tp"] / adj["n_pred"] if adj["n_pred"] else 0.0
    r = adj["tp"] / adj["n_truth"] if adj["n_truth"] else 0.0
    return {
        "cer": mean(cers) if text else None,
        "cer_ok": mean(c <= 0.01 for c in cers) if text else None,
        "wer": mean(wers) if text else None,
        "cells": mean(cell_acc) if tables and cell_acc else None,
        "adj_f1": (2 * p * r / (p + r) if p + r else 0.0) if tables else None,
        "lines": mean(line_rates) if lines else None,
        "seconds": seconds,
        "errors": errors,
        "worst": sorted(worst, reverse=True),
    }


def fmt(v, pct: bool = False) -> str:
    if v is None:
        return "n/a"
    return f"{100 * v:.1f}%" if pct else f"{v:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--only", nargs="*", help="peer names to run (default: all)")
    ap.add_argument("--worst", type=int, default=0, metavar="N", help="also list each extractor's N worst pages")
    args = ap.parse_args()
    names = sorted(p.stem for p in args.folder.glob("*.pdf") if (args.folder / f"{p.stem}.lines.json").exists())
    truth = {n: load_truth(args.folder, n) for n in names}
    layout = {}  # "NAME pN" -> layout and write order, from the generator's manifest
    if (args.folder / "manifest.json").exists():
        for d in json.loads((args.folder / "manifest.json").read_text(encoding="utf-8")):
            for p in d["pages"]:
                layout[f"{d['name']} p{p['page']}"] = f"{p['layout']}, /Rotate {p['rotation']}, {p['write_order']}"
    n_pages = sum(len(p) for p in truth.values())
    n_tables = sum(len(q["tables"]) for p in truth.values() for q in p.values())
    print(f"{len(names)} documents, {n_pages} pages, {n_tables} tables in {args.folder}\n")
    rows, notes = [], []
    for label, (peer, text, tables, lines) in PEERS.items():
        if args.only and not any(o.lower() in label.lower() for o in args.only):
            continue
        # a fresh process per extractor: importing pymupdf4llm switches PyMuPDF to its layout
        # mode globally, which would change (and slow down) the plain PyMuPDF numbers
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            job = pool.submit(score, peer, text, tables, lines, truth, args.folder)
        try:
            s = job.result()
        except ImportError as exc:
            notes.append(f"- {label}: skipped ({exc})")
            continue
        rows.append(f"| {label} | {fmt(s['cer'])} | {fmt(s['cer_ok'], True)} | {fmt(s['wer'])} | "
                    f"{fmt(s['cells'], True)} | {fmt(s['adj_f1'])} | {fmt(s['lines'], True)} | {s['seconds']:.1f} |")
        notes += [f"- {label}: {e}" for e in s["errors"]]
        if args.worst and s["worst"]:
            notes.append(f"- {label}, worst pages by CER: " + ", ".join(
                f"{where} {c:.3f} ({layout.get(where, '?')})" for c, where in s["worst"][:args.worst]))
    print("| extractor | mean page CER | pages CER<=1% | mean WER | table cell acc | table adj. F1 |"
          " line boxes IoU>=0.6 | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if notes:
        print("\nNotes:\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
