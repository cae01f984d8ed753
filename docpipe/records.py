"""Records that flow through docpipe and land in Parquet.

These pydantic models are the single source of truth for the output contract
(DESIGN.md section 3); `docpipe.arrow` derives the Arrow schemas from them.
Boxes are `[x0, y0, x1, y1]` fractions (0..1) of the page as displayed
upright, origin top left.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from docpipe.arrow_types import Float32, Int32

BBox = Annotated[list[Float32], Field(min_length=4, max_length=4)]

Engine = Literal["text", "ocr", "vlm"]
Status = Literal["ok", "partial", "error"]
BlockKind = Literal[
    "title", "heading", "paragraph", "list", "table", "figure",
    "caption", "header", "footer", "footnote", "formula", "code",
]

# error_kind values written to documents and pages rows.
ErrorKind = Literal[
    "not_found",           # the path vanished between discovery and reading
    "unsupported_format",  # bytes are neither a PDF nor a supported image
    "encrypted",           # needs a password we were not given (or a wrong one)
    "corrupt",             # the file cannot be parsed
    "too_large",           # file, page count or page pixels over a limit
    "timeout",             # a page or document exceeded its time limit
    "engine_unavailable",  # the page needs an engine this run does not have
    "engine_error",        # the engine failed on this page
    "worker_lost",         # the worker process died on this page on every try (crash, out of memory)
    "empty",               # a document with no pages
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Line(_Record):
    text: str
    bbox: BBox
    confidence: Float32 = 1.0


class Block(_Record):
    kind: BlockKind
    text: str
    bbox: BBox


class Cell(_Record):
    row: Int32
    col: Int32
    row_span: Int32 = 1
    col_span: Int32 = 1
    text: str
    bbox: BBox


class Table(_Record):
    bbox: BBox
    n_rows: Int32
    n_cols: Int32
    cells: list[Cell]
    html: str


class PageResult(_Record):
    """One row of OUT/pages: a page that was reached."""

    doc_id: str
    source: str
    page: Int32 = Field(description="1-based page number")
    width: Optional[Float32] = Field(None, description="points, as displayed upright")
    height: Optional[Float32] = None
    rotation: Int32 = Field(0, description="degrees applied to show the page upright")
    engine: Optional[Engine] = None
    text: str = ""
    lines: list[Line] = []
    blocks: list[Block] = []
    tables: list[Table] = []
    status: Status = "ok"
    error_kind: Optional[ErrorKind] = None
    error: Optional[str] = None
    elapsed_ms: Float32 = 0.0
    image_path: Optional[str] = Field(None, description="rendered page image (--save-images)")


class DocumentResult(_Record):
    """One row of OUT/documents: exactly one per input file."""

    doc_id: Optional[str] = Field(None, description="sha256 of the bytes; null if unreadable")
    source: str
    mime: Optional[str] = None
    bytes: Optional[int] = None
    n_pages: Optional[Int32] = None
    status: Status
    error_kind: Optional[ErrorKind] = None
    error: Optional[str] = None
    pages_ok: Int32 = 0
    pages_failed: Int32 = 0
    engines: list[str] = []
    run_id: str
    docpipe_version: str
    elapsed_s: float = 0.0


class VlmPageTask(_Record):
    """A page on its way to the VLM (not output): the image it will see, and how to place the answer."""

    doc_id: str
    source: str
    mime: str
    page: Int32
    width: Optional[Float32] = None
    height: Optional[Float32] = None
    rotation: Int32 = 0
    image: bytes = Field(description="PNG sized for the model's 512x512 tiling")
    hints: Optional[list[str]] = Field(None, description="text-layer or OCR lines for the prompt (--vlm-hints)")
    elapsed_ms: Float32 = 0.0
    image_path: Optional[str] = None
