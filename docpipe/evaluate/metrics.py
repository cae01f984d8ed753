"""Scores for extracted text, line boxes and tables against ground truth.

Pure functions (the ICDAR-2013 XML reader is the one exception) so that tests,
benchmarks and `docpipe eval` all compute exactly the same numbers.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from rapidfuzz.distance import Levenshtein

# (start_row, end_row, start_col, end_col, text), as in ICDAR-2013 str.xml.
Cell = tuple[int, int, int, int, str]
Relation = tuple[str, str, str]  # (text_a, text_b, "right" | "below")

_WS = re.compile(r"\s+")


def normalize_text(s: str) -> str:
    """Collapse whitespace runs to one space and strip the ends.

    Line breaks and spacing differ between extractors for the same visual text;
    we score the characters and their order, not the layout whitespace.
    """
    return _WS.sub(" ", s).strip()


def _edit_rate(a: Sequence, b: Sequence) -> float:
    # Dividing by the longer sequence keeps the rate in 0..1 even when the
    # prediction is much longer than the truth (hallucinated or duplicated text).
    longest = max(len(a), len(b))
    if longest == 0:
        return 0.0
    return Levenshtein.distance(a, b) / longest


def cer(pred: str, truth: str) -> float:
    """Character error rate in 0..1 on normalized text (0.0 if both are empty)."""
    return _edit_rate(normalize_text(pred), normalize_text(truth))


def wer(pred: str, truth: str) -> float:
    """Word error rate in 0..1: the same edit rate over whitespace-separated tokens."""
    return _edit_rate(normalize_text(pred).split(), normalize_text(truth).split())


# ---------------------------------------------------------------- tables: cells


def table_cell_accuracy(pred_grid: Sequence[Sequence[str]], truth_grid: Sequence[Sequence[str]]) -> float:
    """Fraction of truth cells whose normalized text equals the predicted cell at (row, col).

    A predicted grid that is shifted by one row or column scores badly on purpose:
    the position of a value is part of what a table extractor must get right.
    """
    total = correct = 0
    for r, row in enumerate(truth_grid):
        for c, text in enumerate(row):
            total += 1
            if r >= len(pred_grid) or c >= len(pred_grid[r]):
                continue  # missing cell: wrong
            # None (pdfplumber's value for a cell covered by a span) reads as empty.
            if normalize_text(pred_grid[r][c] or "") == normalize_text(text or ""):
                correct += 1
    return correct / total if total else 0.0


Grid = Sequence[Sequence[str]]


def best_table_cell_accuracy(pred_grids: Iterable[Grid], truth_grid: Grid) -> float:
    """Cell accuracy of the predicted table that fits this truth table best (0 if none)."""
    return max((table_cell_accuracy(p, truth_grid) for p in pred_grids), default=0.0)


# ------------------------------------------------- tables: ICDAR-2013 relations


def _relation_text(s: str) -> str:
    # The one lenient place: the ICDAR-2013 evaluation compares cell contents
    # with all whitespace removed, so "12 345" and "12345" are the same cell.
    return _WS.sub("", s or "")


def grid_to_cells(grid: Sequence[Sequence[str]]) -> list[Cell]:
    """A list[list[str]] grid as 1x1 ICDAR cells (row and column indices from 0)."""
    return [(r, r, c, c, text or "") for r, row in enumerate(grid) for c, text in enumerate(row)]


def adjacency_relations(cells: Iterable[Cell]) -> Counter[Relation]:
    """ICDAR-2013 adjacency relations of one table, as a multiset.

    For every non-empty cell and every row it spans, the nearest non-empty cell to
    its right in that row gives a ("right") relation; likewise, for every column it
    spans, the nearest non-empty cell below gives a ("below") relation. Empty cells
    are skipped over, so a blank column does not break the chain. A multiset keeps
    repeated pairs (two rows "- | -") from collapsing into one.
    """
    owner: dict[tuple[int, int], int] = {}
    texts: list[str] = []
    spans: list[tuple[int, int, int, int]] = []
    for sr, er, sc, ec, text in cells:
        t = _relation_text(text)
        if not t:
            continue
        i = len(texts)
        texts.append(t)
        spans.append((sr, max(er, sr), sc, max(ec, sc)))
        for r in range(sr, max(er, sr) + 1):
            for c in range(sc, max(ec, sc) + 1):
                owner.setdefault((r, c), i)
    if not owner:
        return Counter()
    max_row = max(r for r, _ in owner)
    max_col = max(c for _, c in owner)
    found: set[tuple[int, int, str]] = set()
    for i, (sr, er, sc, ec) in enumerate(spans):
        for r in range(sr, er + 1):
            for c in range(ec + 1, max_col + 1):
                j = owner.get((r, c))
                if j is not None and j != i:
                    found.add((i, j, "right"))
                    break
        for c in range(sc, ec + 1):
            for r in range(er + 1, max_row + 1):
                j = owner.get((r, c))
                if j is not None and j != i:
                    found.add((i, j, "below"))
                    break
    return Counter((texts[i], texts[j], d) for i, j, d in found)


def _prf(tp: int, n_pred: int, n_truth: int) -> dict[str, float]:
    # Nothing to find and nothing claimed is a perfect score; otherwise 0/0 is 0.
    if n_pred == 0 and n_truth == 0:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_truth if n_truth else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f}


def adjacency_f1(pred_tables: Sequence[Sequence[Cell]], truth_tables: Sequence[Sequence[Cell]]) -> dict[str, float]:
    """Precision, recall and F1 (plus tp, n_pred, n_truth) of adjacency relations over the tables of a page.

    Truth and predicted tables are paired one to one, greedily by the number of
    relations they share. Relations of an unpaired truth table all count as misses
    and those of an unpaired (invented) predicted table as false positives, because
    both totals run over every table, paired or not.
    """
    pred_rel = [adjacency_relations(t) for t in pred_tables]
    truth_rel = [adjacency_relations(t) for t in truth_tables]
    shared = sorted(
        ((sum((p & t).values()), i, j) for i, p in enumerate(pred_rel) for j, t in enumerate(truth_rel)),
        reverse=True,
    )
    used_p: set[int] = set()
    used_t: set[int] = set()
    tp = 0
    for n, i, j in shared:
        if n == 0:
            break
        if i in used_p or j in used_t:
            continue
        used_p.add(i)
        used_t.add(j)
        tp += n
    n_pred, n_truth = sum(sum(p.values()) for p in pred_rel), sum(sum(t.values()) for t in truth_rel)
    # the counts let callers micro-average over many pages
    return {**_prf(tp, n_pred, n_truth), "tp": tp, "n_pred": n_pred, "n_truth": n_truth}


def parse_icdar_structure(path: str | Path) -> dict[int, list[list[Cell]]]:
    """Read an ICDAR-2013 `*-str.xml` file into {page: [table cells, ...]}.

    Layout: document > table > region(page=...) > cell(start-row, start-col,
    [end-row], [end-col]) > content. A missing end-* means the cell spans one row
    or column. A table split over pages has one region per page; each region is
    returned as a table on its own page (relations do not depend on index offsets).
    """
    root = ET.parse(path).getroot()
    pages: dict[int, list[list[Cell]]] = {}
    for table in root.iter("table"):
        for region in table.iter("region"):
            page = int(region.get("page", "1"))
            cells: list[Cell] = []
            for cell in region.iter("cell"):
                sr = int(cell.get("start-row"))
                sc = int(cell.get("start-col"))
                er = int(cell.get("end-row", sr))
                ec = int(cell.get("end-col", sc))
                content = cell.find("content")
                text = "".join(content.itertext()) if content is not None else ""
                cells.append((sr, er, sc, ec, text))
            pages.setdefault(page, []).append(cells)
    return pages


# ------------------------------------------------------------------ line boxes


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two [x0, y0, x1, y1] boxes (0 when disjoint or degenerate)."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def line_match_rate(
    pred_boxes: Sequence[Sequence[float]], truth_boxes: Sequence[Sequence[float]], threshold: float = 0.6
) -> float:
    """Fraction of truth line boxes matched by a predicted box with IoU >= threshold.

    Matching is one to one, greedy from the best IoU down, so one wide predicted
    box covering two truth lines can match at most one of them.
    """
    if not truth_boxes:
        return 1.0  # a recall: nothing to find is nothing missed
    pairs = [(box_iou(p, t), i, j) for i, p in enumerate(pred_boxes) for j, t in enumerate(truth_boxes)]
    pairs = sorted((x for x in pairs if x[0] >= threshold), reverse=True)
    used_p: set[int] = set()
    used_t: set[int] = set()
    for _, i, j in pairs:
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
    return len(used_t) / len(truth_boxes)
