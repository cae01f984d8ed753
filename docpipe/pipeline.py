"""The only module that wires stages into Ray Data.

discover (driver) -> probe: read, sniff, hash, count pages (Ray tasks)
  -> bundles of page ranges -> route, extract pages + write Parquet parts
     (a pool of Ray actors, one per CPU, each holding its own OCR engine)
  -> per-page summaries stream back to the driver -> documents rows.

Why the pages stage writes its own Parquet parts instead of ending in
`Dataset.write_parquet`: each part is committed atomically under a name fixed
by the run and the bundle, and a small summary per page streams back, which
drives the progress line and the documents rows without a second pass over
the output. Documents are committed as they finish and a re-run skips them:
`docpipe.resume` holds the exactly-once protocol.

Why OCR runs inside the same actors as the text layer rather than as a
stage of its own (DESIGN.md's plan): routing is decided page by page while
the PDF is open, and handing a 300 DPI page to another stage would cost a
PNG encode and decode (about a tenth of its OCR time) and a trip through the
object store; on a small machine a task stage beside a fixed actor pool
also fights it for the CPUs. The GPU stage (VLM) will be separate, with
images crossing as encoded bytes.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Optional

import pyarrow as pa

from docpipe.arrow import PAGES_SCHEMA, to_table
from docpipe.config import RunConfig
from docpipe.document_rows import document_rows
from docpipe.ingest import OCR_PAGE_COST, DocumentProbe, WorkUnit, discover, probe, split_units
from docpipe.plan import bundle_units, task_pages
from docpipe.progress import Progress
from docpipe.ray_session import configure_ray_data, init_ray
from docpipe.records import DocumentResult, PageResult, VlmPageTask
from docpipe.resume import Ledger, recover, sweep, unextracted
from docpipe.sink import PAGES_DIR, prepare_output, write_table

# Ray's retries of a task whose worker process died (Ray Data's default is forever: one page
# that crashes its worker every time would stop the run). The task then counts as an errored
# block, which the run ignores (DataContext.max_errored_blocks) and the next pass takes over.
TASK_RETRIES = 2


def _map_actors(dataset, fn, **kwargs):
    """`dataset.map_batches(fn, ...)` on an actor pool whose tasks are retried at most TASK_RETRIES times."""
    import warnings

    with warnings.catch_warnings():
        # Ray 2.60 has no named option for max_task_retries (ray-project/ray#65227 adds
        # named ones for others); the keyword works until Ray 2.64 and warns on every run.
        warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
        return dataset.map_batches(fn, max_task_retries=TASK_RETRIES, **kwargs)


SUMMARY_COLUMNS = ["doc_id", "source", "page", "engine", "status", "error_kind", "error", "elapsed_ms"]


@dataclass
class RunSummary:
    run_id: str
    out: str
    documents: list[DocumentResult] = field(default_factory=list)
    pages_by_engine: dict[str, int] = field(default_factory=dict)
    pages_failed: int = 0
    extractions: int = 0
    skipped: int = 0  # documents already complete in OUT (an earlier run's)
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
    """Extract every unit of each bundle in the batch, write its Parquet part, return summaries.

    The part's name comes with the bundle, so a retried bundle replaces its part.
    Pages for the VLM come back as task rows beside the summaries.
    """
    from docpipe.extract import extract_unit

    summaries = []
    vlm_tasks: list[VlmPageTask] = []
    for bundle, part in zip(batch.column("units").to_pylist(), batch.column("part").to_pylist()):
        pages: list[PageResult] = []
        for unit_json in bundle:
            for result in extract_unit(WorkUnit.model_validate_json(unit_json), config, ocr):
                (vlm_tasks if isinstance(result, VlmPageTask) else pages).append(result)
        table = to_table(pages, PAGES_SCHEMA)
        if table.num_rows:
            write_table(config.out, PAGES_DIR, table, name=part)
        summaries.append(table.select(SUMMARY_COLUMNS))
    summary = pa.concat_tables(summaries)
    if config.vlm_pages:
        from docpipe.vlm.stages import task_rows

        return task_rows(summary.to_pylist(), vlm_tasks)
    return summary


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
        from docpipe.engines.tesseract import OcrOnDemand

        self.config = RunConfig.model_validate(config)
        self.ocr = OcrOnDemand(self.config.ocr_lang, self.config.ocr_reread)

    def __call__(self, batch: pa.Table) -> pa.Table:
        from docpipe.memory import release_memory

        summaries = extract_and_write_batch(batch, self.config, self.ocr)
        release_memory()  # so a worker's footprint does not grow with document length
        return summaries


_PROBE_SCHEMA = pa.schema([
    ("source", pa.string()), ("doc_id", pa.string()), ("mime", pa.string()),
    ("bytes", pa.int64()), ("n_pages", pa.int64()), ("error_kind", pa.string()), ("error", pa.string()),
    ("repaired", pa.string()), ("likely_scan", pa.bool_()), ("elapsed_s", pa.float64()),
])


# ---------------------------------------------------------------- driver

def run(config: RunConfig, progress: Optional[Progress] = None) -> RunSummary:
    """Run the whole pipeline; raises InputError, OutputError, TesseractUnavailable, VlmUnavailable (run-level only)."""
    started = time.perf_counter()
    files = discover(config.input)
    prepare_output(config.out)
    if config.engine != "text":
        # Before any work: a run that needs OCR must not quietly lose its scans.
        from docpipe.engines.tesseract import check_languages, check_reread

        tessdata = check_languages(config.ocr_lang)
        if config.ocr_reread:
            check_reread(config.ocr_reread, tessdata)  # the same folder: no second search for it
    if config.vlm is not None:
        from docpipe.vlm.inprocess import check_vllm
        from docpipe.vlm.server import check_server

        from docpipe.vlm.extraction import check_schema

        check_schema(config.vlm)
        if config.vlm.url:
            check_server(config.vlm)
        else:
            check_vllm(config.vlm)
    run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    progress = progress or Progress(enabled=config.progress)
    summary = RunSummary(run_id=run_id, out=config.out)
    ray, started_here = init_ray(config)
    try:
        import ray.data

        configure_ray_data()
        if config.vlm is not None and config.vlm.url is None:
            from docpipe.vlm.inprocess import check_gpus

            check_gpus(config.vlm, ray.cluster_resources().get("GPU", 0))
        config_dict = config.model_dump()
        earlier = recover(config.out)
        todo = [f for f in files if f not in earlier.sources]
        summary.skipped = len(files) - len(todo)
        ledger = Ledger(config.out, run_id, config.commit_every_s, lambda ps, rows: document_rows(ps, rows, run_id))
        probes = ledger.plan(_probe_all(ray, todo, config_dict), earlier)
        progress.start(documents=len(todo), pages=sum(p.n_pages or 0 for p in probes))
        cost = sum((p.n_pages or 0) * (OCR_PAGE_COST if p.likely_scan else 1) for p in probes if not p.error_kind)
        pages_per_task = config.pages_per_unit or task_pages(cost, ray.cluster_resources().get("CPU", 1))
        units = [u for p in probes for u in split_units(p, pages_per_task)]
        page_rows = _extract_all(ray, units, pages_per_task, config_dict, _workers(ray, config), progress,
                                 run_id, ledger)
        ledger.finish()
        summary.documents = ledger.committed
        if config.vlm is not None and config.vlm.schema_ref:
            from docpipe.vlm.extraction import schema_name

            pending = unextracted(config.out, schema_name(config.vlm.schema_ref))
            summary.extractions = _extract_schemas(ray, config, pending)
    finally:
        if started_here:
            ray.shutdown()
    sweep(config.out, run_id, earlier.kept_parts)
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
                 progress: Progress, run_id: str, ledger: Ledger) -> list[dict]:
    """Every page of the units, in passes; returns the page summaries.

    A pass takes over the pages the one before did not finish: a page whose
    VLM answer failed (asked again, hotter; passes rather than a loop inside
    one stage because ray.data.llm answers each row once), and the pages of a
    bundle whose worker died on every try (a crash, or the memory monitor),
    now one page per task, so a page that kills its worker costs only itself.
    Pages still not done after the last pass become `worker_lost` rows.
    """
    config = RunConfig.model_validate(config_dict)
    passes = config.vlm.attempts if config.vlm_pages else 2
    by_doc = {u.doc_id: u for u in units}
    rows: list[dict] = []

    def record(row: dict) -> None:
        rows.append(row)
        progress.page_done(row)
        ledger.page_done(row)

    for attempt in range(passes):
        dataset = _pass_stages(ray, units, pages_per_task, config_dict, workers, run_id, attempt,
                               last=attempt == passes - 1)
        if dataset is None:
            return rows
        back, retry = set(), []
        for row in dataset.iter_rows():
            back.add((row["doc_id"], row["page"]))
            if row["status"] == "retry":
                retry.append((row["doc_id"], row["page"]))
            else:
                record(row)
        lost = [(u.doc_id, i + 1) for u in units for i in range(u.page_start, u.page_stop)
                if (u.doc_id, i + 1) not in back]
        units = [by_doc[d].model_copy(update={"page_start": p - 1, "page_stop": p}) for d, p in retry + lost]
        pages_per_task = 1
    for row in _lost_pages(units, config, run_id):
        record(row)
    return rows


def _pass_stages(ray, units: list[WorkUnit], pages_per_task: int, config_dict: dict, workers: int,
                 run_id: str, attempt: int, last: bool):
    """One pass's stages: extract pages (and, for VLM pages, answer -> parse and write)."""
    config = RunConfig.model_validate(config_dict)
    prefix = f"part-{run_id}-a{attempt}"
    if not config.vlm_pages:
        return _page_stage(ray, units, pages_per_task, config_dict, workers, 1, prefix, attempt > 0)
    from docpipe.vlm.stages import FinishWorker

    # The model is the bottleneck: page workers mostly render and wait, so half a
    # CPU each leaves room for the finish worker on a small machine.
    dataset = _page_stage(ray, units, pages_per_task, config_dict, workers, 0.5, prefix, attempt > 0)
    if dataset is None:
        return None
    dataset = _answer_stage(ray, dataset, config_dict, config.vlm, attempt)
    return _map_actors(
        dataset, FinishWorker,
        fn_constructor_kwargs={"config": config_dict, "last_attempt": last, "part_prefix": f"{prefix}-vlm"},
        batch_size=8, batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=1), num_cpus=0.5,
    )


