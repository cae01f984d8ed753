"""`docpipe eval` on a hand-made output folder and truth folder."""

from __future__ import annotations

import json

from support.textbook import naive_levenshtein
from typer.testing import CliRunner

from docpipe.arrow import PAGES_SCHEMA, to_table
from docpipe.cli import app
from docpipe.records import Cell, PageResult, Table
from docpipe.io.parquet import prepare_output, write_table


def _table(grid):
    cells = [Cell(row=r, col=c, text=t, bbox=[0, 0, 1, 1]) for r, row in enumerate(grid) for c, t in enumerate(row)]
    return Table(bbox=[0, 0, 1, 1], n_rows=len(grid), n_cols=len(grid[0]), cells=cells, html="")


def _make(tmp_path):
    out = tmp_path / "out"
    prepare_output(str(out))
    pages = [
        PageResult(doc_id="a", source="/in/report.pdf", page=1, text="Quarterly  report\nrevenue rose",
                   tables=[_table([["Item", "Amount"], ["Fees", "12,345.67"]])]),
        PageResult(doc_id="a", source="/in/report.pdf", page=2, text="Second page text"),
        PageResult(doc_id="b", source="/in/scan.png", page=1, text="Hello wrld"),
    ]
    write_table(str(out), "pages", to_table(pages, PAGES_SCHEMA))
    truth = tmp_path / "truth"
    truth.mkdir()
    (truth / "report.txt").write_text("Quarterly report revenue rose\fSecond page text\fThird page")
    (truth / "report.p1.t1.csv").write_text("Item,Amount\nFees,\"12,345.67\"\n")
    (truth / "scan.p1.txt").write_text("Hello world")
    (truth / "report.str.xml").write_text(
        '<document><table><region page="1">'
        '<cell start-row="0" start-col="0"><content>Item</content></cell>'
        '<cell start-row="0" start-col="1"><content>Amount</content></cell>'
        '<cell start-row="1" start-col="0"><content>Fees</content></cell>'
        '<cell start-row="1" start-col="1"><content>12,345.67</content></cell>'
        "</region></table></document>")
    return out, truth


def test_eval_json_matches_an_independent_computation(tmp_path):
    out, truth = _make(tmp_path)
    result = CliRunner().invoke(app, ["eval", str(out), "--truth", str(truth), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["pages"] == 4 and scores["pages_missing"] == 1  # report p3 is missing
    expected = [
        0.0,  # whitespace is collapsed before comparing
        0.0,
        1.0,  # a missing page counts 1.0
        naive_levenshtein("Hello wrld", "Hello world") / len("Hello world"),
    ]
    assert abs(scores["cer"] - sum(expected) / 4) < 1e-9
    assert scores["table_cell_acc"] == 1.0 and scores["table_f1"] == 1.0
    assert {"pages", "cer", "wer", "table_cell_acc", "table_f1"} <= set(scores)


def test_eval_text_report_lists_worst_pages(tmp_path):
    out, truth = _make(tmp_path)
    result = CliRunner().invoke(app, ["eval", str(out), "--truth", str(truth)])
    assert result.exit_code == 0
    assert "report p3: CER 100.00%  (missing)" in result.output


def test_eval_bad_truth_folder_exits_nonzero(tmp_path):
    result = CliRunner().invoke(app, ["eval", str(tmp_path), "--truth", str(tmp_path / "nope")])
    assert result.exit_code != 0
