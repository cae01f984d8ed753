"""Every page of a run's units, in passes of Ray Data stages; each pass takes over what the one before left.

One pass: bundles of page ranges -> page tasks or actors (route, extract, write parts)
and, when pages go to the VLM: -> answer stage (ray.data.llm engines, or server
clients) -> finish actor (read answers, retry or fall back, write parts).

Why OCR runs inside the page stage rather than as a stage of its own:
routing is decided page by page while the PDF is open, and handing a 300 DPI
page to another stage would cost a PNG encode and decode (about a tenth of
its OCR time) and a trip through the object store; on a small machine a task
stage beside a fixed actor pool also fights it for the CPUs. The VLM stage is
separate, with images crossing as encoded bytes.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Callable, Optional

from docpipe.arrow import PAGES_SCHEMA, SUMMARY_COLUMNS, to_table
from docpipe.config import RunConfig, VlmConfig
from docpipe.engines.vlm.inprocess import cpu_build
from docpipe.errors import OutputError
from docpipe.io.parquet import PAGES_DIR, write_table
from docpipe.records import PageResult, WorkUnit
from docpipe.runner.llm import build_page_processor
from docpipe.runner.plan import bundle_units
from docpipe.runner.session import TASK_RETRIES, map_actors, map_server_clients, map_tasks
from docpipe.runner.stages import FinishWorker, PageWorker, ServerAnswerer, extract_bundles


def workers(ray, config: RunConfig) -> int:
    """One worker per CPU of the cluster (each runs one single-threaded engine), or --workers."""
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    return min(config.workers or cpus, cpus)


def extract_all(ray, units: list[WorkUnit], pages_per_task: int, config: RunConfig, recognizers: tuple,
                run_id: str, record: Callable[[dict], None], frame_soon: Optional[Future] = None) -> None:
    """Every page of the units, in passes; each page's summary goes to `record` once.

    A pass takes over the pages the one before did not finish: a page whose
    VLM answer failed (asked again, hotter; passes rather than a loop inside
    one stage because ray.data.llm answers each row once), and the pages of a
    bundle whose worker died on every try (a crash, or the memory monitor),
    now one page per task, so a page that kills its worker costs only itself.
    Pages still not done after the last pass become `worker_lost` rows.
    `frame_soon`: the in-process VLM's chat frame (`llm.chat_frame_soon`), made once for all passes.
    """
    passes = config.vlm.attempts if config.vlm_pages else 2
    by_doc = {u.doc_id: u for u in units}
    n_workers = workers(ray, config)
    for attempt in range(passes):
        dataset = _pass_stages(ray, units, pages_per_task, config, recognizers, n_workers, run_id, attempt,
                               last=attempt == passes - 1, frame_soon=frame_soon)
        if dataset is None:
            return
        back, retry = set(), []
        for row in dataset.iter_rows():
            if row["status"] == "unwritten":
                raise OutputError(row["error"])
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


def _pass_stages(ray, units: list[WorkUnit], pages_per_task: int, config: RunConfig, recognizers: tuple,
                 n_workers: int, run_id: str, attempt: int, last: bool, frame_soon: Optional[Future]):
    """One pass's stages: extract pages (and, for VLM pages, answer -> read and write)."""
    config_dict = config.model_dump()
    prefix = f"part-{run_id}-a{attempt}"
    stage = dict(keep_engines=config.engine == "ocr" or any(u.likely_scan for u in units), one_at_a_time=attempt > 0)
    if not config.vlm_pages:
        return _page_stage(ray, units, pages_per_task, config_dict, recognizers, n_workers, 1, prefix, **stage)
    # The model is the bottleneck: page workers mostly render and wait, so half a
    # CPU each leaves room for the finish worker on a small machine. A vLLM engine on
    # CPU (its CPU build) holds a CPU bundle of its own: one page worker then, sharing the rest.
    engine_on_cpu = config.vlm.url is None and cpu_build()
    share = 0.25 if engine_on_cpu else 0.5
    n_workers = 1 if engine_on_cpu else n_workers
    dataset = _page_stage(ray, units, pages_per_task, config_dict, recognizers, n_workers, share, prefix, **stage)
    if dataset is None:
        return None
    dataset = _answer_stage(dataset, config_dict, recognizers, config.vlm, attempt, frame_soon)
    return map_actors(
        dataset, FinishWorker,
        fn_constructor_kwargs={"config": config_dict, "recognizers": recognizers, "last_attempt": last,
                               "part_prefix": f"{prefix}-vlm"},
        batch_size=8, batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=1), num_cpus=share,
    )


def _lost_pages(units: list[WorkUnit], config: RunConfig, run_id: str) -> list[dict]:
    """Error rows for pages whose worker died on every try, written like any other part."""
    pages = [PageResult.failed(u.doc_id, u.source, u.page_start + 1, "worker_lost",
                               f"the worker process died on this page {TASK_RETRIES + 1} times "
                               "(a crash in a library, or killed for memory); the rest of the document went on")
             for u in units]
    table = to_table(pages, PAGES_SCHEMA)
    if table.num_rows:
        write_table(config.out, PAGES_DIR, table, name=f"part-{run_id}-lost.parquet")
    return table.select(SUMMARY_COLUMNS).to_pylist()


def _page_stage(ray, units: list[WorkUnit], pages_per_task: int, config_dict: dict, recognizers: tuple,
                n_workers: int, cpus_per_worker: float, part_prefix: str, keep_engines: bool, one_at_a_time: bool):
    """Bundles of units -> extracted pages; each bundle writes `{part_prefix}-{i}.parquet`.

    `keep_engines` (the run expects OCR): an actor pool, each worker keeping
    its OCR engine between bundles; else Ray tasks in the workers the probe
    stage warmed (`stages.extract_bundles`). `one_at_a_time`: each actor holds
    one task, so a worker that dies takes only the task it was running with
    it, not the ones queued behind it (a task is on its own already).
    """
    bundles = bundle_units(units, pages_per_task, n_workers)
    if not bundles:
        return None
    dataset = ray.data.from_items([{"units": b, "part": f"{part_prefix}-{i:06d}.parquet"}
                                   for i, b in enumerate(bundles)],
                                  override_num_blocks=min(len(bundles), 10_000))
    size = min(n_workers, len(bundles))
    common = dict(batch_size=1, batch_format="pyarrow", num_cpus=cpus_per_worker)
    if not keep_engines:
        return map_tasks(dataset, extract_bundles, fn_kwargs={"config": config_dict, "recognizers": recognizers},
                         compute=ray.data.TaskPoolStrategy(size=size), **common)
    return map_actors(
        dataset, PageWorker, fn_constructor_kwargs={"config": config_dict, "recognizers": recognizers},
        compute=ray.data.ActorPoolStrategy(size=size, max_tasks_in_flight_per_actor=1 if one_at_a_time else None),
        **common,
    )


def _answer_stage(dataset, config_dict: dict, recognizers: tuple, vlm: VlmConfig, attempt: int,
                  frame_soon: Optional[Future]):
    if vlm.url is None:
        return build_page_processor(vlm, attempt, frame_soon)(dataset)
    return map_server_clients(dataset, ServerAnswerer, vlm, fn_constructor_kwargs={
        "config": config_dict, "recognizers": recognizers, "attempt": attempt})
