"""Fixtures of the integration tests: a real local Ray."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def ray_local():
    """A local Ray of two CPUs for the module's runs (each run then joins it and leaves it up)."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
