"""The cheap test that decides whether a page is worth PyMuPDF's layout model (0.2-0.4 s a page)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from docpipe.layout.glyphs import Segment
from docpipe.layout.tables.checks import tabular_evidence

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 612.0, 792.0
RULES_AT = (300.0, 440.0)  # two full-width rules in the body
RULES = [(y, 50.0, 560.0) for y in RULES_AT]


def line(y: float, *cells: str) -> list[Segment]:
    """One text line: each cell a segment of its own, 180 points apart."""
    return [Segment([], 50 + 180 * k, y, 50 + 180 * k + 6 * len(text), y + 9, 9.0, text=text)
            for k, text in enumerate(cells)]


PROSE = [seg for k in range(12)
         for seg in line(80 + 14 * k, "of the capital expenditure went into", "trailers and yard automation, with",
                         "the replacement of forty reach stackers")]


def test_one_short_cell_row_between_two_body_rules_is_a_rule_only_table():
    page = PROSE + line(360, "Region", "2023", "2024")
    assert tabular_evidence(page, RULES, WIDTH, HEIGHT)


def test_a_short_cell_row_outside_the_rules_is_no_evidence_of_them():
    # Three column headings of narrow prose line up above two rules that frame a figure.
    page = PROSE + line(60, "5 Capacity", "6 Cost", "7 On-call health")
    assert not tabular_evidence(page, RULES, WIDTH, HEIGHT)


def test_three_nearby_short_cell_rows_are_a_table_without_any_rule():
    page = PROSE + line(500, "North", "12.5", "13.1") + line(514, "South", "9.8", "10.2") \
        + line(528, "East", "4.4", "4.9")
    assert tabular_evidence(page, [], WIDTH, HEIGHT)


def test_generated_multi_column_reports_with_framed_figures_do_not_ask_the_layout_model(tmp_path):
    pytest.importorskip("pymupdf.layout", reason="pymupdf_layout is not installed")
    import docpipe.engines.text.tables as tables
    from docpipe.engines.text.page import extract_page
    from docpipe.io.pdf_library import pymupdf_module

    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gen_born_digital.py"), str(tmp_path),
                    "--seed", "1", "--n", "9"], check=True, capture_output=True)
    asked, table_pages = [], 0
    original = tables._layout_regions

    def counted(page, frame):
        asked.append(page.number)
        return original(page, frame)
    pymupdf = pymupdf_module()
    tables._layout_regions = counted
    try:
        for path in sorted(tmp_path.glob("*.pdf")):
            with pymupdf.open(path) as doc:
                for index in range(doc.page_count):
                    result = extract_page(doc.load_page(index), doc_id="d", source=str(path), page_number=index + 1)
                    table_pages += bool(result.tables)
    finally:
        tables._layout_regions = original
    # bd09_report3 (three narrow columns and a figure between two rules) used to ask it on its pages.
    assert (tmp_path / "bd09_report3.pdf").exists()
    assert asked == []
    assert table_pages > 0  # the ruled tables of the same documents are still found
