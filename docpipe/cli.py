"""`docpipe run | eval | schema`: the command line."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Optional

import typer

from docpipe.config import Limits, RenderConfig, RunConfig

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
        "auto", help="auto (text layer when usable, else OCR) | text | ocr: force one engine for every page."),
    ocr_lang: str = typer.Option("eng", help="Tesseract languages, joined by '+', e.g. eng+deu."),
    ocr_dpi: int = typer.Option(300, min=72, max=1200, help="DPI at which PDF pages are rendered for OCR."),
    workers: Optional[int] = typer.Option(
        None, min=1, help="Page workers, one engine and one CPU each (default: one per CPU)."),
    password: Optional[str] = typer.Option(None, help="Password for encrypted PDFs."),
    address: Optional[str] = typer.Option(None, help="Ray cluster address to join (default: start a local Ray)."),
    num_cpus: Optional[int] = typer.Option(None, help="CPUs for the local Ray (default: all)."),
    pages_per_task: Optional[int] = typer.Option(
        None, min=1, help="Pages handled by one task (default: about 4 tasks per CPU, 8 to 64 pages)."),
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
) -> None:
    """Extract every page of INPUT into OUT/pages and OUT/documents."""
    from pydantic import ValidationError

    from docpipe.engines.tesseract import TesseractUnavailable
    from docpipe.ingest import InputError
    from docpipe.pipeline import run as run_pipeline
    from docpipe.sink import OutputError

    try:
        config = RunConfig(
            input=input, out=out, engine=engine, ocr_lang=ocr_lang, ocr_dpi=ocr_dpi, workers=workers,
            password=password, address=address, num_cpus=num_cpus, pages_per_unit=pages_per_task, save_images=save_images,
            progress=not quiet, page_timeout_s=page_timeout, commit_every_s=commit_every,
            limits=Limits(max_pixels=max_pixels, max_pages=max_pages,
                          max_file_bytes=int(max_file_mb * 2**20)),
            render=RenderConfig(renderer=renderer, dpi=dpi, image_format=image_format),
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
    except (InputError, OutputError, TesseractUnavailable) as exc:
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
