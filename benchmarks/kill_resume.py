"""Kill a docpipe run with SIGKILL (the driver and its local Ray) after output has started, re-run it.

    python benchmarks/kill_resume.py WORKDIR [--pages 1200] [--num-cpus 2] [--malformed N] [--kill-after-parts K]
    python benchmarks/kill_resume.py WORKDIR --job-submit [...]

Inputs: born-digital PDFs from gen_born_digital.py (about 3 pages each) until
--pages pages, plus the first N files of ../shared/corpus/malformed, linked
(symlinks: the corpus is read in place, never copied). The same
`docpipe run` command runs twice: the first is SIGKILLed, with every process
it started, once K documents parts are committed (mid-run); the second must finish
the job. DuckDB then checks that every input is in OUT/documents exactly once
and every page of every document is in OUT/pages exactly once.

With --job-submit the same happens through `ray job submit` of jobs/extract.py
to a head node started on 127.0.0.1 with token authentication (the tests'
`support.raycluster.head_node`): the first job's driver is SIGKILLed mid-run, and the
same job is submitted again and must finish the work.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import duckdb
import psutil
import pymupdf

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpus" / "malformed"


def make_inputs(folder: Path, pages: int, malformed: int) -> int:
    """Generated PDFs with `pages` pages in all, plus links to malformed files; returns the file count."""
    if not folder.is_dir():
        docs = max(1, round(pages / 3.25))
        subprocess.run([sys.executable, str(HERE / "gen_born_digital.py"), str(folder), "--n", str(docs),
                        "--seed", "1200"], check=True, capture_output=True)
        total = 0
        for pdf in sorted(folder.glob("*.pdf")):
            n = pymupdf.open(pdf).page_count
            if total + n > pages:
                pdf.unlink()
            total += n if pdf.exists() else 0
        for path in sorted(p for p in CORPUS.glob("*.pdf"))[:malformed]:
            (folder / f"malformed__{path.name}").symlink_to(path)
    return len(list(folder.glob("*.pdf")))


def family(pid: int) -> list[psutil.Process]:
    parent = psutil.Process(pid)
    return [parent, *parent.children(recursive=True)]


def tally(out: Path) -> dict:
    docs, pages = f"read_parquet('{out}/documents/*.parquet')", f"read_parquet('{out}/pages/*.parquet')"
    one = lambda sql: duckdb.sql(sql).fetchall()[0][0]  # noqa: E731
    if not list((out / "documents").glob("*.parquet")):
        return {"documents": 0}
    result = {
        "documents": one(f"select count(*) from {docs}"),
        "distinct sources": one(f"select count(distinct source) from {docs}"),
        "pages rows": one(f"select count(*) from {pages}") if list((out / "pages").glob("*.parquet")) else 0,
    }
    if result["pages rows"]:
        result["distinct (doc_id, page)"] = one(f"select count(*) from (select distinct doc_id, page from {pages})")
        result["pages expected (sum of n_pages, ok/partial docs, once per doc_id)"] = one(
            f"select coalesce(sum(n), 0) from (select distinct doc_id, n_pages n from {docs} "
            "where status <> 'error' or pages_ok + pages_failed > 0)")
    return result


def stray_files(out: Path) -> dict:
    """Files a reader's glob of the datasets would meet that are not finished parts, and what staging holds."""
    stray = [p.name for sub in ("pages", "documents") if (out / sub).is_dir() for p in (out / sub).iterdir()
             if not (p.name.startswith("part-") and p.name.endswith(".parquet"))]
    staging = list((out / "_staging").iterdir()) if (out / "_staging").is_dir() else []
    return {"not parts in pages/ or documents/": len(stray), "files in _staging": len(staging)}


def local_run(folder: Path, out: Path, args) -> tuple[list[str], Callable]:
    """`docpipe run`: the command, and how to kill it (the driver and the Ray it started)."""
    command = [str(Path(sys.executable).with_name("docpipe")), "run", str(folder), "--out", str(out),
               "--num-cpus", str(args.num_cpus), "--quiet"]
    return command, lambda process: family(process.pid)


def job_submit(head, folder: Path, out: Path) -> tuple[list[str], Callable]:
    """`ray job submit` of jobs/extract.py; killing it means SIGKILL to the job's driver on the cluster."""
    command = [str(Path(sys.executable).with_name("ray")), "job", "submit", "--address", head.dashboard,
               "--runtime-env", "jobs/runtime_env.yaml", "--working-dir", ".", "--",
               "python", "jobs/extract.py", str(folder), "--out", str(out), "--quiet"]

    def drivers(process):
        return [p for p in psutil.process_iter(["cmdline"])
                if "jobs/extract.py" in " ".join(p.info["cmdline"] or []) and "submit" not in p.info["cmdline"]]
    return command, drivers


def run_twice(command: list[str], kill_targets: Callable, out: Path, args, env=None) -> subprocess.CompletedProcess:
    started = time.monotonic()
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=HERE.parent, env=env)
    while len(list((out / "documents").glob("part-*.parquet"))) < args.kill_after_parts:
        if first.poll() is not None:
            sys.exit("the first run ended before it could be killed; use more --pages")
        time.sleep(0.2)
    members = kill_targets(first)
    for member in members:
        member.send_signal(signal.SIGKILL)
    first.wait()
    psutil.wait_procs(members, timeout=30)
    print(f"killed {len(members)} processes with SIGKILL after {time.monotonic() - started:.1f} s")
    print("after the kill:", tally(out), stray_files(out))
    started = time.monotonic()
    second = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent, env=env)
    print(f"re-run: returncode {second.returncode}, {time.monotonic() - started:.1f} s")
    return second


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--pages", type=int, default=1200)
    ap.add_argument("--malformed", type=int, default=8)
    ap.add_argument("--num-cpus", type=int, default=2)
    ap.add_argument("--kill-after-parts", type=int, default=3, help="documents parts committed before the kill")
    ap.add_argument("--job-submit", action="store_true", help="through ray job submit to a head node on 127.0.0.1")
    args = ap.parse_args()
    folder, out = (args.workdir / "in").resolve(), (args.workdir / "out").resolve()
    n_files = make_inputs(folder, args.pages, args.malformed)
    print(f"inputs: {n_files} files")
    if args.job_submit:
        sys.path.insert(0, str(HERE.parent / "tests"))  # the tests' head node: token auth, free ports
        from support.raycluster import head_node

        with head_node(num_cpus=args.num_cpus) as head:
            command, targets = job_submit(head, folder, out)
            print("command:", " ".join(command))
            second = run_twice(command, targets, out, args, env=head.env)
    else:
        command, targets = local_run(folder, out, args)
        print("command:", " ".join(command))
        second = run_twice(command, targets, out, args)
    print("\n".join("  " + line for line in second.stdout.strip().splitlines()[-8:]))
    final = tally(out)
    strays = stray_files(out)
    print("after the re-run:", final, strays)
    statuses = duckdb.sql(
        f"select case when source like '%/malformed__%' then 'malformed' else 'generated' end kind, status, "
        f"count(*) from read_parquet('{out}/documents/*.parquet') group by all order by all").fetchall()
    print("documents by kind and status:", statuses)
    ok = (second.returncode == 0 and not any(strays.values()) and final["documents"] == final["distinct sources"] == n_files
          and final["pages rows"] == final["distinct (doc_id, page)"]
          == final["pages expected (sum of n_pages, ok/partial docs, once per doc_id)"]
          and all(status == "ok" for kind, status, _ in statuses if kind == "generated"))
    print("exactly once:", "yes" if ok else "NO")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
