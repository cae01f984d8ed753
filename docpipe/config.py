"""Run configuration: one RunConfig per run, passed explicitly (no global instance).

The only home of defaults: `docpipe run`'s options take their defaults, bounds
and help from these fields (`docpipe.cli`), so the two cannot drift.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, Field

DEFAULT_VLM_MODEL = "nvidia/NVIDIA-Nemotron-Nano-12B-v2-VL-FP8"


class Limits(BaseModel):
    """Safe defaults; each one hit becomes an error row, never a crash."""

    max_file_bytes: int = Field(2 * 1024**3, description="Larger files are too_large.")
    max_pages: int = Field(50_000, description="Documents with more pages are too_large.")
    max_pixels: int = Field(
        180_000_000, description="Pixel limit per rendered page or input image (decompression bombs).",
    )
    max_page_points: float = Field(
        14_400.0, description="Longest page side in points (PDF's own limit is 14,400).",
    )


class RenderConfig(BaseModel):
    renderer: Literal["pymupdf", "poppler"] = Field("pymupdf", description="pymupdf | poppler (via pdf2image).")
    dpi: int = Field(150, ge=36, le=1200, description="DPI for rendered page images.")
    image_format: Literal["png", "jpeg"] = Field("png", description="png | jpeg for saved page images.")


class OcrConfig(BaseModel):
    """The OCR engine for pages without a usable text layer (when no VLM takes them)."""

    engine: str = Field("tesseract", description="OCR engine, by its name in docpipe.engines.registry.")
    lang: str = Field("eng", description="Tesseract languages, joined by '+', e.g. eng+deu.")
    reread: Optional[str] = Field(
        "Latin", description="Tesseract model that reads again the words --ocr-lang reads unsure (Latin has the "
        "accented letters eng lacks); 'none' to skip.",
    )
    script: Optional[str] = Field(
        "Fraktur", description="Tesseract model of another script for pages --ocr-lang reads unsure: such a page is "
        "read again with it and kept if it reads surer (Fraktur: German blackletter); 'none' to skip.",
    )
    dpi: int = Field(300, ge=72, le=1200, description="DPI at which PDF pages are rendered for OCR.")


class VlmConfig(BaseModel):
    """The vision-language model: a running OpenAI-compatible server (`url`), or vLLM in process on Ray GPU workers."""

    url: Optional[str] = Field(
        None, description="OpenAI-compatible server for the VLM (http://host:port/v1); without it, vLLM runs in "
        "process.")
    model: str = Field(DEFAULT_VLM_MODEL, description="VLM: model name on the server, or HF id / local path.")
    api_key_env: str = Field("DOCPIPE_VLM_API_KEY", description="Environment variable with the server's key.")
    json_mode: Literal["structured_outputs", "response_format", "none"] = Field(
        "structured_outputs", description="structured_outputs (vLLM) | response_format (OpenAI standard, NIM) | "
        "none (a server without constrained decoding: the schema goes in the prompt).",
    )
    concurrency: int = Field(8, ge=1, description="Requests in flight per server worker.")
    timeout_s: float = Field(300.0, gt=0, description="Seconds per VLM request.")
    http_retries: int = Field(4, ge=0, description="Retries with backoff on 429, 5xx, timeouts.")
    attempts: int = Field(2, ge=1, description="Tries per page (each retry samples hotter) before fallback.")
    max_tokens: int = Field(6144, ge=64, description="Tokens per page answer.")
    max_tiles: int = Field(12, ge=1, le=12, description="512x512 tiles per page image (max_num_tiles).")
    hints: bool = Field(False, description="Put the page's text-layer or OCR lines in the prompt.")
    workers: int = Field(1, ge=1, description="vLLM engines (in process) or server client workers.")
    gpus_per_worker: int = Field(1, ge=1, description="GPUs per vLLM engine (tensor parallel).")
    max_model_len: int = Field(32768, ge=1024, description="vLLM context length.")
    batch_size: int = Field(16, ge=1, description="Pages per batch sent to a vLLM engine.")
    schema_ref: Optional[str] = Field(
        None, description="Fill a pydantic model per document: FILE.py:Model or module:Model (writes "
        "OUT/extractions).")
    schema_pages: int = Field(8, ge=1, description="Page images per document sent for --schema.")


class RunConfig(BaseModel):
    input: str = Field(description="A file, a folder (searched recursively), a glob, or a URI.")
    out: str = Field(description="Output folder or URI for the Parquet datasets.")
    engine: Literal["auto", "text", "ocr", "vlm"] = Field(
        "auto",
        description="auto (text layer when usable, else the VLM when configured, else OCR) | text | ocr | vlm: "
        "force one engine for every page.",
    )
    password: Optional[str] = Field(None, description="Password for encrypted PDFs.")
    pages_per_unit: Optional[int] = Field(
        None, ge=1,
        description="Most pages handled by one task (default: about 2 tasks per CPU, 8 to 64 pages; smaller "
        "toward the end of a run).",
    )
    save_images: bool = Field(False, description="Write page images beside the Parquet.")
    address: Optional[str] = Field(None, description="Ray cluster address to join (default: start a local Ray).")
    num_cpus: Optional[int] = Field(None, description="CPUs for a local Ray of this run's own (default: join the "
                                    "Ray running on this machine, if any, else start one with all CPUs).")
    workers: Optional[int] = Field(
        None, ge=1, description="Page workers, one engine and one CPU each (default: one per CPU).",
    )
    page_timeout_s: float = Field(
        120.0, ge=0, description="Seconds one page may take; over it the page is a timeout row (0: no limit).",
    )
    commit_every_s: float = Field(
        10.0, gt=0,
        description="Seconds between commits of finished documents; a killed run keeps what was committed.",
    )
    progress: bool = Field(True, description="Print progress while the run goes.")
    chunks: bool = Field(
        False, description="Also write retrieval chunks of every committed document to OUT/chunks (once each).",
    )
    chunk_tokens: int = Field(
        512, ge=16, description="Most estimated tokens per chunk (a table is kept whole, so it may hold more).",
    )
    verbose: bool = Field(False, description="Show Ray's own logs and warnings and the workers' output (hidden by "
                          "default; they are in Ray's session logs either way).")
    limits: Limits = Limits()
    render: RenderConfig = RenderConfig()
    ocr: OcrConfig = OcrConfig()
    vlm: Optional[VlmConfig] = Field(None, description="configured: pages that need more than a text layer go to it")

    @property
    def vlm_pages(self) -> bool:
        """Do pages go to the VLM in this run (all of them, or those without a usable text layer)?"""
        return self.vlm is not None and self.engine in ("auto", "vlm")


class ViewConfig(BaseModel):
    """`docpipe view`: the static page viewer."""

    dpi: int = Field(
        100, ge=36, le=600, description="DPI of page images rendered from the sources (pages the run did not "
        "save with --save-images).")
