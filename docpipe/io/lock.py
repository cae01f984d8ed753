"""One writer per OUT: the run's lock, held from before recovery to after the sweep.

A second run on the same OUT would recover (delete) the first run's pages in
progress and commit the same documents twice, so it is refused up front.

- Local folders: `OUT/_lock`, held with `flock`. The kernel releases it when
  the holding process dies, however it dies, so a killed run's lock is taken
  over by the next run at once. The file also says who holds it.
- Object stores (s3://, gs://): a lease object `OUT/_lock` naming its run and
  renewed every HEARTBEAT_S by a thread of the driver. A lease not renewed for
  STALE_S belongs to a run that is gone and is taken over. S3 (If-None-Match)
  and GCS (ifGenerationMatch) both offer create-if-absent writes, but pyarrow's
  filesystems, which docpipe writes through, expose neither; so two runs that
  find no lease at the same moment settle it by write, wait SETTLE_S, read
  back: both stores are strongly consistent, the last write wins and the
  other run sees a lease that is not its own and stops.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from typing import Optional

import pyarrow.fs as pafs

from docpipe.errors import OutputLocked
from docpipe.io.storage import join, resolve_filesystem

LOCK_NAME = "_lock"
HEARTBEAT_S = 10.0
STALE_S = 60.0
SETTLE_S = 2.0


def _holder(run_id: str) -> dict:
    return {"run_id": run_id, "host": socket.gethostname(), "pid": os.getpid(), "heartbeat": time.time()}


def _describe(holder: dict) -> str:
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(holder.get("heartbeat", 0)))
    return f"run {holder.get('run_id', '?')} (pid {holder.get('pid', '?')} on {holder.get('host', '?')}, {started})"


class OutputLock:
    """`with OutputLock(out, run_id):` holds OUT for this run, or raises OutputLocked."""

    def __init__(self, out_uri: str, run_id: str, stale_s: float = STALE_S, heartbeat_s: float = HEARTBEAT_S,
                 settle_s: float = SETTLE_S):
        self.out_uri, self.run_id = out_uri, run_id
        self.stale_s, self.heartbeat_s, self.settle_s = stale_s, heartbeat_s, settle_s
        self.fs, root = resolve_filesystem(out_uri)
        self.path = join(root, LOCK_NAME)
        self._fd: Optional[int] = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.lost: Optional[str] = None  # set when another run took the lease over (object stores)

    def __enter__(self) -> "OutputLock":
        if isinstance(self.fs, pafs.LocalFileSystem):
            self._lock_local()
        else:
            self._lock_remote()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    # ---------------------------------------------------------------- local: flock

    def _lock_local(self) -> None:
        import fcntl  # POSIX only; imported here so the module loads everywhere

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_json(os.pread(fd, 4096, 0))
            os.close(fd)
            raise OutputLocked(
                f"--out {self.out_uri} is being written by {_describe(holder)}; one run at a time per output. "
                "Wait for it to finish, or give another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(_holder(self.run_id)).encode(), 0)
        self._fd = fd

    # ---------------------------------------------------------------- object stores: a lease

    def _lock_remote(self) -> None:
        holder = self._read_lease()
        if holder and holder.get("run_id") != self.run_id and time.time() - holder.get("heartbeat", 0) < self.stale_s:
            raise OutputLocked(self._refusal(holder))
        self._write_lease()
        time.sleep(self.settle_s)
        holder = self._read_lease()
        if not holder or holder.get("run_id") != self.run_id:
            raise OutputLocked(self._refusal(holder or {}))
        self._thread = threading.Thread(target=self._renew, name="docpipe-output-lease", daemon=True)
        self._thread.start()

    def _refusal(self, holder: dict) -> str:
        return (f"--out {self.out_uri} is being written by {_describe(holder)}; one run at a time per output. "
                f"Wait for it to finish; if that run is gone, its lease ({self.path}) expires "
                f"{self.stale_s:g} s after its last renewal and the next run takes over, or delete it to take "
                "over now")

    def _renew(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            try:
                holder = self._read_lease()
                if holder and holder.get("run_id") != self.run_id:
                    self.lost = f"another run took over --out {self.out_uri}: {_describe(holder)}"
                    return
                self._write_lease()
            except OSError:
                continue  # a store hiccup: the next beat tries again, well inside STALE_S

    def _read_lease(self) -> Optional[dict]:
        # get_file_info first: what a missing object raises differs between pyarrow's stores.
        if self.fs.get_file_info(self.path).type == pafs.FileType.NotFound:
            return None
        with self.fs.open_input_stream(self.path) as handle:
            return _read_json(handle.read())

    def _write_lease(self) -> None:
        with self.fs.open_output_stream(self.path) as handle:
            handle.write(json.dumps(_holder(self.run_id)).encode())

    # ---------------------------------------------------------------- both

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock; the file stays, saying who ran last
            self._fd = None
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
            try:
                holder = self._read_lease()
                if holder and holder.get("run_id") == self.run_id:
                    self.fs.delete_file(self.path)
            except OSError:
                pass  # the lease then expires on its own


def _read_json(data: bytes) -> dict:
    try:
        value = json.loads(data.decode("utf-8", "replace") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