def _lost_pages(units: list[WorkUnit], config: RunConfig, run_id: str) -> list[dict]:
    """Error rows for pages whose worker died on every try, written like any other part."""
    pages = [PageResult(doc_id=u.doc_id, source=u.source, page=u.page_start + 1, status="error",
                        error_kind="worker_lost",
                        error=f"the worker process died on this page {TASK_RETRIES + 1} times "
                              "(a crash in a library, or killed for memory); the rest of the document went on")
             for u in units]
    table = to_table(pages, PAGES_SCHEMA)
    if table.num_rows:
        write_table(config.out, PAGES_DIR, table, name=f"part-{run_id}-lost.parquet")
    return table.select(SUMMARY_COLUMNS).to_pylist()


def _page_stage(ray, units: list[WorkUnit], pages_per_task: int, config_dict: dict, workers: int,
                cpus_per_worker: float, part_prefix: str, one_at_a_time: bool = False):
    """Bundles of units -> extracted pages; each bundle writes `{part_prefix}-{i}.parquet`.

    `one_at_a_time`: each worker holds one task, so a worker that dies takes
    only the task it was running with it, not the ones queued behind it.
    """
    bundles = bundle_units(units, pages_per_task, workers)
    if not bundles:
        return None
    dataset = ray.data.from_items([{"units": b, "part": f"{part_prefix}-{i:06d}.parquet"}
                                   for i, b in enumerate(bundles)],
                                  override_num_blocks=min(len(bundles), 10_000))
    return _map_actors(
        dataset, PageWorker, fn_constructor_kwargs={"config": config_dict}, batch_size=1, batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=min(workers, len(bundles)),
                                           max_tasks_in_flight_per_actor=1 if one_at_a_time else None),
        num_cpus=cpus_per_worker,
    )


