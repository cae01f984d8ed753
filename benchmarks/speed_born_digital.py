"""Born-digital speed: pages/s of `docpipe run` against the same extraction in a plain loop.

    python benchmarks/speed_born_digital.py [--pages N] [--repeat K] [--out results.json] [--no-book]

Inputs are made on the fly in a temp folder by gen_born_digital.py (several seeds, until
there are at least N pages), plus the 285-page book `malformed/pymupdf__mupdf_explored.pdf`
of the shared corpus when ../shared/corpus sits next to the repo (read in place).

For each input set, on 1 and 2 CPUs:
  raw loop      docpipe.engines.text.extract_page over every page with PyMuPDF, in one
                process (1 CPU) or a 2-process Pool over page ranges (2 CPUs);
  rawdict       page.get_text("rawdict") alone, 1 CPU: the floor under any text-layer engine;
  docpipe run   the whole command (`docpipe run IN --out FRESH --num-cpus C -q`), wall clock;
  start-up      `docpipe run` on a 1-page PDF: interpreter, imports, local Ray, 1 page.
Steady-state docpipe pages/s = pages / (wall - median start-up at the same CPUs).
Raw loops run in a child process (clean memory reading) that times its own loop, so their
time excludes interpreter start and imports, as docpipe's steady state does.

Each measurement is repeated K times (round robin, so slow drift in background load hits
every setup alike) and reported as median [min-max]. Before each one the script waits until
the machine is idle (other jobs would skew a 2-core box). Columns besides wall time: CPU
seconds of the whole process tree (interpreter start and imports included, sampled every
0.25 s), its peak PSS (sampled every 2 s: reading it often slows the measured run),
and "other jobs": machine-wide busy cores minus ours during the measurement (about 0 when
the numbers are clean).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pymupdf

from _common import docpipe_command, docpipe_pages_ok, markdown_table, spread

REPO = Path(__file__).resolve().parent.parent
GENERATOR = REPO / "benchmarks" / "gen_born_digital.py"
BOOK = REPO.parent / "shared" / "corpus" / "malformed" / "pymupdf__mupdf_explored.pdf"
CPUS = (1, 2)
IDLE_BUSY_CORES = 0.3   # machine-wide busy cores below which we call the machine idle
SAMPLE_S = 0.25         # CPU sampling period during a measurement
# PSS is read every this many samples (2 s): reading a process's smaps walks its page tables
# and holds its memory lock. Every 0.25 s over docpipe's ~15 processes it took 4.4 CPU s of a
# 2-CPU, 35 s run and slowed the run by ~10%, against almost nothing for the tesseract loop.
MEMORY_EVERY = 8


# ------------------------------------------------------------------ inputs

def count_pages(pdfs: list[Path]) -> int:
    total = 0
    for pdf in pdfs:
        with pymupdf.open(pdf) as doc:
            total += doc.page_count
    return total


def make_born_digital(folder: Path, min_pages: int) -> list[Path]:
    """Generate seeds 1, 2, ... (12 documents each, ~40 pages) until there are min_pages pages."""
    pdfs: list[Path] = []
    seed = 0
    while not pdfs or count_pages(pdfs) < min_pages:
        seed += 1
        out = folder / f"seed{seed}"
        subprocess.run([sys.executable, str(GENERATOR), str(out), "--n", "12", "--seed", str(seed)],
                       check=True, capture_output=True)
        # The generator also writes .txt/.csv/.json truth files; docpipe skips them in folders.
        pdfs += sorted(out.glob("*.pdf"))
    return pdfs


def make_one_page(source: Path, folder: Path) -> Path:
    """A 1-page PDF, so a docpipe run on it is (almost) only start-up cost."""
    folder.mkdir(parents=True)
    target = folder / "one_page.pdf"
    with pymupdf.open(source) as src, pymupdf.open() as dst:
        dst.insert_pdf(src, from_page=0, to_page=0)
        dst.save(target)
    return target


def snapshot_code(folder: Path) -> dict[str, str]:
    """Copy docpipe/ as it is now and return an environment that imports the copy.

    Other people edit docpipe/ while a run takes half an hour; without a snapshot the
    repeats would measure different code. PYTHONPATH comes before the editable install and
    Ray's workers inherit it; commands run outside the repo, because Ray puts the driver's
    working directory first on its workers' sys.path.
    """
    shutil.copytree(REPO / "docpipe", folder / "docpipe", ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))
    return env


def code_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


# ------------------------------------------------------------------ the raw loop (child process)

def page_ranges(pdfs: list[str], per_range: int) -> list[tuple[str, int, int]]:
    """(path, start, stop) ranges of at most per_range pages, as docpipe splits documents."""
    ranges = []
    for pdf in pdfs:
        with pymupdf.open(pdf) as doc:
            n = doc.page_count
        ranges += [(pdf, start, min(start + per_range, n)) for start in range(0, n, per_range)]
    return ranges


def run_range(job: tuple[str, int, int, str]) -> int:
    """Extract one page range; returns pages done. Results are dropped: we time extraction only."""
    from docpipe.engines.text.page import extract_page

    path, start, stop, mode = job
    with pymupdf.open(path) as doc:
        for index in range(start, stop):
            page = doc.load_page(index)
            if mode == "rawdict":
                page.get_text("rawdict")
            else:
                extract_page(page, doc_id=path, source=path, page_number=index + 1)
    return stop - start


def raw_loop_child(mode: str, cpus: int, list_file: str) -> None:
    """Entry point of the child: time the loop itself and print {"seconds", "pages"} as JSON."""
    import multiprocessing

    import docpipe.engines.text.page  # noqa: F401  imported before the clock starts, as in a warm worker
    from docpipe.runner.plan import task_pages

    pdfs = Path(list_file).read_text().split("\n")
    total = 0
    for pdf in pdfs:
        with pymupdf.open(pdf) as doc:
            total += doc.page_count
    # The ranges docpipe itself would cut on this many CPUs (runner.plan.task_pages).
    jobs = [(*r, mode) for r in page_ranges(pdfs, task_pages(total, cpus))]
    started = time.perf_counter()
    if cpus == 1:
        pages = sum(run_range(job) for job in jobs)
    else:
        # Pool start-up is inside the clock: it is part of what a plain parallel loop costs.
        with multiprocessing.get_context("fork").Pool(cpus) as pool:
            pages = sum(pool.imap_unordered(run_range, jobs, chunksize=1))
    print(json.dumps({"seconds": time.perf_counter() - started, "pages": pages}))


# ------------------------------------------------------------------ measuring a command

def busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies machine-wide since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_cores(before: tuple[int, int], after: tuple[int, int]) -> float:
    busy, total = after[0] - before[0], after[1] - before[1]
    return (busy / total) * os.cpu_count() if total else 0.0


def wait_until_idle(max_wait_s: float) -> float:
    """Block until the machine is idle for 2 s (or max_wait_s passed); returns seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < max_wait_s:
        before = busy_jiffies()
        time.sleep(2.0)
        if busy_cores(before, busy_jiffies()) < IDLE_BUSY_CORES:
            break
    return time.perf_counter() - started


