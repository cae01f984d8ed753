"""Known-answer tests for docpipe.evaluate.metrics."""

from __future__ import annotations

import random

import pytest

from support.textbook import naive_levenshtein

from docpipe.evaluate.metrics import (
    adjacency_f1,
    adjacency_relations,
    best_table_cell_accuracy,
    box_iou,
    cer,
    grid_to_cells,
    line_match_rate,
    normalize_text,
    parse_icdar_structure,
    table_cell_accuracy,
    wer,
)


def test_normalize_text_collapses_all_whitespace() -> None:
    assert normalize_text("  a\t b\n\n c  ") == "a b c"
    assert normalize_text("\n \t") == ""


def test_cer_known_values() -> None:
    assert cer("sitting", "kitten") == pytest.approx(3 / 7)
    assert cer("", "") == 0.0
    assert cer("abc", "") == 1.0
    assert cer("", "abc") == 1.0
    assert cer("a  b\n c", "a b c") == 0.0  # whitespace layout is not scored
    assert cer("Straße", "Strasse") == pytest.approx(2 / 7)


def test_cer_stays_in_unit_range_when_prediction_is_longer() -> None:
    assert cer("x" * 50, "x") == pytest.approx(49 / 50)


def test_cer_matches_an_independent_levenshtein() -> None:
    rng = random.Random(7)
    for _ in range(200):
        a = "".join(rng.choice("ab cé\n") for _ in range(rng.randint(0, 12)))
        b = "".join(rng.choice("ab cé\n") for _ in range(rng.randint(0, 12)))
        na, nb = normalize_text(a), normalize_text(b)
        expected = naive_levenshtein(na, nb) / max(len(na), len(nb)) if (na or nb) else 0.0
        assert cer(a, b) == pytest.approx(expected)


def test_wer_counts_word_edits() -> None:
    assert wer("the cat sat", "the cat sat down") == pytest.approx(1 / 4)
    assert wer("the dog sat", "the cat sat") == pytest.approx(1 / 3)
    assert wer("sat the cat", "the cat sat") == pytest.approx(2 / 3)
    assert wer(" ", "") == 0.0


def test_table_cell_accuracy_compares_by_position() -> None:
    truth = [["Item", "2023"], ["Fees", "1,234.00"], ["Tax", "(3,210.50)"]]
    assert table_cell_accuracy(truth, truth) == 1.0
    pred = [["Item", "2023"], ["Fees", "1,234.0O"]]  # one misread, last row missing
    assert table_cell_accuracy(pred, truth) == pytest.approx(3 / 6)
    shifted = [["", "Item", "2023"], ["", "Fees", "1,234.00"], ["", "Tax", "(3,210.50)"]]
    assert table_cell_accuracy(shifted, truth) == 0.0
    # whitespace inside a cell is normalized; None (a covered cell) reads as empty
    assert table_cell_accuracy([["a  b", None]], [["a b", ""]]) == 1.0


def test_best_table_cell_accuracy_picks_the_best_prediction() -> None:
    truth = [["a", "b"], ["c", "d"]]
    assert best_table_cell_accuracy([[["x"]], [["a", "b"], ["c", "x"]]], truth) == pytest.approx(3 / 4)
    assert best_table_cell_accuracy([], truth) == 0.0


# A table with spans, worked by hand:
#   row 0: | A (rows 0-1) | B (cols 1-2)  |
#   row 1: |              | C     | D     |
#   row 2: | E            | (blank) | F   |
SPANNED = [
    (0, 1, 0, 0, "A"),
    (0, 0, 1, 2, "B"),
    (1, 1, 1, 1, "C"),
    (1, 1, 2, 2, "D"),
    (2, 2, 0, 0, "E"),
    (2, 2, 1, 1, ""),
    (2, 2, 2, 2, "F"),
]
SPANNED_RELATIONS = {
    ("A", "B", "right"),  # A's row 0
    ("A", "C", "right"),  # A's row 1
    ("A", "E", "below"),
    ("B", "C", "below"),  # B's column 1
    ("B", "D", "below"),  # B's column 2
    ("C", "D", "right"),  # C has nothing below: the blank cell is skipped, then the table ends
    ("D", "F", "below"),
    ("E", "F", "right"),  # across the blank cell
}


def test_adjacency_relations_worked_example() -> None:
    rel = adjacency_relations(SPANNED)
    assert set(rel) == SPANNED_RELATIONS
    assert sum(rel.values()) == 8


def test_adjacency_relations_ignore_whitespace_and_keep_repeats() -> None:
    rel = adjacency_relations(grid_to_cells([["12 345", "-"], ["12345", "-"]]))
    assert rel[("12345", "-", "right")] == 2
    assert rel[("12345", "12345", "below")] == 1
    assert rel[("-", "-", "below")] == 1


