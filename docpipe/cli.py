"""`docpipe run | up | down | export | view | eval | schema`: the command line."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Optional

import typer
from pydantic import BaseModel

from docpipe.config import Limits, OcrConfig, RenderConfig, RunConfig, ViewConfig, VlmConfig

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="PDFs and page images to Parquet, on Ray Data.")


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"docpipe: error: {message}", err=True)
    raise typer.Exit(code=code)


def _option(model: type[BaseModel], name: str, *flags: str, **extra):
    """A typer option whose default, bounds and help are the config field's: config.py is their only home."""
    field = model.model_fields[name]
    bounds = {}
    for constraint in field.metadata:
        if getattr(constraint, "ge", None) is not None:
            bounds["min"] = constraint.ge
        if getattr(constraint, "le", None) is not None:
            bounds["max"] = constraint.le
    default = extra.pop("default", field.default)
    return typer.Option(default, *flags, help=field.description, **{**bounds, **extra})


@app.command()
def run(
    input: str = typer.Argument(..., help=RunConfig.model_fields["input"].description),
    out: str = typer.Option(..., "--out", "-o", help=RunConfig.model_fields["out"].description),
    engine: str = _option(RunConfig, "engine"),
    ocr_engine: str = _option(OcrConfig, "engine", "--ocr-engine"),
    ocr_lang: str = _option(OcrConfig, "lang", "--ocr-lang"),
    ocr_reread: str = _option(OcrConfig, "reread", "--ocr-reread"),
    ocr_script: str = _option(OcrConfig, "script", "--ocr-script"),
    ocr_dpi: int = _option(OcrConfig, "dpi", "--ocr-dpi"),
    workers: Optional[int] = _option(RunConfig, "workers"),
    password: Optional[str] = _option(RunConfig, "password"),
    address: Optional[str] = _option(RunConfig, "address"),
    num_cpus: Optional[int] = _option(RunConfig, "num_cpus"),
    pages_per_task: Optional[int] = _option(RunConfig, "pages_per_unit", "--pages-per-task"),
    renderer: str = _option(RenderConfig, "renderer"),
    dpi: int = _option(RenderConfig, "dpi"),
    image_format: str = _option(RenderConfig, "image_format"),
    save_images: bool = _option(RunConfig, "save_images", "--save-images"),
    max_pixels: int = _option(Limits, "max_pixels"),
    max_pages: int = _option(Limits, "max_pages"),
    max_file_mb: float = _option(Limits, "max_file_bytes", "--max-file-mb",
                                 default=Limits.model_fields["max_file_bytes"].default / 2**20),
    page_timeout: float = _option(RunConfig, "page_timeout_s", "--page-timeout"),
    commit_every: float = _option(RunConfig, "commit_every_s", "--commit-every", min=0.1),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or lines."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=RunConfig.model_fields["verbose"].description),
    chunks: bool = _option(RunConfig, "chunks", "--chunks"),
    chunk_tokens: int = _option(RunConfig, "chunk_tokens", "--chunk-tokens"),
    vlm_url: Optional[str] = _option(VlmConfig, "url", "--vlm-url"),
    vlm_in_process: bool = typer.Option(
        False, "--vlm-in-process", help="Configure the in-process vLLM for --engine auto (pages without a usable "
        "text layer go to it instead of OCR)."),
    model: str = _option(VlmConfig, "model"),
    vlm_api_key_env: str = _option(VlmConfig, "api_key_env", "--vlm-api-key-env"),
    vlm_json_mode: str = _option(VlmConfig, "json_mode", "--vlm-json-mode"),
    vlm_concurrency: int = _option(VlmConfig, "concurrency", "--vlm-concurrency"),
    vlm_timeout: float = _option(VlmConfig, "timeout_s", "--vlm-timeout", min=1),
    vlm_attempts: int = _option(VlmConfig, "attempts", "--vlm-attempts"),
    max_tokens: int = _option(VlmConfig, "max_tokens"),
    max_tiles: int = _option(VlmConfig, "max_tiles"),
    vlm_hints: bool = _option(VlmConfig, "hints", "--vlm-hints"),
    vlm_workers: int = _option(VlmConfig, "workers", "--vlm-workers"),
    gpus_per_worker: int = _option(VlmConfig, "gpus_per_worker"),
    max_model_len: int = _option(VlmConfig, "max_model_len"),
    vlm_batch_size: int = _option(VlmConfig, "batch_size", "--vlm-batch-size"),
    schema: Optional[str] = _option(VlmConfig, "schema_ref", "--schema"),
    schema_pages: int = _option(VlmConfig, "schema_pages"),
) -> None:
    """Extract every page of INPUT into OUT/pages and OUT/documents."""
    from pydantic import ValidationError

    from docpipe.errors import RunError
    from docpipe.runner.console import native_stderr_hidden
    from docpipe.runner.pipeline import run as run_pipeline

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
            input=input, out=out, engine=engine, workers=workers, password=password, address=address,
            num_cpus=num_cpus, pages_per_unit=pages_per_task, save_images=save_images, progress=not quiet,
            verbose=verbose, page_timeout_s=page_timeout, commit_every_s=commit_every, chunks=chunks,
            chunk_tokens=chunk_tokens,
            ocr=OcrConfig(engine=ocr_engine, lang=ocr_lang, dpi=ocr_dpi,
                          reread=None if ocr_reread.lower() == "none" else ocr_reread,
                          script=None if ocr_script.lower() == "none" else ocr_script),
            limits=Limits(max_pixels=max_pixels, max_pages=max_pages, max_file_bytes=int(max_file_mb * 2**20)),
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
    from docpipe.runner.session import exit_process

    try:
        with native_stderr_hidden(enabled=not verbose):  # Ray's C++ lines; its Python logs: runner.session
            # Ray is left up: this process ends right after, faster than Ray's own shutdown.
            summary = run_pipeline(config, shutdown_ray=False)
    except RunError as exc:
        typer.echo(f"docpipe: error: {exc}", err=True)
        exit_process(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:  # before the run started (discovery, preflight): nothing to keep
        _fail("interrupted (Ctrl-C) before any work started", 130)
    _print_summary(summary)
    exit_process(0)


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
    if summary.chunks:
        lines.append(f"chunks: {summary.chunks} written to {summary.out}/chunks")
    if summary.skipped:
        lines.append(f"resumed: {summary.skipped} documents already complete in the output were skipped")
    lines.append(f"wall time: {summary.wall_s:.1f} s; run {summary.run_id}")
    lines.append(f"output: {summary.out}/pages, {summary.out}/documents")
    typer.echo("\n".join(lines))


@app.command()
def up(
    num_cpus: Optional[int] = typer.Option(None, "--num-cpus", help="CPUs the Ray may use (default: all)."),
) -> None:
    """Start a Ray on this machine that every `docpipe run` joins, warm, until `docpipe down`.

    A run then skips starting and stopping Ray of its own (a one-page run: about 3 s instead of 6)."""
    from docpipe.runner.session import start_local_ray

    try:
        address = start_local_ray(num_cpus)
    except RuntimeError as exc:
        _fail(f"could not start Ray: {str(exc).rstrip('.')}. If a Ray is already running here, runs join it as it is; "
              "`docpipe down` stops it")
    typer.echo(f"Ray is up at {address}: `docpipe run` joins it (unless --num-cpus or --address); "
               "`docpipe down` stops it")


@app.command()
def down() -> None:
    """Stop the Ray on this machine (`ray stop`: every Ray of this user here, a run's own too)."""
    from docpipe.runner.session import stop_local_ray

    typer.echo(stop_local_ray())


EXPORT_FORMATS = ("markdown", "html", "json", "chunks")


@app.command()
def export(
    out: str = typer.Argument(..., help="A docpipe output folder or URI (holding documents/ and pages/)."),
    format: str = typer.Option("markdown", "--format", "-f", help="markdown | html | json: one file per "
                               "document; chunks: DIR/chunks.parquet for retrieval."),
    to: str = typer.Option(..., "--to", help="Folder or URI to write into."),
    keep_headers: bool = typer.Option(False, "--keep-headers", help="Keep running headers and footers "
                                      "(markdown, html)."),
    max_tokens: int = _option(RunConfig, "chunk_tokens", "--max-tokens"),
) -> None:
    """Write OUT's documents as Markdown, HTML or JSON files, or as retrieval chunks (from the Parquet only)."""
    from docpipe.errors import OutputError

    if format not in EXPORT_FORMATS:
        _fail(f"--format {format}: choose one of {', '.join(EXPORT_FORMATS)}")
    try:
        if format == "chunks":
            from docpipe.export.chunk_files import EXPORT_NAME, export_chunks

            n = export_chunks(out, to, max_tokens)
            typer.echo(f"chunks: {n} written to {to.rstrip('/')}/{EXPORT_NAME}")
            return
        from docpipe.export.files import export_files

        summary = export_files(out, to, format, keep_headers)
    except OutputError as exc:
        _fail(str(exc))
    except (FileNotFoundError, OSError) as exc:
        _fail(f"cannot read the output at {out}: {exc}")
    for source, why in summary.skipped:
        typer.echo(f"skipped (status error): {source}: {why}")
    typer.echo(f"{format}: {len(summary.written)} files written to {to}, {len(summary.skipped)} documents "
               "skipped (status error)")


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
def view(
    out: str = typer.Argument(..., help="A docpipe output folder or URI (holding documents/ and pages/)."),
    to: Path = typer.Option(..., "--to", help="Folder to write the viewer into; open its index.html."),
    dpi: int = _option(ViewConfig, "dpi"),
    password: Optional[str] = _option(RunConfig, "password"),
) -> None:
    """A static page viewer of OUT: each page's image with its lines, blocks and table cells drawn over it."""
    from docpipe.export.view import build_viewer

    try:
        summary = build_viewer(out, str(to), dpi=dpi, password=password)
    except (FileNotFoundError, OSError) as exc:
        _fail(f"cannot read the output at {out}: {exc}")
    typer.echo(f"viewer: {summary.documents} documents, {summary.pages} pages; open {summary.index}")


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
