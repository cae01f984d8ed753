"""The driver of a run: the one place the pipeline is wired.

discover (driver) -> preflight (every engine the run needs) -> Ray
  -> probe: read, sniff, hash, count pages (Ray Data tasks)
  -> bundles of page ranges -> page passes (`runner.passes`): route, extract,
     write Parquet parts; page summaries stream back to the driver
  -> documents rows committed as documents finish (`io.resume.Ledger`)
  -> --schema: extractions (`runner.extractions`)
  -> --chunks: chunks of the committed documents that have none (`export.chunk_files`)
"""

from __future__ import annotations

import signal
import time
import uuid
from dataclasses import dataclass, field
from typing import Optional

from docpipe.config import RunConfig
from docpipe.engines.registry import Registry, check_cluster
from docpipe.engines.vlm.extraction import schema_name
from docpipe.errors import Interrupted, OutputError, OutputLocked
from docpipe.export.chunk_files import add_missing_chunks
from docpipe.io.discover import discover
from docpipe.io.lock import OutputLock
from docpipe.io.parquet import prepare_output
from docpipe.io.resume import Committed, Ledger, recover, sweep, unextracted
from docpipe.records import DocumentProbe, DocumentResult
from docpipe.runner.document_rows import document_rows
from docpipe.runner.extractions import extract_schemas
from docpipe.runner.llm import chat_frame_soon
from docpipe.runner.passes import extract_all
from docpipe.runner.plan import probe_cost, split_units, task_pages
from docpipe.runner.progress import Progress
from docpipe.runner.session import configure_ray_data, init_ray, warm_workers
from docpipe.runner.stages import probe_batch


@dataclass
class RunSummary:
    run_id: str
    out: str
    documents: list[DocumentResult] = field(default_factory=list)
    pages_by_engine: dict[str, int] = field(default_factory=dict)
    pages_failed: int = 0
    extractions: int = 0
    chunks: int = 0  # chunks this run wrote to OUT/chunks (--chunks)
    skipped: int = 0  # documents already complete in OUT (an earlier run's)
    wall_s: float = 0.0


def run(config: RunConfig, progress: Optional[Progress] = None, registry: Registry = Registry(),
        shutdown_ray: bool = True) -> RunSummary:
    """Run the whole pipeline; raises only run-level errors (`docpipe.errors.RunError`).

    A run that ends early (the output store fails, Ctrl-C, SIGTERM, Ray
    itself fails) keeps every document committed so far and says so; the
    same command run again goes on from there (`docpipe.io.resume`).
    `shutdown_ray=False`: a Ray this run started is left up, for a caller
    that ends its process next (`runner.session.exit_process`).
    """
    files = discover(config.input, exclude=config.out)
    prepare_output(config.out)
    registry.preflight(config)
    run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    with OutputLock(config.out, run_id) as lock:
        return _run_locked(config, files, run_id, progress or Progress(enabled=config.progress), registry, lock,
                           shutdown_ray)


