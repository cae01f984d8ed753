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


DEFAULT_VLM_MODEL = "nvidia/NVIDIA-Nemotron-Nano-12B-v2-VL-FP8"


class VlmConfig(BaseModel):
    """The vision-language model: a running OpenAI-compatible server (`url`), or vLLM in process on Ray GPU workers."""

    url: Optional[str] = Field(None, description="OpenAI-compatible base URL (.../v1); None: vLLM in process")
    model: str = Field(DEFAULT_VLM_MODEL, description="model name on the server, or HF id / local path for vLLM")
    api_key_env: str = Field("DOCPIPE_VLM_API_KEY", description="environment variable holding the server's API key")
    json_mode: Literal["structured_outputs", "response_format"] = Field(
        "structured_outputs",
        description="how the JSON schema is sent: vLLM's structured_outputs, or OpenAI's response_format",
    )
    concurrency: int = Field(8, ge=1, description="requests in flight per server worker")
    timeout_s: float = Field(300.0, gt=0, description="per request")
    http_retries: int = Field(4, ge=0, description="retries with backoff on 429, 5xx, timeouts")
    attempts: int = Field(2, ge=1, description="tries per page; each retry samples at a higher temperature")
    max_tokens: int = Field(6144, ge=64, description="per page answer")
    max_tiles: int = Field(12, ge=1, le=12, description="512x512 tiles per image (mm_processor_kwargs max_num_tiles)")
    hints: bool = Field(False, description="put the text-layer or OCR lines of the page in the prompt")
    workers: int = Field(1, ge=1, description="vLLM engines (in process) or server client workers")
    gpus_per_worker: int = Field(1, ge=1, description="GPUs per vLLM engine (tensor parallel size)")
    max_model_len: int = Field(32768, ge=1024, description="vLLM context length")
    batch_size: int = Field(16, ge=1, description="pages per batch sent to a vLLM engine")
    schema_ref: Optional[str] = Field(None, description="FILE.py:Model or module:Model to fill per document")
    schema_pages: int = Field(8, ge=1, description="page images per document sent for schema extraction")


class RunConfig(BaseModel):
    input: str
    out: str
    engine: Literal["auto", "text", "ocr", "vlm"] = Field(
        "auto",
        description="auto: text layer when usable, else the VLM when configured, else OCR; "
        "text, ocr or vlm: that engine for every page",
    )
    ocr_lang: str = Field("eng", description="Tesseract languages, joined by '+' (eng+deu)")
    ocr_reread: Optional[str] = Field(
        "Latin", description="Tesseract model that reads again the words ocr_lang reads unsure (Latin: "
        "Tesseract's Latin-script model, with the accented letters eng lacks); None: no second reading",
    )
    ocr_dpi: int = Field(300, ge=72, le=1200, description="DPI at which PDF pages are rendered for OCR")
    password: Optional[str] = None
    pages_per_unit: Optional[int] = Field(
        None, ge=1,
        description="most pages per extraction task; by default sized to the run (see plan.task_pages, plan.bundle_units)",
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
    vlm: Optional[VlmConfig] = Field(None, description="configured: pages that need more than a text layer go to it")

    @property
    def vlm_pages(self) -> bool:
        """Do pages go to the VLM in this run (all of them, or those without a usable text layer)?"""
        return self.vlm is not None and self.engine in ("auto", "vlm")