def _extract_schemas(ray, config: RunConfig, documents: list[DocumentResult]) -> int:
    """--schema: one extractions row per document, from its page images and text (read back from OUT/pages)."""
    from docpipe.ingest import resolve_filesystem
    from docpipe.vlm.extraction import EXTRACTIONS_DIR, extraction_table, load_schema, schema_name

    if not documents:
        return 0
    wanted = sorted({d.doc_id for d in documents if d.status != "error" and d.doc_id})
    rows = _schema_answers(ray, config, wanted) if wanted else []
    # One row per document: every path of identical bytes, and documents that had no pages to read.
    by_doc = {r["doc_id"]: r for r in rows}
    name = schema_name(config.vlm.schema_ref)
    rows = [dict(by_doc[d.doc_id], source=d.source) if d.doc_id in by_doc else
            dict(doc_id=d.doc_id, source=d.source, schema=name, data=None, valid=False,
                 error=f"document not extracted ({d.error_kind}): {d.error}") for d in documents]
    fs, root = resolve_filesystem(config.out)
    fs.create_dir(f"{root}/{EXTRACTIONS_DIR}", recursive=True)  # only runs with --schema have it
    write_table(config.out, EXTRACTIONS_DIR, extraction_table(rows, load_schema(config.vlm.schema_ref)))
    return len(rows)


