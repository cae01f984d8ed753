"""The Ray a run starts for itself: what its processes are given, and the workers started early.

In a fresh interpreter: ray.init in this process would be the one of another
test (init_ray uses a Ray that is already up as it is).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, os, sys
import psutil
from docpipe.config import RunConfig
from docpipe.runner.session import init_ray, warm_workers

before = {k: v for k, v in os.environ.items() if k.startswith("RAY_raylet_client")}
ray, started_here = init_ray(RunConfig(input=sys.argv[1], out=sys.argv[2], num_cpus=1))
raylets = [p for p in psutil.Process().children(recursive=True) if p.name() == "raylet"]
raylet_env = {k: v for k, v in raylets[0].environ().items() if k.startswith("RAY_raylet_client")}
after = {k: v for k, v in os.environ.items() if k.startswith("RAY_raylet_client")}

warmed = ray.get(warm_workers(ray, 1))
import ray.data
ran_in = ray.data.range(1).map_batches(lambda batch: {"pid": [os.getpid()]}).take_all()[0]["pid"]
print(json.dumps({"started_here": started_here, "raylets": len(raylets), "raylet_env": raylet_env,
                  "before": before, "after": after, "warmed": warmed, "ran_in": ran_in}))
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    """One child's findings; the user has set one of the two variables docpipe gives Ray."""
    folder = tmp_path_factory.mktemp("ray_session")
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(folder / "out")],
                          env={**os.environ, "PYTHONPATH": str(ROOT), "RAY_raylet_client_num_connect_attempts": "7"},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_own_ray_retries_its_object_store_every_50ms_a_users_setting_wins_and_the_environment_is_restored(report):
    assert report["started_here"] and report["raylets"] == 1
    # Ray's default is a second between attempts; the raylet's first attempt often comes too early.
    assert report["raylet_env"] == {"RAY_raylet_client_connect_timeout_milliseconds": "50",
                                    "RAY_raylet_client_num_connect_attempts": "7"}
    assert report["before"] == report["after"] == {"RAY_raylet_client_num_connect_attempts": "7"}


def test_a_ray_data_task_runs_in_the_worker_started_early(report):
    assert len(report["warmed"]) == 1 and report["warmed"][0] != os.getpid()
    assert report["ran_in"] == report["warmed"][0]