def sample_tree(proc: psutil.Process, cpu_by_pid: dict[int, float], memory: bool = True) -> float:
    """PSS in MB of a process and all its descendants (Ray's raylet, GCS, workers; 0 unless
    `memory`); also records each one's CPU seconds so far in cpu_by_pid.

    PSS rather than RSS: Ray's processes share libraries and the object store; RSS would
    count those once per process.
    """
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            if memory:
                total += p.memory_full_info().pss
            times = p.cpu_times()
            cpu_by_pid[p.pid] = times.user + times.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total / 2**20


@dataclass
class Bench:
    tmp: Path           # inputs, outputs, the code snapshot
    env: dict           # environment of every measured command (imports the snapshot)
    max_wait_s: float   # longest wait for an idle machine before a measurement


def measure(cmd: list[str], bench: Bench) -> dict:
    """Run cmd once: wall seconds, peak memory and CPU seconds of its process tree, other load.

    "others_cores" is the machine-wide busy cores minus ours: how much other jobs ran beside
    the measurement (0 on a quiet machine). CPU of a process after its last sample is missed.
    """
    waited = wait_until_idle(bench.max_wait_s)
    jiffies_before = busy_jiffies()
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=bench.env, cwd=bench.tmp)
    proc, peak, cpu_by_pid, samples = psutil.Process(child.pid), 0.0, {}, 0
    while child.poll() is None:
        try:
            peak = max(peak, sample_tree(proc, cpu_by_pid, memory=samples % MEMORY_EVERY == 1))
        except psutil.NoSuchProcess:
            pass
        samples += 1
        time.sleep(SAMPLE_S)
    wall = time.perf_counter() - started
    stdout, stderr = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {child.returncode}:\n{stderr[-2000:]}")
    ours = sum(cpu_by_pid.values())
    machine = busy_cores(jiffies_before, busy_jiffies())
    return {"wall_s": wall, "peak_mb": peak, "cpu_s": ours, "busy_cores": machine,
            "others_cores": max(0.0, machine - ours / wall), "waited_idle_s": waited, "stdout": stdout}


