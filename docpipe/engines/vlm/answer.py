"""What the VLM is asked to return for a page, and how its answer becomes a PageResult.

The model has no documented box format, so this schema defines one: boxes
are integers 0..1000 on the page image (x0, y0, x1, y1, origin top left),
which the model reads off the image whatever its pixel size; they become
0..1 fractions in the output. The JSON schema given to constrained decoding
is generated from these pydantic models, so the parser validates exactly
what the decoder was held to.
"""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from docpipe.layout.tables.grid import table_html
from docpipe.records import Block, BlockKind, Cell, Line, PageResult, Table

BOX_SCALE = 1000
Coordinate = Annotated[int, Field(ge=0, le=BOX_SCALE)]
VlmBox = Annotated[list[Coordinate], Field(min_length=4, max_length=4, description="x0, y0, x1, y1 in 0..1000")]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VlmLine(_Answer):
    text: str
    bbox: VlmBox
    # Set by the parser from token log-probabilities; not part of what the model writes.
    confidence: SkipJsonSchema[Optional[float]] = Field(None, exclude=True)


class VlmBlock(_Answer):
    kind: BlockKind
    bbox: VlmBox
    lines: list[VlmLine] = Field(description="the block's lines, top to bottom")


class VlmCell(_Answer):
    row: Annotated[int, Field(ge=0)]
    col: Annotated[int, Field(ge=0)]
    row_span: Annotated[int, Field(ge=1)] = 1
    col_span: Annotated[int, Field(ge=1)] = 1
    text: str
    bbox: VlmBox


class VlmTable(_Answer):
    bbox: VlmBox
    cells: list[VlmCell] = Field(description="row by row, 0-based rows and columns")


class VlmPage(_Answer):
    """The page answer: blocks in reading order (tables appear as `table` blocks too)."""

    blocks: list[VlmBlock]
    tables: list[VlmTable] = []


def page_json_schema() -> dict:
    return VlmPage.model_json_schema()


def fraction_box(box: list[int]) -> list[float]:
    """0..1000 integers (possibly out of order or range, after repair) -> ordered 0..1 fractions."""
    x0, y0, x1, y1 = (min(BOX_SCALE, max(0, int(v))) / BOX_SCALE for v in box)
    return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]


def to_page_result(answer: VlmPage, result: PageResult) -> PageResult:
    """Fill `result` from the answer (a line without a measured confidence gets 1.0, as a text layer does)."""
    lines: list[Line] = []
    blocks: list[Block] = []
    texts: list[str] = []
    for block in answer.blocks:
        block_lines = []
        for line in block.lines:
            if not line.text.strip():
                continue
            block_lines.append(line.text.strip())
            lines.append(Line(text=line.text.strip(), bbox=fraction_box(line.bbox),
                              confidence=1.0 if line.confidence is None else line.confidence))
        text = "\n".join(block_lines)
        blocks.append(Block(kind=block.kind, text=text, bbox=fraction_box(block.bbox)))
        if text:
            texts.append(text)
    result.lines, result.blocks = lines, blocks
    result.tables = [_table(t) for t in answer.tables if t.cells]
    result.text = "\n".join(texts)
    result.engine = "vlm"
    return result


def _table(table: VlmTable) -> Table:
    cells = [
        Cell(row=c.row, col=c.col, row_span=c.row_span, col_span=c.col_span, text=c.text.strip(),
             bbox=fraction_box(c.bbox))
        for c in sorted(table.cells, key=lambda c: (c.row, c.col))
    ]
    n_rows = max(c.row + c.row_span for c in cells)
    n_cols = max(c.col + c.col_span for c in cells)
    return Table(bbox=fraction_box(table.bbox), n_rows=n_rows, n_cols=n_cols, cells=cells, html=table_html(cells, n_rows))

