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
