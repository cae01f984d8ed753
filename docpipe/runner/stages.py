"""Every Ray Data UDF of a run: plain functions and classes over Arrow batches, wired in `runner.passes`.

Actors (rather than tasks) where a worker holds something worth keeping
between batches: an OCR engine's models, a server client's connections.
Each builds its engines through `Registry.worker_engines`, the one place
worker-side engine state is made.

Why the page stage writes its own Parquet parts instead of ending in
`Dataset.write_parquet`: each part is committed atomically under a name fixed
by the run and the bundle, and a small summary per page streams back, which
drives the progress line and the documents rows without a second pass over
the output (`io.resume` holds the exactly-once protocol).
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa

from docpipe.arrow import (
    EXTRACTION_ANSWER_SCHEMA, PAGES_SCHEMA, PROBE_SCHEMA, SUMMARY_COLUMNS, SUMMARY_SCHEMA, VLM_ANSWER_FIELDS,
    to_table,
)
from docpipe.config import RunConfig
from docpipe.engines.registry import Registry
from docpipe.engines.vlm import extraction
from docpipe.engines.vlm.tasks import answer_with_server, read_answer, task_rows, worth_retrying
from docpipe.errors import OutputError
from docpipe.io.parquet import PAGES_DIR, write_table
from docpipe.io.probe import probe
from docpipe.records import PageResult, PageSummary, VlmPageTask, WorkUnit
from docpipe.runner.memory import release_memory
from docpipe.runner.pages import extract_unit


def probe_batch(batch: pa.Table, config: dict) -> pa.Table:
    run_config = RunConfig.model_validate(config)
    probes = [probe(source, run_config.limits, run_config.password) for source in batch.column("source").to_pylist()]
    return to_table(probes, PROBE_SCHEMA)


def extract_and_write_batch(batch: pa.Table, config: RunConfig, ocr=None) -> pa.Table:
    """Extract every unit of each bundle in the batch, write its Parquet part, return summaries.

    The part's name comes with the bundle, so a retried bundle replaces its part.
    Pages for the VLM come back as stream rows beside the summaries.
    """
    summaries = []
    vlm_tasks: list[VlmPageTask] = []
    for bundle, part in zip(batch.column("units").to_pylist(), batch.column("part").to_pylist()):
        units = [WorkUnit.model_validate_json(u) for u in bundle]
        chunks: list[pa.Table] = []
        tasks: list[VlmPageTask] = []
        try:
            for unit in units:
                pages: list[PageResult] = []
                for result in extract_unit(unit, config, ocr):
                    (tasks if isinstance(result, VlmPageTask) else pages).append(result)
                chunks += arrow_chunks(pages)
            table = pa.concat_tables(chunks) if chunks else pages_table([])
            if table.num_rows:
                write_table(config.out, PAGES_DIR, table, name=part)
        except OutputError as exc:
            summaries.append(unwritten(units, str(exc)))
            continue
        vlm_tasks += tasks
        summaries.append(table.select(SUMMARY_COLUMNS))
    summary = pa.concat_tables(summaries)
    if config.vlm_pages:
        return task_rows(summary.to_pylist(), vlm_tasks)
    return summary


# Pages turned into Arrow at a time. A page's result is ~0.25 MB of Python objects and its dumped
# dict as much again, ~15 KB in Arrow: converting a 64-page unit at once held both for all its
# pages (a worker's peak +29.5 MB against +19.7 MB in chunks of 16, measured on generated pages).
ARROW_CHUNK_PAGES = 16


def arrow_chunks(pages: list[PageResult]) -> list[pa.Table]:
    """`pages_table` of each run of ARROW_CHUNK_PAGES pages; the list is emptied as it goes."""
    chunks = []
    while pages:
        chunks.append(pages_table(pages[:ARROW_CHUNK_PAGES]))
        del pages[:ARROW_CHUNK_PAGES]
    return chunks


def pages_table(pages: list[PageResult]) -> pa.Table:
    """The pages as Arrow; a page Arrow refuses becomes an `engine_error` row naming why, not a lost bundle."""
    try:
        return to_table(pages, PAGES_SCHEMA)
    except (pa.ArrowException, ValueError, UnicodeError):
        pass
    kept = []
    for page in pages:
        try:
            to_table([page], PAGES_SCHEMA)
            kept.append(page)
        except (pa.ArrowException, ValueError, UnicodeError) as exc:
            kept.append(PageResult.failed(page.doc_id, page.source, page.page, "engine_error",
                                          f"the page's result cannot be stored: {type(exc).__name__}: {exc}"))
    return to_table(kept, PAGES_SCHEMA)


def unwritten(units: list[WorkUnit], message: str) -> pa.Table:
    """Summaries for pages whose part the output store refused: the driver stops the run on them."""
    rows = [PageSummary(doc_id=u.doc_id, source=u.source, page=i + 1, status="unwritten", error=message)
            for u in units for i in range(u.page_start, u.page_stop)]
    return to_table(rows, SUMMARY_SCHEMA)


def extract_bundles(batch: pa.Table, config: dict, recognizers: tuple) -> pa.Table:
    """The page stage as Ray tasks, for runs that expect no OCR: bundles extracted and written, summaries back.

    Tasks run in Ray's pooled worker processes, which the probe stage has
    already started and warmed (docpipe and PyMuPDF imported); an actor would
    start a process of its own (Ray never makes an actor of a worker that ran
    tasks), measured at about 2 s of a one-page run. A scan found on the way
    loads its OCR engine in that task (0.2 s).
    """
    run_config = RunConfig.model_validate(config)
    summaries = extract_and_write_batch(batch, run_config, Registry(recognizers).worker_engines(run_config).ocr)
    release_memory()  # so a worker's footprint does not grow with document length
    return summaries


class PageWorker:
    """The page stage as an actor pool, for runs with scans: each worker keeps its OCR engine between bundles."""

    def __init__(self, config: dict, recognizers: tuple):
        self.config = RunConfig.model_validate(config)
        self.engines = Registry(recognizers).worker_engines(self.config)

    def __call__(self, batch: pa.Table) -> pa.Table:
        summaries = extract_and_write_batch(batch, self.config, self.engines.ocr)
        release_memory()
        return summaries


class ServerAnswerer:
    """Asks an OpenAI-compatible server for each `vlm` row's answer, `concurrency` at a time.

    One pool of `concurrency` threads per actor, shared by the blocks Ray Data
    has it answer at once (`session.map_server_clients`): while one block waits
    on its longest answer, the other blocks' requests take the free threads.
    """

    def __init__(self, config: dict, recognizers: tuple, attempt: int):
        run_config = RunConfig.model_validate(config)
        self.vlm, self.attempt = run_config.vlm, attempt
        self.client = Registry(recognizers).worker_engines(run_config).vlm_client()
        self.pool = ThreadPoolExecutor(max_workers=self.vlm.concurrency)

    def __call__(self, batch: pa.Table) -> pa.Table:
        answers = _each_row(self.pool, batch, lambda row: answer_with_server(self.client, row, self.vlm, self.attempt))
        for field in VLM_ANSWER_FIELDS:
            batch = batch.append_column(field, pa.array([a.get(field.name) for a in answers], field.type))
        return batch


class FinishWorker:
    """Reads answers into pages; marks pages for another try or falls back; writes the pages; returns summaries."""

    def __init__(self, config: dict, recognizers: tuple, last_attempt: bool, part_prefix: str):
        self.config = RunConfig.model_validate(config)
        self.last_attempt = last_attempt
        self.part_prefix = part_prefix
        self.engines = Registry(recognizers).worker_engines(self.config)

    def __call__(self, batch: pa.Table) -> pa.Table:
        summaries, pages = [], []
        for row in batch.to_pylist():
            if row["kind"] != "vlm":
                summaries.append({k: row[k] for k in SUMMARY_COLUMNS})
                continue
            page, failure = read_answer(row, self.last_attempt)
            if failure is None:
                pages.append(page)
            elif not self.last_attempt and worth_retrying(failure):  # asked again in the next pass
                summaries.append(PageSummary(doc_id=page.doc_id, source=page.source, page=page.page,
                                             status="retry", elapsed_ms=page.elapsed_ms).model_dump())
            else:
                pages.append(self._fallback(page, row["mime"], failure))
        table = pages_table(pages)
        if table.num_rows:
            try:
                write_table(self.config.out, PAGES_DIR, table, name=self._part_name(pages))
            except OutputError as exc:
                summaries.extend(PageSummary(doc_id=p.doc_id, source=p.source, page=p.page, status="unwritten",
                                             error=str(exc)).model_dump() for p in pages)
                return pa.Table.from_pylist(summaries, schema=SUMMARY_SCHEMA)
            summaries.extend(table.select(SUMMARY_COLUMNS).to_pylist())
        return pa.Table.from_pylist(summaries, schema=SUMMARY_SCHEMA)

    def _part_name(self, pages: list[PageResult]) -> str:
        """Named by the pages it holds, so a batch Ray retries replaces its part (io.resume, step 1)."""
        keys = "\n".join(sorted(f"{p.doc_id}:{p.page}" for p in pages))
        return f"{self.part_prefix}-{hashlib.sha1(keys.encode()).hexdigest()[:16]}.parquet"

    def _fallback(self, failed: PageResult, mime: str, failure: str) -> PageResult:
        """The page from the text layer or OCR, with the VLM's failure recorded in `error`."""
        config = self.config.model_copy(update={"engine": "auto", "vlm": None})
        unit = WorkUnit(source=failed.source, doc_id=failed.doc_id, mime=mime,
                        page_start=failed.page - 1, page_stop=failed.page)
        (page,) = extract_unit(unit, config, self.engines.ocr)
        page.image_path = failed.image_path
        note = f"vlm failed, page from {page.engine or 'no engine'}: {failure}"
        page.error = note if page.error is None else f"{page.error}; {note}"
        return page


class ExtractionAnswerer:
    """Asks an OpenAI-compatible server to fill the schema for each document row (a shared pool, as `ServerAnswerer`)."""

    def __init__(self, config: dict, recognizers: tuple):
        run_config = RunConfig.model_validate(config)
        self.vlm = run_config.vlm
        self.model = extraction.load_schema(self.vlm.schema_ref)
        self.client = Registry(recognizers).worker_engines(run_config).vlm_client()
        self.pool = ThreadPoolExecutor(max_workers=self.vlm.concurrency)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = _each_row(self.pool, batch,
                         lambda row: extraction.answer_with_server(self.client, row, self.vlm, self.model))
        return pa.Table.from_pylist(rows, schema=EXTRACTION_ANSWER_SCHEMA)


def _each_row(pool: ThreadPoolExecutor, batch: pa.Table, answer) -> list:
    """`answer` of every row of the batch on the pool, in order. Each row becomes Python values when a
    thread takes it: a whole block's images copied out at once would sit in the actor while its rows
    wait for a free thread."""
    return list(pool.map(lambda index: answer(batch.slice(index, 1).to_pylist()[0]), range(batch.num_rows)))
