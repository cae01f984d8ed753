"""`docpipe run | eval | schema`: the command line."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Optional

import typer

from docpipe.config import DEFAULT_VLM_MODEL, Limits, RenderConfig, RunConfig, VlmConfig

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="PDFs and page images to Parquet, on Ray Data.")


def _fail(message: str) -> None:
    typer.echo(f"docpipe: error: {message}", err=True)
    raise typer.Exit(code=2)


@app.command()
def run(
    input: str = typer.Argument(..., help="A file, a folder (searched recursively), a glob, or a URI."),
    out: str = typer.Option(..., "--out", "-o", help="Output folder or URI for the Parquet datasets."),
    engine: str = typer.Option(
        "auto", help="auto (text layer when usable, else the VLM when configured, else OCR) | text | ocr | vlm: "
        "force one engine for every page."),
    ocr_lang: str = typer.Option("eng", help="Tesseract languages, joined by '+', e.g. eng+deu."),
    ocr_reread: str = typer.Option(
        "Latin", help="Tesseract model that reads again the words --ocr-lang reads unsure (Latin has the "
        "accented letters eng lacks); 'none' to skip."),
    ocr_dpi: int = typer.Option(300, min=72, max=1200, help="DPI at which PDF pages are rendered for OCR."),
    workers: Optional[int] = typer.Option(
        None, min=1, help="Page workers, one engine and one CPU each (default: one per CPU)."),
    password: Optional[str] = typer.Option(None, help="Password for encrypted PDFs."),
    address: Optional[str] = typer.Option(None, help="Ray cluster address to join (default: start a local Ray)."),
    num_cpus: Optional[int] = typer.Option(None, help="CPUs for the local Ray (default: all)."),
    pages_per_task: Optional[int] = typer.Option(
        None, min=1, help="Most pages handled by one task (default: about 4 tasks per CPU, 8 to 64 pages; smaller toward the end of a run)."),
    renderer: str = typer.Option("pymupdf", help="pymupdf | poppler (via pdf2image)."),
    dpi: int = typer.Option(150, min=36, max=1200, help="DPI for rendered page images."),
    image_format: str = typer.Option("png", help="png | jpeg for saved page images."),
    save_images: bool = typer.Option(False, "--save-images", help="Write page images beside the Parquet."),
    max_pixels: int = typer.Option(Limits().max_pixels, help="Pixel limit per rendered page or input image."),
    max_pages: int = typer.Option(Limits().max_pages, help="Documents with more pages are too_large."),
    max_file_mb: float = typer.Option(Limits().max_file_bytes / 2**20, help="Larger files are too_large."),
    page_timeout: float = typer.Option(
        RunConfig.model_fields["page_timeout_s"].default, min=0,
        help="Seconds one page may take; over it the page is a timeout row (0: no limit)."),
    commit_every: float = typer.Option(
        RunConfig.model_fields["commit_every_s"].default, min=0.1,
        help="Seconds between commits of finished documents; a killed run keeps what was committed."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress line."),
    vlm_url: Optional[str] = typer.Option(
        None, help="OpenAI-compatible server for the VLM (http://host:port/v1); without it, vLLM runs in process."),
    vlm_in_process: bool = typer.Option(
        False, "--vlm-in-process", help="Configure the in-process vLLM for --engine auto (pages without a usable "
        "text layer go to it instead of OCR)."),
    model: str = typer.Option(DEFAULT_VLM_MODEL, help="VLM: model name on the server, or HF id / local path."),
    vlm_api_key_env: str = typer.Option("DOCPIPE_VLM_API_KEY", help="Environment variable with the server's key."),
    vlm_json_mode: str = typer.Option(
        "structured_outputs", help="structured_outputs (vLLM) | response_format (OpenAI standard, NIM)."),
    vlm_concurrency: int = typer.Option(8, min=1, help="Requests in flight per server worker."),
    vlm_timeout: float = typer.Option(300.0, min=1, help="Seconds per VLM request."),
    vlm_attempts: int = typer.Option(2, min=1, help="Tries per page (each retry samples hotter) before fallback."),
    max_tokens: int = typer.Option(6144, min=64, help="Tokens per page answer."),
    max_tiles: int = typer.Option(12, min=1, max=12, help="512x512 tiles per page image (max_num_tiles)."),
    vlm_hints: bool = typer.Option(False, "--vlm-hints", help="Put the page's text-layer or OCR lines in the prompt."),
    vlm_workers: int = typer.Option(1, min=1, help="vLLM engines (in process) or server client workers."),
    gpus_per_worker: int = typer.Option(1, min=1, help="GPUs per vLLM engine (tensor parallel)."),
    max_model_len: int = typer.Option(32768, min=1024, help="vLLM context length."),
    vlm_batch_size: int = typer.Option(16, min=1, help="Pages per batch sent to a vLLM engine."),
    schema: Optional[str] = typer.Option(
        None, help="Fill a pydantic model per document: FILE.py:Model or module:Model (writes OUT/extractions)."),
    schema_pages: int = typer.Option(8, min=1, help="Page images per document sent for --schema."),
) -> None:
    """Extract every page of INPUT into OUT/pages and OUT/documents."""
    from pydantic import ValidationError

    from docpipe.engines.tesseract import TesseractUnavailable
    from docpipe.ingest import InputError
    from docpipe.pipeline import run as run_pipeline
    from docpipe.sink import OutputError
    from docpipe.vlm.server import VlmUnavailable

    try:
        vlm = None
        if engine == "vlm" or vlm_url or vlm_in_process or schema:
            vlm = VlmConfig(
                url=vlm_url, model=model, api_key_env=vlm_api_key_env, json_mode=vlm_json_mode,
                concurrency=vlm_concurrency, timeout_s=vlm_timeout, attempts=vlm_attempts, max_tokens=max_tokens,
                max_tiles=max_tiles, hints=vlm_hints, workers=vlm_workers, gpus_per_worker=gpus_per_worker,
                max_model_len=max_model_len, batch_size=vlm_batch_size, schema_ref=schema, schema_pages=schema_pages,
            )
        config = RunConfig(
            input=input, out=out, engine=engine, ocr_lang=ocr_lang, ocr_dpi=ocr_dpi,
            ocr_reread=None if ocr_reread.lower() == "none" else ocr_reread, workers=workers,
            password=password, address=address, num_cpus=num_cpus, pages_per_unit=pages_per_task, save_images=save_images,
            progress=not quiet, page_timeout_s=page_timeout, commit_every_s=commit_every,
            limits=Limits(max_pixels=max_pixels, max_pages=max_pages,
                          max_file_bytes=int(max_file_mb * 2**20)),
            render=RenderConfig(renderer=renderer, dpi=dpi, image_format=image_format), vlm=vlm,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        _fail(f"invalid option {where}: {first['msg']}")
    if renderer == "poppler":
        import shutil

        if shutil.which("pdftoppm") is None:
            _fail("--renderer poppler needs poppler-utils (apt-get install poppler-utils; brew install poppler)")
    try:
        summary = run_pipeline(config)
    except (InputError, OutputError, TesseractUnavailable, VlmUnavailable) as exc:
        _fail(str(exc))
    _print_summary(summary)


def _print_summary(summary) -> None:
    docs = summary.documents
    statuses = Counter(d.status for d in docs)
    kinds = Counter(d.error_kind for d in docs if d.status == "error")
    lines = [
        f"documents: {len(docs)} ({statuses.get('ok', 0)} ok, {statuses.get('partial', 0)} partial, "
        f"{statuses.get('error', 0)} error)",
    ]
    if kinds:
        lines.append("errors by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    engines = ", ".join(f"{k} {n}" for k, n in sorted(summary.pages_by_engine.items())) or "none"
    lines.append(f"pages: {sum(summary.pages_by_engine.values())} ok by engine ({engines}), "
                 f"{summary.pages_failed} failed")
    if summary.extractions:
        lines.append(f"extractions: {summary.extractions} rows in {summary.out}/extractions")
    if summary.skipped:
        lines.append(f"resumed: {summary.skipped} documents already complete in the output were skipped")
    lines.append(f"wall time: {summary.wall_s:.1f} s; run {summary.run_id}")
    lines.append(f"output: {summary.out}/pages, {summary.out}/documents")
    typer.echo("\n".join(lines))


@app.command("eval")
def eval_(
    out: str = typer.Argument(..., help="A docpipe output folder (holding pages/)."),
    truth: Path = typer.Option(..., "--truth", help="Folder of ground truth: NAME.txt, NAME.pN.txt, "
                               "NAME.pN.tK.csv, NAME.str.xml."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object."),
    worst: int = typer.Option(10, help="How many of the worst pages to list."),
) -> None:
    """Score OUT against ground truth: page CER and WER, table cell accuracy, ICDAR-2013 F1."""
    import json

    from docpipe.evaluate.score import evaluate, format_report

    if not truth.is_dir():
        _fail(f"--truth {truth} is not a folder")
    try:
        result = evaluate(out, truth, worst=worst)
    except (FileNotFoundError, OSError) as exc:
        _fail(f"cannot read the output at {out}: {exc}")
    typer.echo(json.dumps(result, indent=2) if json_output else format_report(result))


@app.command()
def schema(
    write: Optional[Path] = typer.Option(None, help="Write the JSON schemas into this folder."),
) -> None:
    """Print (or write) the Arrow schemas of the output, as JSON."""
    from docpipe.arrow import dump_schemas

    files = dump_schemas()
    if write is None:
        for name, text in files.items():
            typer.echo(f"# {name}\n{text}")
        return
    write.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (write / name).write_text(text)


def main() -> None:
    app(prog_name="docpipe")


if __name__ == "__main__":
    sys.exit(main())
