"""Every row that crosses a stage or lands in Parquet, as pydantic models (unknown fields refused).

These models are the single source of truth for the output contract
(DESIGN.md section 3) and for the rows stages hand each other; `docpipe.arrow`
derives every Arrow schema from them. Boxes are `[x0, y0, x1, y1]` fractions
(0..1) of the page as displayed upright, origin top left.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Written into every documents row; pyproject.toml reads the package version from here.
DOCPIPE_VERSION = "0.1.0"


class ArrowWidth:
    """Width marker for numbers, read by `docpipe.arrow` when it derives Arrow types.

    Python has one int and one float; Parquet readers care about the width, and
    boxes in float32 halve the size of the lines column.
    """

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"ArrowWidth({self.name})"


Float32 = Annotated[float, ArrowWidth("float32")]
Int32 = Annotated[int, ArrowWidth("int32")]
BBox = Annotated[list[Float32], Field(min_length=4, max_length=4)]

Engine = Literal["text", "ocr", "vlm"]
Status = Literal["ok", "partial", "error"]
BlockKind = Literal[
    "title", "heading", "paragraph", "list", "table", "figure",
    "caption", "header", "footer", "footnote", "formula", "code", "page_number",
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


_SURROGATES = re.compile("[\ud800-\udfff]")


def replace_unencodable(text: str) -> str:
    """`text` with every code point UTF-8 cannot carry (lone surrogates, U+D800..U+DFFF) as U+FFFD.

    Python strings can hold them (PyMuPDF's per-glyph text, `surrogateescape`d
    bytes, JSON's `\\udcxx` escapes); Arrow, Parquet and every UTF-8 reader refuse them.
    """
    return _SURROGATES.sub("\ufffd", text)


def _clean(value):
    if isinstance(value, str):
        return value if value.isascii() else replace_unencodable(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


class _Record(BaseModel):
    """Every record; its strings are made safe for Arrow as they enter (`replace_unencodable`)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _safe_text(cls, value):
        return _clean(value)


# ---------------------------------------------------------------- OUT/pages, OUT/documents, OUT/chunks

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

    @classmethod
    def failed(cls, doc_id: str, source: str, page: int, kind: ErrorKind, message: str, **fields) -> PageResult:
        """The error row of a page: every failure of a page is written through here."""
        return cls(doc_id=doc_id, source=source, page=page, status="error", error_kind=kind, error=message,
                   **fields)


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


class ChunkBox(_Record):
    page: Int32
    bbox: BBox


class Chunk(_Record):
    """One row of OUT/chunks: a piece of one document for retrieval, cut along its structure."""

    chunk_id: str = Field(description="doc_id:ordinal, stable for the same output and --max-tokens")
    doc_id: str
    source: str
    ordinal: Int32 = Field(description="0-based position of the chunk in its document")
    text: str = Field(description="Markdown: paragraphs, list items, a table as a pipe table")
    heading: list[str] = Field(description="the path of headings above the chunk, outermost first")
    pages: list[Int32] = Field(description="1-based pages the chunk's text is on")
    boxes: list[ChunkBox] = Field(description="every line, block or table the chunk came from")
    n_tokens: Int32 = Field(description="estimated tokens (docpipe.export.chunks.estimate_tokens)")


# ---------------------------------------------------------------- rows between stages (not output)

class DocumentProbe(_Record):
    """What the probe stage learns about one input file."""

    source: str
    doc_id: Optional[str] = None
    mime: Optional[str] = None
    bytes: Optional[int] = None
    n_pages: Optional[int] = None
    error_kind: Optional[ErrorKind] = None
    error: Optional[str] = None
    repaired: Optional[str] = None  # the file was damaged; how its pages were recovered
    likely_scan: bool = False  # its pages will most likely need OCR (sizes its work units)
    elapsed_s: float = 0.0


class WorkUnit(_Record):
    """A page range of one document: the unit of work for extraction tasks."""

    source: str
    doc_id: str
    mime: str
    page_start: int  # 0-based, inclusive
    page_stop: int  # exclusive
    likely_scan: bool = False


class PageSummary(_Record):
    """What comes back to the driver for each page: progress, documents rows, the next pass's work."""

    doc_id: str
    source: str
    page: Int32
    engine: Optional[Engine] = None
    # retry: the VLM is asked again next pass; unwritten: the page's part could not be written
    # (the output store failed; the driver ends the run with the message in `error`).
    status: Literal["ok", "partial", "error", "retry", "unwritten"] = "ok"
    error_kind: Optional[ErrorKind] = None
    error: Optional[str] = None
    elapsed_ms: Float32 = 0.0


class VlmPageTask(_Record):
    """A page on its way to the VLM: the image it will see, and how to place the answer."""

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


class VlmStreamRow(_Record):
    """A row of a VLM pass's stream: `done` (a page another engine finished; its summary travels on)
    or `vlm` (a VlmPageTask). Every column may be null: the two kinds fill different ones."""

    kind: Optional[Literal["done", "vlm"]] = None
    doc_id: Optional[str] = None
    source: Optional[str] = None
    mime: Optional[str] = None
    page: Optional[Int32] = None
    engine: Optional[str] = None
    status: Optional[str] = None
    error_kind: Optional[str] = None
    error: Optional[str] = None
    elapsed_ms: Optional[Float32] = None
    width: Optional[Float32] = None
    height: Optional[Float32] = None
    rotation: Optional[Int32] = None
    image: Optional[bytes] = None
    hints: Optional[list[Optional[str]]] = None
    image_path: Optional[str] = None


class VlmAnswer(_Record):
    """The columns the answer stage adds to a VLM stream row."""

    answer: Optional[str] = None
    finish_reason: Optional[str] = None
    logprobs: Optional[str] = Field(None, description="JSON [[token, logprob], ...]")
    vlm_error: Optional[str] = None


class ExtractionRequest(_Record):
    """One document on its way to schema extraction: its first page images and all its text."""

    doc_id: Optional[str] = None
    source: Optional[str] = None
    images: Optional[list[Optional[bytes]]] = None
    text: Optional[str] = Field(None, description="JSON list of the pages' text")
    failure: Optional[str] = None


class ExtractionAnswer(_Record):
    """A document's extraction as the answer stage returns it (`result`: an ExtractionRow's fields, as JSON)."""

    doc_id: Optional[str] = None
    source: Optional[str] = None
    result: Optional[str] = None


class ExtractionRow(_Record):
    """The fixed columns of OUT/extractions; typed columns from the user's schema follow them."""

    doc_id: Optional[str] = None
    source: Optional[str] = None
    schema_: Optional[str] = Field(None, alias="schema")
    data: Optional[str] = Field(None, description="JSON that validates against the schema")
    valid: Optional[bool] = None
    error: Optional[str] = None