# ------------------------------------------------------------------ the setups

def docpipe_cmd(input_path: Path, out: Path, cpus: int) -> list[str]:
    return docpipe_command(input_path, out, "--num-cpus", str(cpus))


def run_docpipe(bench: Bench, input_path: Path, pages: int, cpus: int) -> dict:
    out = Path(tempfile.mkdtemp(dir=bench.tmp, prefix="out-")) / "out"  # fresh OUT every run
    m = measure(docpipe_cmd(input_path, out, cpus), bench)
    ok = docpipe_pages_ok(out)  # a fast run that failed its pages would be no result
    if ok != pages:
        raise RuntimeError(f"docpipe wrote {ok} ok page rows for {pages} pages of {input_path}")
    m["seconds"] = m["wall_s"]
    return m


def run_raw(bench: Bench, list_file: Path, pages: int, mode: str, cpus: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", mode, str(cpus), str(list_file)]
    m = measure(cmd, bench)
    reported = json.loads(m["stdout"].strip().splitlines()[-1])
    if reported["pages"] != pages:
        raise RuntimeError(f"raw loop did {reported['pages']} of {pages} pages")
    m["seconds"] = reported["seconds"]  # the loop's own clock, not the child's whole life
    return m


# (setup, CPUs) measured on every input set
SETUPS = [("rawdict", 1), *[(kind, c) for c in CPUS for kind in ("raw loop", "docpipe run")]]


def measure_all(bench: Bench, datasets: list[dict], one_page: Path, repeat: int) -> dict:
    """{(dataset, setup, cpus): [measurement, ...]}, repeats interleaved round robin."""
    results: dict[tuple[str, str, int], list[dict]] = {}
    for k in range(repeat):
        for cpus in CPUS:
            key = ("1-page PDF", "start-up", cpus)
            print(f"[{k + 1}/{repeat}] {key}", file=sys.stderr, flush=True)
            results.setdefault(key, []).append(run_docpipe(bench, one_page, 1, cpus))
        for ds in datasets:
            for kind, cpus in SETUPS:
                print(f"[{k + 1}/{repeat}] {ds['name']} {kind} {cpus} CPU", file=sys.stderr, flush=True)
                if kind == "docpipe run":
                    m = run_docpipe(bench, ds["input"], ds["pages"], cpus)
                else:
                    mode = "rawdict" if kind == "rawdict" else "extract"
                    m = run_raw(bench, ds["list_file"], ds["pages"], mode, cpus)
                results.setdefault((ds["name"], kind, cpus), []).append(m)
    return results


# ------------------------------------------------------------------ summary

def summarise(datasets: list[dict], results: dict) -> list[dict]:
    """One row per (dataset, setup, CPUs), plus a steady-state row under each docpipe run."""
    startup = {c: statistics.median(m["seconds"] for m in results[("1-page PDF", "start-up", c)])
               for c in CPUS}
    rows = [_row("1-page PDF", "docpipe start-up (1-page run)", c, 1,
                 [m["seconds"] for m in results[("1-page PDF", "start-up", c)]],
                 results[("1-page PDF", "start-up", c)], None) for c in CPUS]
    for ds in datasets:
        for kind, cpus in SETUPS:
            ms = results[(ds["name"], kind, cpus)]
            seconds = [m["seconds"] for m in ms]
            raw = results.get((ds["name"], "raw loop", cpus))
            raw_rate = ds["pages"] / statistics.median(m["seconds"] for m in raw) if raw else None
            label = {"rawdict": "PyMuPDF get_text(rawdict) only", "raw loop": "raw loop (extract_page)",
                     "docpipe run": "docpipe run, end to end"}[kind]
            rows.append(_row(ds["name"], label, cpus, ds["pages"], seconds, ms,
                             raw_rate if kind == "docpipe run" else None))
            if kind == "docpipe run":
                steady = [s - startup[cpus] for s in seconds]
                rows.append(_row(ds["name"], "docpipe run, steady state (minus start-up)", cpus,
                                 ds["pages"], steady, ms, raw_rate))
    return rows


def _row(dataset, setup, cpus, pages, seconds, ms, raw_rate) -> dict:
    s = spread(seconds)
    rate = pages / s["median"] if s["median"] > 0 else float("nan")
    return {"dataset": dataset, "setup": setup, "cpus": cpus, "pages": pages, "seconds": s,
            "pages_per_s": rate, "ratio_to_raw_loop": rate / raw_rate if raw_rate else None,
            "cpu_s": statistics.median(m["cpu_s"] for m in ms), "peak_mb": max(m["peak_mb"] for m in ms),
            "others_cores": max(m["others_cores"] for m in ms)}


def markdown(rows: list[dict]) -> str:
    header = ["input", "setup", "CPUs", "pages", "wall s, median [min-max]", "pages/s", "docpipe / raw loop",
              "CPU s (median)", "peak MB (PSS)", "other jobs, cores (max)"]
    cells = []
    for r in rows:
        s = r["seconds"]
        ratio = f"{r['ratio_to_raw_loop']:.2f}" if r["ratio_to_raw_loop"] is not None else ""
        cells.append([r["dataset"], r["setup"], r["cpus"], r["pages"], f"{s['median']:.2f} [{s['min']:.2f}-{s['max']:.2f}]",
                      f"{r['pages_per_s']:.1f}", ratio, f"{r['cpu_s']:.1f}", f"{r['peak_mb']:.0f}",
                      f"{r['others_cores']:.2f}"])
    return markdown_table(header, cells, align="llrrrrrrrr")


def machine() -> dict:
    import ray

    import docpipe

    mem_kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                  if line.startswith("model name")), platform.processor())
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": model, "mem_gib": round(mem_kb / 2**20, 1),
            "os": platform.platform(), "python": platform.python_version(), "ray": ray.__version__,
            "pymupdf": pymupdf.__version__, "docpipe": docpipe.__version__, "git": git_state()}