def _run_locked(config: RunConfig, files: list[str], run_id: str, progress: Progress,
                registry: Registry, lock: OutputLock, shutdown_ray: bool) -> RunSummary:
    import ray.exceptions

    started = time.perf_counter()
    summary = RunSummary(run_id=run_id, out=config.out)
    page_rows: list[dict] = []
    earlier, ledger = Committed(), None
    in_process_vlm = config.vlm_pages and config.vlm.url is None
    frame_soon = chat_frame_soon(config.vlm) if in_process_vlm else None  # made while Ray starts
    ray, started_here = init_ray(config)
    try:
        resources = ray.cluster_resources()
        if not config.address:  # a cluster's workers are on other machines, started there as tasks come
            warm_workers(ray, min(len(files), int(resources.get("CPU", 1))))
        import ray.data

        configure_ray_data(config.verbose)
        check_cluster(config, resources.get("GPU", 0))
        earlier = recover(config.out)
        todo = [f for f in files if f not in earlier.sources]
        summary.skipped = len(files) - len(todo)
        ledger = Ledger(config.out, run_id, config.commit_every_s, lambda ps, rows: document_rows(ps, rows, run_id))
        probes = ledger.plan(_probe_all(ray, todo, config.model_dump()), earlier)
        progress.start(documents=len(todo), pages=sum(p.n_pages or 0 for p in probes),
                       pages_of={p.doc_id: p.n_pages or 0 for p in probes})
        pages_per_task = config.pages_per_unit or task_pages(probe_cost(probes), resources.get("CPU", 1))
        units = [u for p in probes for u in split_units(p, pages_per_task)]

        def record(row: dict) -> None:
            if lock.lost:  # an object store's lease taken over: two writers now, so stop writing
                raise OutputLocked(lock.lost)
            page_rows.append(row)
            progress.page_done(row)
            ledger.page_done(row)

        extract_all(ray, units, pages_per_task, config, registry.recognizers, run_id, record, frame_soon)
        ledger.finish()
        summary.documents = ledger.committed
        if config.vlm is not None and config.vlm.schema_ref:
            pending = unextracted(config.out, schema_name(config.vlm.schema_ref))
            summary.extractions = extract_schemas(ray, config, registry.recognizers, pending)
    except OutputError as exc:
        raise OutputError(_ended_early(f"the output could not be written: {exc}", config, earlier, ledger)) from None
    except KeyboardInterrupt:
        raise Interrupted(_ended_early("interrupted (Ctrl-C)", config, earlier, ledger), 130) from None
    except SystemExit as exc:
        if exc.code != signal.SIGTERM:  # Ray's driver turns SIGTERM into sys.exit(15)
            raise
        raise Interrupted(_ended_early("stopped by SIGTERM", config, earlier, ledger), 143) from None
    except ray.exceptions.RayError as exc:
        raise Interrupted(_ended_early(f"Ray failed: {exc}", config, earlier, ledger), 2) from None
    finally:
        progress.stop()  # a run that ends early leaves no live bar over its message
        if started_here and shutdown_ray:
            ray.shutdown()
    sweep(config.out, run_id, earlier.kept_parts)
    if config.chunks:  # after the sweep: chunks read the pages exactly as a finished run leaves them
        try:
            summary.chunks = add_missing_chunks(config.out, run_id, config.chunk_tokens)
        except OutputError as exc:
            raise OutputError(f"{exc}. Every document is committed; run the same command again to write "
                              "the chunks") from None
    for row in page_rows:
        if row["status"] == "ok":
            summary.pages_by_engine[row["engine"]] = summary.pages_by_engine.get(row["engine"], 0) + 1
        else:
            summary.pages_failed += 1
    summary.wall_s = time.perf_counter() - started
    progress.finish()
    return summary


def _ended_early(why: str, config: RunConfig, earlier: Committed, ledger: Optional[Ledger]) -> str:
    """The one message of a run that stopped before its end: what is kept, and what to do."""
    by_this_run = 0
    if ledger is not None:
        try:
            ledger.flush()  # documents already finished are committed, if the store still takes them
        except (OutputError, OSError):
            pass
        by_this_run = len(ledger.committed)
    total = len(earlier.sources) + by_this_run
    return (f"{why}. {total} documents are committed in {config.out} ({by_this_run} by this run); "
            "run the same command again to go on from there: committed documents are not redone")


def _probe_all(ray, files: list[str], config_dict: dict) -> list[DocumentProbe]:
    if not files:
        return []
    dataset = ray.data.from_items([{"source": f} for f in files],
                                  override_num_blocks=min(len(files), 200))
    probed = dataset.map_batches(probe_batch, batch_size=16, batch_format="pyarrow",
                                 fn_kwargs={"config": config_dict})
    return [DocumentProbe.model_validate(row) for row in probed.iter_rows()]
