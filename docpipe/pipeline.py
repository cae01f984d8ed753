"""The only module that wires stages into Ray Data.

discover (driver) -> probe: read, sniff, hash, count pages (Ray tasks)
  -> bundles of page ranges -> route, extract pages + write Parquet parts
     (a pool of Ray actors, one per CPU, each holding its own OCR engine)
  -> per-page summaries stream back to the driver -> documents rows.

Why the pages stage writes its own Parquet parts instead of ending in
`Dataset.write_parquet`: each part is committed atomically and a small summary
per page streams back, which drives the progress line and the documents rows
without a second pass over the output.

Why OCR runs inside the same actors as the text layer rather than as a
stage of its own (DESIGN.md's plan): routing is decided page by page while
the PDF is open, and handing a 300 DPI page to another stage would cost a
PNG encode and decode (about a tenth of its OCR time) and a trip through the
object store; on a small machine a task stage beside a fixed actor pool
also fights it for the CPUs. The GPU stage (VLM) will be separate, with
images crossing as encoded bytes.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Optional

import pyarrow as pa

from docpipe import __version__
from docpipe.arrow import DOCUMENTS_SCHEMA, PAGES_SCHEMA, to_table
from docpipe.config import RunConfig
from docpipe.ingest import OCR_PAGE_COST, DocumentProbe, WorkUnit, discover, probe, split_units, unit_cost
from docpipe.progress import Progress
from docpipe.records import DocumentResult, PageResult
from docpipe.sink import DOCUMENTS_DIR, PAGES_DIR, prepare_output, write_table

SUMMARY_COLUMNS = ["doc_id", "source", "page", "engine", "status", "error_kind", "error", "elapsed_ms"]


@dataclass
class RunSummary:
    run_id: str
    out: str
    documents: list[DocumentResult] = field(default_factory=list)
    pages_by_engine: dict[str, int] = field(default_factory=dict)
    pages_failed: int = 0
    wall_s: float = 0.0


# ---------------------------------------------------------------- stage functions (run in Ray tasks)

def probe_batch(batch: pa.Table, config: dict) -> pa.Table:
    run_config = RunConfig.model_validate(config)
    rows = [
        probe(source, run_config.limits, run_config.password).model_dump()
        for source in batch.column("source").to_pylist()
    ]
    return pa.Table.from_pylist(rows, schema=_PROBE_SCHEMA)


def extract_and_write_batch(batch: pa.Table, config: RunConfig, ocr=None) -> pa.Table:
    """Extract every unit of the bundles in the batch, write one Parquet part, return summaries."""
    from docpipe.extract import extract_unit

    pages: list[PageResult] = []
    for bundle in batch.column("units").to_pylist():
        for unit_json in bundle:
            pages.extend(extract_unit(WorkUnit.model_validate_json(unit_json), config, ocr))
    table = to_table(pages, PAGES_SCHEMA)
    if table.num_rows:
        write_table(config.out, PAGES_DIR, table)
    return table.select(SUMMARY_COLUMNS)


class PageWorker:
    """A Ray Data actor: extracts bundles and writes their parts, with its own OCR engine.

    An actor rather than a task so that Tesseract's models load once per
    worker, on the first page that needs them (text-only runs never load them).
    """

    def __init__(self, config: dict):
        import os

        # One CPU per worker: a Tesseract built with OpenMP must not start threads
        # that fight the other workers (set before the library loads; a Ray
        # runtime_env would do the same but costs seconds of worker start-up).
        os.environ["OMP_THREAD_LIMIT"] = "1"
        self.config = RunConfig.model_validate(config)
        self._ocr = None

    def ocr_engine(self):
        if self._ocr is None:
            from docpipe.engines.tesseract import TesseractEngine

            self._ocr = TesseractEngine(self.config.ocr_lang)
        return self._ocr

    def __call__(self, batch: pa.Table) -> pa.Table:
        from docpipe.memory import release_memory

        summaries = extract_and_write_batch(batch, self.config, self.ocr_engine)
        release_memory()  # so a worker's footprint does not grow with document length
        return summaries


_PROBE_SCHEMA = pa.schema([
    ("source", pa.string()), ("doc_id", pa.string()), ("mime", pa.string()),
    ("bytes", pa.int64()), ("n_pages", pa.int64()), ("error_kind", pa.string()), ("error", pa.string()),
    ("repaired", pa.string()), ("likely_scan", pa.bool_()), ("elapsed_s", pa.float64()),
])


# ---------------------------------------------------------------- driver

MIN_TASK_PAGES, MAX_TASK_PAGES = 8, 64


def task_pages(total_pages: int, cpus: float) -> int:
    """Pages per task: about four tasks per CPU, within 8..64 pages.

    Each task costs Ray tens of milliseconds and re-opens its PDF, so tiny
    tasks waste the CPUs (measured: 8-page tasks on a 285-page book ran no
    faster on 2 CPUs than on 1); a few tasks per CPU still balance the load,
    and 64 pages caps what one task holds of a long document.
    """
    per_task = int(total_pages // max(1.0, 4 * cpus))
    return max(MIN_TASK_PAGES, min(MAX_TASK_PAGES, per_task))


def bundle_units(units: Iterable[WorkUnit], pages_per_bundle: int) -> list[list[str]]:
    """Pack page ranges into bundles worth about `pages_per_bundle` text pages (one part file each)."""
    bundles: list[list[str]] = []
    current: list[str] = []
    pages = 0
    for unit in units:
        size = unit_cost(unit)
        if current and pages + size > pages_per_bundle:
            bundles.append(current)
            current, pages = [], 0
        current.append(unit.model_dump_json())
        pages += size
    if current:
        bundles.append(current)
    return bundles


def _init_ray(config: RunConfig):
    import ray

    if ray.is_initialized():
        return ray, False
    if config.address:
        ray.init(address=config.address, logging_level=logging.WARNING, log_to_driver=False)
    else:
        ray.init(num_cpus=config.num_cpus, include_dashboard=False,
                 logging_level=logging.WARNING, log_to_driver=False)
    return ray, True


def _quiet_ray_data() -> None:
    from ray.data import DataContext

    logging.getLogger("ray.data").setLevel(logging.ERROR)
    context = DataContext.get_current()
    # docpipe prints its own progress line; Ray's bars would interleave with it.
    context.enable_progress_bars = False
    context.enable_operator_progress_bars = False
    context.print_on_execution_start = False
    context.verbose_stats_logs = False


def run(config: RunConfig, progress: Optional[Progress] = None) -> RunSummary:
    """Run the whole pipeline; raises InputError, OutputError, TesseractUnavailable (run-level problems only)."""
    started = time.perf_counter()
    files = discover(config.input)
    prepare_output(config.out)
    if config.engine != "text":
        # Before any work: a run that needs OCR must not quietly lose its scans.
        from docpipe.engines.tesseract import check_languages

        check_languages(config.ocr_lang)
    run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    progress = progress or Progress(enabled=config.progress)
    summary = RunSummary(run_id=run_id, out=config.out)
    ray, started_here = _init_ray(config)
    try:
        import ray.data

        _quiet_ray_data()
        config_dict = config.model_dump()
        probes = _probe_all(ray, files, config_dict)
        progress.start(documents=len(probes), pages=sum(p.n_pages or 0 for p in probes if not p.error_kind))
        cost = sum((p.n_pages or 0) * (OCR_PAGE_COST if p.likely_scan else 1) for p in probes if not p.error_kind)
        pages_per_task = config.pages_per_unit or task_pages(cost, ray.cluster_resources().get("CPU", 1))
        units = [u for p in probes for u in split_units(p, pages_per_task)]
        page_rows = _extract_all(ray, units, pages_per_task, config_dict, _workers(ray, config), progress)
        summary.documents = _documents(probes, page_rows, run_id)
    finally:
        if started_here:
            ray.shutdown()
    write_table(config.out, DOCUMENTS_DIR, to_table(summary.documents, DOCUMENTS_SCHEMA),
                name=f"part-{run_id}.parquet")
    for row in page_rows:
        if row["status"] == "ok":
            summary.pages_by_engine[row["engine"]] = summary.pages_by_engine.get(row["engine"], 0) + 1
        else:
            summary.pages_failed += 1
    summary.wall_s = time.perf_counter() - started
    progress.finish()
    return summary


def _probe_all(ray, files: list[str], config_dict: dict) -> list[DocumentProbe]:
    if not files:
        return []
    dataset = ray.data.from_items([{"source": f} for f in files],
                                  override_num_blocks=min(len(files), 200))
    probed = dataset.map_batches(probe_batch, batch_size=16, batch_format="pyarrow",
                                 fn_kwargs={"config": config_dict})
    return [DocumentProbe.model_validate(row) for row in probed.iter_rows()]


def _workers(ray, config: RunConfig) -> int:
    """One worker per CPU of the cluster (each runs one single-threaded engine), or --workers."""
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    return min(config.workers or cpus, cpus)


def _extract_all(ray, units: list[WorkUnit], pages_per_task: int, config_dict: dict, workers: int,
                 progress: Progress) -> list[dict]:
    bundles = bundle_units(units, pages_per_task)
    if not bundles:
        return []
    dataset = ray.data.from_items([{"units": b} for b in bundles],
                                  override_num_blocks=min(len(bundles), 10_000))
    summaries = dataset.map_batches(
        PageWorker, fn_constructor_kwargs={"config": config_dict}, batch_size=1, batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=min(workers, len(bundles))), num_cpus=1,
    )
    rows = []
    for row in summaries.iter_rows():
        rows.append(row)
        progress.page_done(row)
    return rows


def _documents(probes: list[DocumentProbe], page_rows: list[dict], run_id: str) -> list[DocumentResult]:
    by_source: dict[str, list[dict]] = defaultdict(list)
    for row in page_rows:
        by_source[row["source"]].append(row)
    documents = []
    for p in probes:
        rows = by_source.get(p.source, [])
        doc = DocumentResult(
            doc_id=p.doc_id, source=p.source, mime=p.mime, bytes=p.bytes, n_pages=p.n_pages,
            status="error" if p.error_kind else "ok", error_kind=p.error_kind, error=p.error,
            run_id=run_id, docpipe_version=__version__, elapsed_s=p.elapsed_s,
        )
        if not p.error_kind:
            _fold_pages(doc, rows)
            if p.repaired and doc.status == "ok":
                # Recovered from damage: the pages may not be all the file held.
                doc.status, doc.error_kind, doc.error = "partial", "corrupt", p.repaired
        documents.append(doc)
    return documents


def _fold_pages(doc: DocumentResult, rows: list[dict]) -> None:
    ok = [r for r in rows if r["status"] == "ok"]
    failed = [r for r in rows if r["status"] != "ok"]
    doc.pages_ok, doc.pages_failed = len(ok), len(failed) + max(0, (doc.n_pages or 0) - len(rows))
    doc.engines = sorted({r["engine"] for r in ok if r["engine"]})
    doc.elapsed_s += sum(r["elapsed_ms"] or 0.0 for r in rows) / 1000.0
    if not failed and len(rows) >= (doc.n_pages or 0):
        doc.status = "ok"
        return
    doc.status = "partial" if ok else "error"
    kinds = defaultdict(int)
    for r in failed:
        kinds[r["error_kind"] or "engine_error"] += 1
    kind = max(kinds, key=kinds.get) if kinds else "engine_error"
    doc.error_kind = kind
    example = next((r["error"] for r in failed if r["error_kind"] == kind), None)
    doc.error = f"{len(failed)} of {doc.n_pages} pages failed ({kind}): {example}"
