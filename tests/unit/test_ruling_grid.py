"""Cells of ruled tables from ruling lines alone."""

from __future__ import annotations

from docpipe.layout.tables.from_rulings import cell_boxes, snap


def test_full_grid_gives_every_cell():
    horizontal = [(y, 100, 400) for y in (100, 130, 160)]
    vertical = [(x, 100, 160) for x in (100, 200, 300, 400)]
    (table,) = cell_boxes(horizontal, vertical)
    assert sorted(table) == sorted((x, y, x + 100, y + 30) for x in (100, 200, 300) for y in (100, 130))


def test_missing_inner_ruling_makes_a_spanning_cell():
    horizontal = [(y, 100, 400) for y in (100, 130, 160)]
    # The ruling at x=200 stops at the second row: the header cell spans two columns.
    vertical = [(100, 100, 160), (200, 130, 160), (300, 100, 160), (400, 100, 160)]
    (table,) = cell_boxes(horizontal, vertical)
    assert (100, 100, 300, 130) in table
    assert (100, 130, 200, 160) in table and (200, 130, 300, 160) in table
    assert len(table) == 5


def test_rulings_seen_twice_or_broken_by_noise_are_joined():
    lines = [(100.0, 10, 50), (101.5, 52, 200), (300, 10, 200)]
    assert snap(lines, 3.0) == [(100.75, 10, 200), (300, 10, 200)]


def test_separate_tables_stay_apart():
    def grid(top):
        return ([(y, 100, 300) for y in (top, top + 30, top + 60)],
                [(x, top, top + 60) for x in (100, 200, 300)])

    h1, v1 = grid(100)
    h2, v2 = grid(400)
    tables = cell_boxes(h1 + h2, v1 + v2)
    assert sorted(len(t) for t in tables) == [4, 4]


def test_lines_that_do_not_cross_make_no_cells():
    assert cell_boxes([(100, 0, 50)], [(200, 0, 300)]) == []
