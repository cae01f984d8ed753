"""Sizing the work: page ranges of documents, pages per extraction task, bundles of ranges (one Parquet part each)."""

from __future__ import annotations

from typing import Iterable, Iterator

from docpipe.records import DocumentProbe, WorkUnit

MIN_TASK_PAGES, MAX_TASK_PAGES = 8, 64
# The smallest bundle, in text-page units, that the end of a run shrinks to: a task costs Ray
# Data about 0.15 s between two tasks of a worker (measured with ray.timeline() on 2 CPUs),
# about what four text pages take, so smaller bundles lose more to the gaps than they balance.
MIN_BUNDLE_COST = 8
# An OCR page takes about as long as this many text-layer pages (measured:
# ~2 s against ~0.05 s at 300 DPI on one core); bundles are sized by this cost.
OCR_PAGE_COST = 16


def split_units(probe_: DocumentProbe, pages_per_unit: int) -> Iterator[WorkUnit]:
    """Page ranges of a readable document, so no task holds a whole long document.

    `pages_per_unit` counts text-layer pages; a likely scan's pages each cost
    about OCR_PAGE_COST of them, so its units are that much shorter.
    """
    if probe_.error_kind is not None or not probe_.n_pages:
        return
    if probe_.likely_scan:
        pages_per_unit = max(1, pages_per_unit // OCR_PAGE_COST)
    for start in range(0, probe_.n_pages, pages_per_unit):
        yield WorkUnit(
            source=probe_.source, doc_id=probe_.doc_id, mime=probe_.mime,
            page_start=start, page_stop=min(start + pages_per_unit, probe_.n_pages),
            likely_scan=probe_.likely_scan,
        )


def unit_cost(unit: WorkUnit) -> int:
    return (unit.page_stop - unit.page_start) * (OCR_PAGE_COST if unit.likely_scan else 1)


def probe_cost(probes: Iterable[DocumentProbe]) -> int:
    """The run's work in text-page units: what sizes its tasks."""
    return sum((p.n_pages or 0) * (OCR_PAGE_COST if p.likely_scan else 1) for p in probes if not p.error_kind)


def task_pages(total_pages: int, cpus: float) -> int:
    """Pages per task: about two tasks per CPU, within 8..64 pages.

    Each task costs Ray Data about 0.15 s between two tasks of a worker (its
    scheduling loop polls every 0.1 s) and re-opens its PDF, so small tasks
    waste the CPUs (measured: 8-page tasks on a 285-page book ran no faster on
    2 CPUs than on 1; two tasks per CPU instead of four: 0.98 of the wall time
    on 361 generated pages and on that book); the bundles that shrink toward
    the end of a run still balance the load, and 64 pages caps what one task
    holds of a long document.
    """
    per_task = int(total_pages // max(1.0, 2 * cpus))
    return max(MIN_TASK_PAGES, min(MAX_TASK_PAGES, per_task))


def bundle_units(units: Iterable[WorkUnit], pages_per_bundle: int, workers: int = 1) -> list[list[str]]:
    """Pack page ranges into bundles worth at most `pages_per_bundle` text pages (one part file each).

    Bundles shrink toward the end of the run (guided self-scheduling, as
    OpenMP's `schedule(guided)`): each is at most 1/(2 x workers) of the work
    still to bundle. A long run keeps its large bundles, and so few part
    files; its last bundles are single units, so no worker sits idle while
    another finishes a long one (measured on 24 scanned pages and 2 workers:
    bundles of 3 pages left one worker idle for 9 of 36 s).
    """
    units = list(units)
    remaining = sum(unit_cost(u) for u in units)
    bundles: list[list[str]] = []
    current: list[str] = []
    pages = 0
    target = _bundle_target(remaining, pages_per_bundle, workers)
    for unit in units:
        size = unit_cost(unit)
        if current and pages + size > target:
            bundles.append(current)
            current, pages = [], 0
            target = _bundle_target(remaining, pages_per_bundle, workers)
        current.append(unit.model_dump_json())
        pages += size
        remaining -= size
    if current:
        bundles.append(current)
    return bundles


def _bundle_target(remaining: int, pages_per_bundle: int, workers: int) -> int:
    return max(min(MIN_BUNDLE_COST, pages_per_bundle), min(pages_per_bundle, remaining // (2 * max(1, workers))))
