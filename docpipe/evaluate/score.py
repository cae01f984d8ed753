"""`docpipe eval`: score an output folder against a folder of ground truth.

Truth files are matched to output documents by file stem:
  NAME.txt          the whole document, pages separated by form feed (\\f)
  NAME.pN.txt       page N (1-based)
  NAME.pN.tK.csv    table K (1-based, reading order) of page N
  NAME.str.xml      ICDAR-2013 table structure
"""

from __future__ import annotations

import csv
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from docpipe.evaluate.metrics import (
    Cell, adjacency_f1, cer, grid_to_cells, parse_icdar_structure, table_cell_accuracy, wer,
)

_PAGE_TXT = re.compile(r"^(?P<stem>.+)\.p(?P<page>\d+)\.txt$")
_TABLE_CSV = re.compile(r"^(?P<stem>.+)\.p(?P<page>\d+)\.t(?P<table>\d+)\.csv$")
_ICDAR = re.compile(r"^(?P<stem>.+)\.str\.xml$")


@dataclass
class Truth:
    pages: dict[tuple[str, int], str] = field(default_factory=dict)
    tables: dict[tuple[str, int], list[list[list[str]]]] = field(default_factory=dict)
    icdar: dict[tuple[str, int], list[list[Cell]]] = field(default_factory=dict)


def read_truth(folder: Path) -> Truth:
    truth = Truth()
    csv_tables: dict[tuple[str, int], dict[int, list[list[str]]]] = defaultdict(dict)
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        name = path.name
        if m := _TABLE_CSV.match(name):
            with path.open(newline="", encoding="utf-8") as handle:
                csv_tables[(m["stem"], int(m["page"]))][int(m["table"])] = list(csv.reader(handle))
        elif m := _PAGE_TXT.match(name):
            truth.pages[(m["stem"], int(m["page"]))] = path.read_text(encoding="utf-8")
        elif m := _ICDAR.match(name):
            for page, tables in parse_icdar_structure(path).items():
                truth.icdar[(m["stem"], page)] = tables
        elif name.endswith(".txt"):
            stem = name[: -len(".txt")]
            for number, text in enumerate(path.read_text(encoding="utf-8").split("\f"), start=1):
                truth.pages.setdefault((stem, number), text)
    for key, tables in csv_tables.items():
        truth.tables[key] = [tables[k] for k in sorted(tables)]
    return truth


def _stem(source: str) -> str:
    name = posixpath.basename(source.rstrip("/"))
    return name.rsplit(".", 1)[0] if "." in name else name


def read_output(out: str) -> dict[tuple[str, int], dict]:
    """(stem, page) -> {'text', 'tables'} from OUT/pages."""
    import pyarrow.dataset as ds

    from docpipe.io.storage import resolve_filesystem

    fs, root = resolve_filesystem(out)
    dataset = ds.dataset(posixpath.join(root, "pages"), filesystem=fs, format="parquet")
    table = dataset.to_table(columns=["source", "page", "text", "tables", "status"])
    pages: dict[tuple[str, int], dict] = {}
    for row in table.to_pylist():
        pages.setdefault((_stem(row["source"]), row["page"]), row)
    return pages


def _grid(table: dict) -> list[list[str]]:
    grid = [["" for _ in range(table["n_cols"])] for _ in range(table["n_rows"])]
    for cell in table["cells"]:
        grid[cell["row"]][cell["col"]] = cell["text"]
    return grid


def _cells(table: dict) -> list[Cell]:
    return [(c["row"], c["row"] + c["row_span"] - 1, c["col"], c["col"] + c["col_span"] - 1, c["text"])
            for c in table["cells"]]


def evaluate(out: str, truth_dir: Path, worst: int = 10) -> dict:
    truth = read_truth(truth_dir)
    output = read_output(out)
    page_scores = []
    for key, text in sorted(truth.pages.items()):
        row = output.get(key)
        predicted = row["text"] if row else None
        page_cer = cer(predicted, text) if predicted is not None else 1.0
        page_wer = wer(predicted, text) if predicted is not None else 1.0
        page_scores.append({"document": key[0], "page": key[1], "cer": page_cer, "wer": page_wer,
                            "missing": row is None})
    cell_scores = []
    for key, grids in sorted(truth.tables.items()):
        predicted = [_grid(t) for t in (output.get(key) or {}).get("tables") or []]
        for grid in grids:
            cell_scores.append(max((table_cell_accuracy(p, grid) for p in predicted), default=0.0))
    tp = n_pred = n_truth = 0
    relation_truth = dict(truth.icdar)
    for key, grids in truth.tables.items():
        relation_truth.setdefault(key, [grid_to_cells(g) for g in grids])
    for key, truth_tables in relation_truth.items():
        predicted_tables = [_cells(t) for t in (output.get(key) or {}).get("tables") or []]
        scored = adjacency_f1(predicted_tables, truth_tables)
        tp, n_pred, n_truth = tp + scored["tp"], n_pred + scored["n_pred"], n_truth + scored["n_truth"]
    return _summary(page_scores, cell_scores, tp, n_pred, n_truth, worst)


def _mean(values: list[float]) -> Optional[float]:
    return sum(values) / len(values) if values else None


def _summary(page_scores, cell_scores, tp, n_pred, n_truth, worst) -> dict:
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_truth if n_truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pages": len(page_scores),
        "pages_missing": sum(1 for s in page_scores if s["missing"]),
        "cer": _mean([s["cer"] for s in page_scores]),
        "wer": _mean([s["wer"] for s in page_scores]),
        "pages_cer_le_1pct": _mean([1.0 if s["cer"] <= 0.01 else 0.0 for s in page_scores]),
        "tables": len(cell_scores),
        "table_cell_acc": _mean(cell_scores),
        "table_f1": f1 if n_truth else None,
        "table_precision": precision if n_truth else None,
        "table_recall": recall if n_truth else None,
        "worst_pages": sorted(page_scores, key=lambda s: -s["cer"])[:worst],
    }


def format_report(result: dict) -> str:
    def pct(value):
        return "n/a" if value is None else f"{100 * value:.2f}%"

    lines = [
        f"pages scored: {result['pages']} ({result['pages_missing']} missing from the output)",
        f"mean page CER: {pct(result['cer'])}   WER: {pct(result['wer'])}   "
        f"pages at CER <= 1%: {pct(result['pages_cer_le_1pct'])}",
        f"tables: {result['tables']}   cell accuracy: {pct(result['table_cell_acc'])}   "
        f"adjacency F1: {pct(result['table_f1'])}",
    ]
    if result["worst_pages"]:
        lines.append("worst pages:")
        for s in result["worst_pages"]:
            lines.append(f"  {s['document']} p{s['page']}: CER {pct(s['cer'])}"
                         + ("  (missing)" if s["missing"] else ""))
    return "\n".join(lines)
