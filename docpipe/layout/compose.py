"""Segments, tables and figures of one page -> blocks in reading order -> PageResult fields.

Shared by every engine (text layer, OCR): an engine only has to find the
glyphs, line segments, table grids and figure boxes of a page in upright
page points; the blocks, reading order and output records are made here.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from docpipe.layout.blocks import LayoutBlock, group_blocks
from docpipe.layout.boxes import Box, centre_in, fraction
from docpipe.layout.glyphs import Segment
from docpipe.layout.line_joins import join_drop_caps, join_line_numbers
from docpipe.layout.reading_order import order_page
from docpipe.layout.tables.grid import Grid
from docpipe.records import Block, Cell, Line, PageResult, Table


class PageFrame(Protocol):
    """The upright page an engine works in: its size and how points become 0..1 fractions."""

    width: float
    height: float

    def fraction(self, box) -> list[float]: ...


class PointFrame:
    """An upright page of `width` x `height` points (an OCR'd image, once turned upright)."""

    def __init__(self, width: float, height: float):
        self.width, self.height = width, height

    def fraction(self, box) -> list[float]:
        return fraction(box, self.width, self.height)


def compose_page(result: PageResult, segments: list[Segment], grids: list[Grid],
                 extra_blocks: list[LayoutBlock], frame: PageFrame, *, beside_tables: list[Segment] = (),
                 regions: Sequence[Box] = ()) -> None:
    """Fill `result` (text, lines, blocks, tables) from what an engine found on the page.

    Segments inside a table are the table's cells and leave the flow (except
    `beside_tables`, text the grids could not hold, such as sideways labels);
    the rest are grouped into paragraphs and everything is put in reading order, the blocks
    inside each of `regions` (frames and panels drawn around them) read as one unit.
    """
    table_blocks: list[LayoutBlock] = []
    for grid in grids:
        segments = [s for s in segments if not centre_in(s, grid.box, margin=1.0)]
        block = LayoutBlock(kind="table", x0=grid.box[0], y0=grid.box[1], x1=grid.box[2], y1=grid.box[3])
        block.text_override = grid.reading_text()
        block.segments = [seg for cell in grid.cells for seg in cell.segments]
        table_blocks.append(block)
    segments = join_drop_caps(join_line_numbers(segments))
    blocks = group_blocks(segments + list(beside_tables)) + table_blocks + extra_blocks
    ordered = order_page(blocks, frame.height, frame.width, regions)
    _fill_result(result, ordered, grids, frame)


def _fill_result(result: PageResult, ordered: list[LayoutBlock], grids: list[Grid], frame: PageFrame) -> None:
    lines: list[Line] = []
    blocks: list[Block] = []
    texts: list[str] = []
    grid_by_box = {g.box: g for g in grids}
    for block in ordered:
        box = (block.x0, block.y0, block.x1, block.y1)
        text = block.text
        blocks.append(Block(kind=block.kind, text=text, bbox=frame.fraction(box)))
        if text:
            texts.append(text)
        segments = block.segments
        if block.kind != "table":
            segments = sorted(segments, key=lambda s: (s.y0, s.x0)) if len(segments) > 1 else segments
        for seg in segments:
            lines.append(Line(text=seg.text, bbox=frame.fraction((seg.x0, seg.y0, seg.x1, seg.y1)),
                              confidence=seg.confidence))
        grid = grid_by_box.get(box)
        if grid is not None:
            result.tables.append(_table_record(grid, frame))
    result.lines, result.blocks = lines, blocks
    result.text = "\n".join(texts)


def _table_record(grid: Grid, frame: PageFrame) -> Table:
    cells = [
        Cell(row=c.row, col=c.col, row_span=c.row_span, col_span=c.col_span,
             text=c.text, bbox=frame.fraction(c.box))
        for c in grid.cells
    ]
    return Table(bbox=frame.fraction(grid.box), n_rows=grid.n_rows, n_cols=grid.n_cols,
                 cells=cells, html=grid.to_html())