def test_grid_to_cells_makes_unit_cells() -> None:
    assert grid_to_cells([["a", "b"], ["c", ""]]) == [
        (0, 0, 0, 0, "a"), (0, 0, 1, 1, "b"), (1, 1, 0, 0, "c"), (1, 1, 1, 1, ""),
    ]


def test_adjacency_f1_counts_invented_and_missed_tables() -> None:
    assert adjacency_f1([SPANNED], [SPANNED]) == {
        "precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 8, "n_pred": 8, "n_truth": 8,
    }
    wrong_f = [c if c[4] != "F" else (*c[:4], "G") for c in SPANNED]
    invented = grid_to_cells([["x", "y"]])  # one relation
    got = adjacency_f1([invented, wrong_f], [SPANNED])
    assert (got["tp"], got["n_pred"], got["n_truth"]) == (6, 9, 8)
    assert got["precision"] == pytest.approx(6 / 9)
    assert got["recall"] == pytest.approx(6 / 8)
    assert got["f1"] == pytest.approx(12 / 17)
    missed = grid_to_cells([["p", "q"], ["r", "s"]])  # four relations, never predicted
    got = adjacency_f1([SPANNED], [missed, SPANNED])
    assert (got["precision"], got["recall"]) == (1.0, pytest.approx(8 / 12))
    assert adjacency_f1([], [SPANNED])["f1"] == 0.0
    assert adjacency_f1([], [])["f1"] == 1.0


def test_adjacency_f1_pairs_tables_one_to_one() -> None:
    # The same prediction offered twice must not be credited against one truth table twice.
    got = adjacency_f1([SPANNED, SPANNED], [SPANNED])
    assert got["tp"] == 8
    assert got["precision"] == pytest.approx(0.5)


def test_parse_icdar_structure(tmp_path) -> None:
    xml = tmp_path / "eu-000-str.xml"
    xml.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<document filename="eu-000.pdf">
  <table id="1">
    <region id="1" page="1" col-increment="0" row-increment="0">
      <cell id="1" start-row="0" start-col="0" end-row="1"><bounding-box x1="1" y1="2" x2="3" y2="4"/>
        <content>A</content></cell>
      <cell id="2" start-row="0" start-col="1" end-col="2"><content>B</content></cell>
      <cell id="3" start-row="1" start-col="1"><content>C</content></cell>
      <cell id="4" start-row="1" start-col="2" end-row="1" end-col="2"><content>D</content></cell>
      <cell id="5" start-row="2" start-col="0"><content>E</content></cell>
      <cell id="6" start-row="2" start-col="2"><content>F</content></cell>
    </region>
  </table>
  <table id="2">
    <region id="1" page="3"><cell id="1" start-row="0" start-col="0"><content>1 234,5</content></cell>
      <cell id="2" start-row="0" start-col="1"><content>x &amp; y</content></cell></region>
  </table>
</document>""",
        encoding="utf-8",
    )
    pages = parse_icdar_structure(xml)
    assert sorted(pages) == [1, 3]
    assert pages[1][0][:2] == [(0, 1, 0, 0, "A"), (0, 0, 1, 2, "B")]
    assert set(adjacency_relations(pages[1][0])) == SPANNED_RELATIONS
    assert pages[3] == [[(0, 0, 0, 0, "1 234,5"), (0, 0, 1, 1, "x & y")]]


def test_box_iou_known_values() -> None:
    assert box_iou([0, 0, 2, 2], [1, 1, 3, 3]) == pytest.approx(1 / 7)
    assert box_iou([0, 0, 1, 1], [0, 0, 1, 1]) == 1.0
    assert box_iou([0, 0, 1, 1], [1, 0, 2, 1]) == 0.0  # touching edges
    assert box_iou([0, 0, 0, 0], [0, 0, 0, 0]) == 0.0


def test_line_match_rate_is_one_to_one() -> None:
    truth = [[0.1, 0.10, 0.5, 0.12], [0.1, 0.13, 0.5, 0.15], [0.6, 0.10, 0.9, 0.12]]
    assert line_match_rate(truth, truth) == 1.0
    merged = [[0.1, 0.10, 0.5, 0.15]]  # one box over two lines: IoU 0.4 with each
    assert line_match_rate(merged, truth) == 0.0
    near = [[0.1, 0.10, 0.5, 0.125], [0.6, 0.10, 0.9, 0.12], [0.6, 0.10, 0.9, 0.12]]
    assert line_match_rate(near, truth) == pytest.approx(2 / 3)
    assert line_match_rate(near, truth, threshold=0.9) == pytest.approx(1 / 3)
    assert line_match_rate([], truth) == 0.0
