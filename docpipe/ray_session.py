"""The Ray session of a run: starting or joining Ray, and the Ray Data settings docpipe relies on."""

from __future__ import annotations

import logging

from docpipe.config import RunConfig


def init_ray(config: RunConfig):
    """Ray for this run: the cluster at --address, a local one, or the one already up (then left up)."""
    import ray

    if ray.is_initialized():
        return ray, False
    if config.address:
        ray.init(address=config.address, logging_level=logging.WARNING, log_to_driver=False)
    else:
        ray.init(num_cpus=config.num_cpus, include_dashboard=False,
                 logging_level=logging.WARNING, log_to_driver=False)
    return ray, True


def configure_ray_data() -> None:
    """Ray Data settings of a docpipe run (this driver's DataContext)."""
    from ray.data import DataContext

    logging.getLogger("ray.data").setLevel(logging.ERROR)
    context = DataContext.get_current()
    # docpipe prints its own progress line; Ray's bars would interleave with it.
    context.enable_progress_bars = False
    context.enable_operator_progress_bars = False
    context.print_on_execution_start = False
    context.verbose_stats_logs = False
    # A task that failed for good loses its pages, not the run: _extract_all takes them over.
    context.max_errored_blocks = -1
