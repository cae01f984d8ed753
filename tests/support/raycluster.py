"""A real Ray head node for tests: `ray start --head --block` on 127.0.0.1, free ports, own temp dir.

`ray stop` would stop every Ray on the machine (other people's too), so the
head runs in the foreground (`--block`) and is stopped by signalling exactly
that process tree.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(n: int) -> list[int]:
    """n different free ports. Asked one at a time, the kernel can hand the same port out twice
    (it was free again once the probing socket closed): `ray start` then refused to start
    ("runtime_env_agent is trying to use a port number 43711 that is used by other components")."""
    ports: list[int] = []
    while len(ports) < n:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


@dataclass
class Head:
    address: str  # GCS address, for ray.init / --address of workers
    dashboard: str  # http://127.0.0.1:PORT, for `ray job submit --address`
    env: dict  # token auth settings (and PATH) for every ray command talking to it
    temp_dir: str


def token_env() -> dict:
    """Ray's token authentication with a token of our own (not the user's ~/.ray/auth_token)."""
    env = dict(os.environ)
    env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32),
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    env.pop("RAY_ADDRESS", None)
    return env


@contextmanager
def head_node(num_cpus: int = 2, timeout_s: float = 120.0):
    # Short path: Ray's unix sockets live under it (107-byte limit).
    temp_dir = tempfile.mkdtemp(prefix="dpray-")
    env = token_env()
    gcs, dash, *others = free_ports(9)
    ports = dict(zip((
        "--node-manager-port", "--object-manager-port", "--ray-client-server-port",
        "--dashboard-agent-listen-port", "--dashboard-agent-grpc-port", "--runtime-env-agent-port",
        "--metrics-export-port"), others))
    command = [str(BIN / "ray"), "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
               "--port", str(gcs), "--dashboard-host", "127.0.0.1", "--dashboard-port", str(dash),
               "--include-dashboard", "true", "--num-cpus", str(num_cpus), "--temp-dir", temp_dir,
               "--object-store-memory", str(200 * 2**20), "--disable-usage-stats"]
    for name, port in ports.items():
        command += [name, str(port)]
    log = open(Path(temp_dir) / "ray-start.log", "w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    head = Head(address=f"127.0.0.1:{gcs}", dashboard=f"http://127.0.0.1:{dash}", env=env, temp_dir=temp_dir)
    try:
        _wait_ready(head, process, timeout_s)
        yield head
    finally:
        _stop(process)
        log.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


def _wait_ready(head: Head, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("ray start exited: " + (Path(head.temp_dir) / "ray-start.log").read_text())
        ready = subprocess.run([str(BIN / "ray"), "job", "list", "--address", head.dashboard],
                               env=head.env, capture_output=True, text=True, timeout=60)
        if ready.returncode == 0:
            return
        time.sleep(1.0)
    raise TimeoutError("the head node's job server did not come up")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM every process of this head's tree (as `ray stop` does, but only these), then SIGKILL stragglers."""
    try:
        root = psutil.Process(process.pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    for p in tree:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    deadline = time.monotonic() + 5  # Ray's raylet and `ray start` itself linger on SIGTERM
    while _alive(tree) and time.monotonic() < deadline:
        time.sleep(0.2)
    for p in _alive(tree):
        p.kill()
    process.wait(timeout=10)


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    # A zombie has exited; its reaper (PID 1 in a container) may never collect it.
    alive = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            pass
    return alive
