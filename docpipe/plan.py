"""Sizing the work: pages per extraction task, and bundles of page ranges (one Parquet part each)."""

from __future__ import annotations

from typing import Iterable

from docpipe.ingest import WorkUnit, unit_cost

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
    return max(1, min(pages_per_bundle, remaining // (2 * max(1, workers))))