def git_state() -> str:
    """Commit, and whether docpipe/ has uncommitted edits (the snapshot is of the working tree)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout.strip()

    dirty = git("status", "--porcelain", "--", "docpipe")
    return git("rev-parse", "--short", "HEAD") + (" + uncommitted docpipe/ edits" if dirty else "")


# ------------------------------------------------------------------ main

def prepare(tmp: Path, pages: int, book: bool) -> tuple[list[dict], Path]:
    generated = tmp / "born_digital"
    pdfs = make_born_digital(generated, pages)
    datasets = [{"name": "generated born-digital", "input": generated, "pdfs": pdfs}]
    if book and BOOK.exists():
        datasets.append({"name": "MuPDF Explored (book)", "input": BOOK, "pdfs": [BOOK]})
    for i, ds in enumerate(datasets):
        ds["pages"] = count_pages(ds["pdfs"])
        ds["documents"] = len(ds["pdfs"])
        ds["list_file"] = tmp / f"inputs-{i}.txt"  # the raw loop child reads its file list here
        ds["list_file"].write_text("\n".join(str(p) for p in ds["pdfs"]))
    return datasets, make_one_page(pdfs[0], tmp / "one_page")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--_child":
        raw_loop_child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=300, help="at least this many generated pages")
    ap.add_argument("--repeat", type=int, default=3, help="measurements per setup (median reported)")
    ap.add_argument("--out", type=Path, default=None, help="write JSON results here")
    ap.add_argument("--no-book", dest="book", action="store_false", help="skip the shared-corpus book")
    ap.add_argument("--max-wait", type=float, default=120.0,
                    help="longest wait (s) for an idle machine before each measurement")
    args = ap.parse_args()

    info = machine()
    print(json.dumps(info), file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="docpipe-speed-") as tmp_name:
        tmp = Path(tmp_name)
        bench = Bench(tmp, snapshot_code(tmp / "code"), args.max_wait)  # first: freeze the code
        info["code_sha256"] = code_hash(tmp / "code")
        datasets, one_page = prepare(tmp, args.pages, args.book)
        for ds in datasets:
            print(f"{ds['name']}: {ds['documents']} documents, {ds['pages']} pages", file=sys.stderr)
        results = measure_all(bench, datasets, one_page, args.repeat)
    rows = summarise(datasets, results)
    print(markdown(rows))
    if args.out:
        runs = [{"dataset": d, "setup": s, "cpus": c,
                 "measurements": [{k: v for k, v in m.items() if k != "stdout"} for m in ms]}
                for (d, s, c), ms in results.items()]
        inputs = [{"name": ds["name"], "documents": ds["documents"], "pages": ds["pages"]} for ds in datasets]
        args.out.write_text(json.dumps({"machine": info, "repeat": args.repeat, "inputs": inputs,
                                        "summary": rows, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
