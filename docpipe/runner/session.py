"""The Ray session of a run: starting or joining Ray, the Ray Data settings docpipe relies on, actor stages."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import warnings
from typing import Iterator, Optional

from docpipe.config import RunConfig
from docpipe.errors import RayUnavailable

# Ray's retries of a task whose worker process died (Ray Data's default is forever: one page
# that crashes its worker every time would stop the run). The task then counts as an errored
# block, which the run ignores (DataContext.max_errored_blocks) and the next pass takes over.
TASK_RETRIES = 2

# The raylet connects to its own object store as soon as it has started the store's thread, and
# when the socket is not there yet it sleeps Ray's default retry interval, a whole second, before
# trying again: 3 of the 5 local starts timed here lost that second (docs/benchmarks.md,
# "Start-up and scaling, fourth round"). A 50 ms interval with twenty times the attempts keeps
# Ray's 10 s before it gives up. Ray reads these from its processes' environment
# (RAY_<system config name>); `_system_config` would say the same but is refused when ray.init
# joins a running Ray, which the default branch below may do.
FAST_CONNECT_ENV = {"RAY_raylet_client_connect_timeout_milliseconds": "50",
                    "RAY_raylet_client_num_connect_attempts": "200"}


def init_ray(config: RunConfig):
    """Ray for this run, and whether this call connected it (the caller then disconnects).

    --address: that cluster. --num-cpus: a Ray of this run's own with that many
    CPUs, even beside a running one (Ray refuses a CPU count when it joins).
    Neither: the Ray already running on this machine (`ray start --head`), whose
    processes are up and warm, else a new local one. A Ray this process already
    has (a caller's ray.init) is used as it is.
    """
    import ray

    if ray.is_initialized():
        return ray, False
    # Quiet unless --verbose: ERROR for Ray's Python loggers also hides the notices ray.init
    # itself logs at WARNING (token authentication enabled by default); log_to_driver=False
    # keeps the workers' stdout/stderr in their log files instead of echoing it here.
    # (Ray's C++ messages of this process are another matter: runner.console.)
    quiet = {"logging_level": logging.INFO if config.verbose else logging.ERROR, "log_to_driver": config.verbose}
    try:
        if config.address:
            _check_reachable(config.address)
            ray.init(address=config.address, **quiet)
        elif config.num_cpus is not None:
            with _environment(FAST_CONNECT_ENV):
                ray.init(address="local", num_cpus=config.num_cpus, include_dashboard=False, **quiet)
        else:  # Ray's own default: join the machine's running Ray (its latest `ray start`), else start one
            with _environment(FAST_CONNECT_ENV):
                ray.init(include_dashboard=False, **quiet)
    except Exception as exc:  # Ray raises bare Exception, ConnectionError, RuntimeError, ValueError here
        raise RayUnavailable(_ray_start_hint(config, exc)) from None
    return ray, True


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """These variables for the processes started meanwhile (a user's own setting wins), then as before."""
    added = {name: value for name, value in values.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _check_reachable(address: str) -> None:
    """Fail in seconds on a cluster address nothing answers at: Ray itself retries it for minutes."""
    import socket

    host_port = address.split("://", 1)[-1].rstrip("/")
    host, _, port = host_port.rpartition(":")
    if not host or not port.isdigit():  # "auto", "local" or a form Ray resolves itself
        return
    socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()  # OSError: nobody there


def _ray_start_hint(config: RunConfig, exc: Exception) -> str:
    said = getattr(exc, "strerror", None) or " ".join(str(exc).split()) or type(exc).__name__
    if config.address:
        return (f"could not join the Ray cluster at {config.address}: {said}. Check that the cluster is up "
                "(`ray status` on its head) and that --address is its GCS address (host:port, as "
                "`ray start --head` printed it)")
    return (f"Ray could not start on this machine: {said}. Its logs are in /tmp/ray/session_latest/logs; "
            "`ray stop --force` clears a Ray left behind, then run the same command again")


def warm_workers(ray, count: int) -> list:
    """Start `count` worker processes of this run now, each importing the page stage (docpipe, PyMuPDF).

    Ray starts a job's workers only when its first task arrives, and each then
    spends about a second importing before it probes a page. Started here,
    right after ray.init, that happens while the driver reads the output's
    committed documents and Ray Data starts its own actors; Ray Data's tasks
    then reuse these idle workers. Zero CPUs: they must not hold back the
    run's first tasks. Returns the tasks' refs (each gives its worker's pid).
    """
    warm = ray.remote(num_cpus=0, max_retries=0)(_import_page_stage)
    return [warm.remote() for _ in range(count)]


def _import_page_stage() -> int:
    import docpipe.runner.stages  # noqa: F401  (the page and probe tasks' imports)
    from docpipe.io.pdf_library import pymupdf_module

    pymupdf_module()
    return os.getpid()


def start_local_ray(num_cpus: Optional[int] = None) -> str:
    """A Ray head on this machine that outlives this process (`docpipe up`), warmed for docpipe runs.

    Started with `ray start` (Ray's one way to leave a head running), without the
    dashboard or usage reporting. Warming runs one tiny Ray Data job, so that the
    detached actors Ray Data keeps per cluster (its stats and autoscaling
    coordinator) exist before the first run: a run on a fresh Ray waits about a
    second for them before its first task. Returns the cluster's address.
    """
    command = [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--include-dashboard=false",
               "--disable-usage-stats"]
    if num_cpus is not None:
        command.append(f"--num-cpus={num_cpus}")
    done = subprocess.run(command, capture_output=True, text=True, env={**FAST_CONNECT_ENV, **os.environ})
    if done.returncode:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"ray start exited with {done.returncode}")
    import ray

    ray.init(address="auto", logging_level=logging.ERROR, log_to_driver=False)
    try:
        import ray.data

        configure_ray_data()
        ray.data.range(1).map_batches(_unchanged).materialize()
        return ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


def _unchanged(batch):
    return batch


def stop_local_ray() -> str:
    """`ray stop`: every Ray of this machine's user, a running docpipe run's own included; what it said."""
    done = subprocess.run([sys.executable, "-m", "ray.scripts.scripts", "stop"], capture_output=True, text=True)
    lines = [line.split(" -- ", 1)[-1] for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return lines[-1] if lines else "ray stop said nothing"


def configure_ray_data(verbose: bool = False) -> None:
    """Ray Data settings of a docpipe run (this driver's DataContext)."""
    from ray.data import DataContext

    logging.getLogger("ray.data").setLevel(logging.INFO if verbose else logging.ERROR)
    context = DataContext.get_current()
    # docpipe prints its own progress line; Ray's bars would interleave with it.
    context.enable_progress_bars = False
    context.enable_operator_progress_bars = False
    context.print_on_execution_start = False
    context.verbose_stats_logs = False
    # A task that failed for good loses its pages, not the run: the next pass (runner.passes) takes them over.
    context.max_errored_blocks = -1


def map_actors(dataset, fn, **kwargs):
    """`dataset.map_batches(fn, ...)` on an actor pool whose tasks are retried at most TASK_RETRIES times."""
    return _map_retried(dataset, fn, max_task_retries=TASK_RETRIES, **kwargs)


def map_server_clients(dataset, fn, vlm, **kwargs):
    """`map_actors` for the stages that ask an OpenAI-compatible server: `vlm.workers` actors, each
    keeping `vlm.concurrency` requests in flight over the blocks it holds.

    Each call takes a whole block and queues its rows on the actor's one pool of
    `concurrency` threads, and up to `concurrency` calls run at once: a free thread
    takes the next row of any block, and a slow answer (a page the model runs to
    max_tokens) holds only its own thread. So a thread is idle only when no block
    is waiting. Batches of `concurrency` rows one after another kept every thread
    waiting for each batch's slowest answer (benchmarks/server_tail.py).
    """
    import ray.data

    compute = ray.data.ActorPoolStrategy(
        size=vlm.workers, max_concurrent_calls_per_actor=vlm.concurrency,
        max_tasks_in_flight_per_actor=vlm.concurrency, enable_true_multi_threading=True)
    # batch_size None: a call per block. Network-bound: the actors need no CPU of their own.
    return map_actors(dataset, fn, batch_size=None, batch_format="pyarrow", compute=compute, num_cpus=0, **kwargs)


def map_tasks(dataset, fn, **kwargs):
    """`dataset.map_batches(fn, ...)` as Ray tasks, each retried at most TASK_RETRIES times."""
    return _map_retried(dataset, fn, max_retries=TASK_RETRIES, **kwargs)


def _map_retried(dataset, fn, **kwargs):
    with warnings.catch_warnings():
        # Ray 2.60 has no named option for max_task_retries or max_retries (ray-project/ray#65227
        # adds named ones for others); the keyword works until Ray 2.64 and warns on every run.
        warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
        return dataset.map_batches(fn, **kwargs)


def exit_process(code: int) -> None:
    """End this process now, and the Ray processes it started, without Ray's own shutdown.

    For a command whose run is over: every part, documents row and the lock
    are done with before this is called. `ray.shutdown()` stops the
    processes ray.init started one kind at a time, giving each a second's
    grace, and Ray's exit hook sleeps half a second more: about 1.9 s of a
    7.7 s one-page run (docs/benchmarks.md, "Start-up and scaling"). Here
    every process below this one (Ray's GCS, raylet, agents and workers when
    this run started Ray; none when it joined one) is killed at once; a
    cluster this process only joined sees its driver leave.
    """
    import psutil

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    try:
        # The whole tree first: once the raylet is gone its agents and workers are no longer below us.
        below = psutil.Process().children(recursive=True)
    except psutil.Error:
        below = []
    for process in below:
        try:
            process.kill()
        except psutil.Error:
            pass
    os._exit(code)
