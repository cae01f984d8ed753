"""Run configuration: one RunConfig per run, passed explicitly (no global instance)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, Field


class Limits(BaseModel):
    """Safe defaults; each one hit becomes an error row, never a crash."""

    max_file_bytes: int = Field(2 * 1024**3, description="files larger than this are too_large")
    max_pages: int = Field(50_000, description="documents with more pages are too_large")
    max_pixels: int = Field(
        180_000_000,
        description="pixels per rendered page or input image (decompression bombs)",
    )
    max_page_points: float = Field(
        14_400.0, description="longest page side in points (PDF's own limit is 14,400)"
    )


class RenderConfig(BaseModel):
    renderer: Literal["pymupdf", "poppler"] = "pymupdf"
    dpi: int = Field(150, ge=36, le=1200, description="DPI for saved page images")
    image_format: Literal["png", "jpeg"] = "png"


class RunConfig(BaseModel):
    input: str
    out: str
    engine: Literal["auto", "text", "ocr"] = Field(
        "auto", description="auto: text layer when usable, else OCR; text or ocr: that engine for every page",
    )
    ocr_lang: str = Field("eng", description="Tesseract languages, joined by '+' (eng+deu)")
    ocr_dpi: int = Field(300, ge=72, le=1200, description="DPI at which PDF pages are rendered for OCR")
    password: Optional[str] = None
    pages_per_unit: Optional[int] = Field(
        None, ge=1,
        description="pages per extraction task; by default sized to the run (see pipeline.task_pages)",
    )
    save_images: bool = False
    address: Optional[str] = Field(None, description="Ray cluster to join; local Ray when None")
    num_cpus: Optional[int] = Field(None, description="CPUs for a local Ray (default: all)")
    workers: Optional[int] = Field(
        None, ge=1, description="page workers (one engine each, one CPU each); default: one per CPU",
    )
    page_timeout_s: float = Field(
        120.0, ge=0, description="seconds one page may take before it becomes a timeout row; 0: no limit",
    )
    commit_every_s: float = Field(
        10.0, gt=0, description="seconds between commits of finished documents (see docpipe.resume)",
    )
    progress: bool = True
    limits: Limits = Limits()
    render: RenderConfig = RenderConfig()