def _schema_answers(ray, config: RunConfig, wanted: list[str]) -> list[dict]:
    import json

    from ray.data.expressions import col

    from docpipe.ingest import resolve_filesystem
    from docpipe.vlm.extraction import ExtractionAnswerer, document_request

    fs, root = resolve_filesystem(config.out)
    pages = ray.data.read_parquet(f"{root}/{PAGES_DIR}", filesystem=fs,
                                  columns=["doc_id", "source", "page", "text"])
    pages = pages.filter(expr=col("doc_id").is_in(wanted))
    config_dict = config.model_dump()
    requests = pages.groupby("doc_id").map_groups(document_request, fn_kwargs={"config": config_dict},
                                                  batch_format="pyarrow")
    if config.vlm.url is None:
        from docpipe.vlm.inprocess import build_extraction_processor

        answers = build_extraction_processor(config.vlm)(requests)
    else:
        answers = _map_actors(
            requests, ExtractionAnswerer, fn_constructor_kwargs={"config": config_dict}, batch_size=config.vlm.concurrency,
            batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=config.vlm.workers), num_cpus=0,
        )
    return [dict(doc_id=r["doc_id"], source=r["source"], **json.loads(r["result"])) for r in answers.iter_rows()]


def _answer_stage(ray, dataset, config_dict: dict, vlm, attempt: int):
    if vlm.url is None:
        from docpipe.vlm.inprocess import build_page_processor

        return build_page_processor(vlm, attempt)(dataset)
    from docpipe.vlm.stages import ServerAnswerer

    # Network-bound: each worker keeps `concurrency` requests in flight and needs no CPU of its own.
    return _map_actors(
        dataset, ServerAnswerer, fn_constructor_kwargs={"config": config_dict, "attempt": attempt},
        batch_size=vlm.concurrency, batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=vlm.workers), num_cpus=0,
    )
