"""A run's fixed cost and its scaling, against pdfplumber, in one alternated run (issue 19's yardstick).

    python benchmarks/run_overhead.py [--pages 340] [--repeat 3] [--json out.json]

Needs the bench extra (`make bench-deps`: pdfplumber). Inputs, made afresh in a temp folder:
gen_born_digital.py seeds 1, 2, ... (reports with ruled tables, 2- and 3-column text) until
there are --pages pages, and page 1 of the first document as a one-page PDF. Each round runs,
in this order, each whole command timed from spawn to exit:

  docpipe 2 CPU      `docpipe run IN --out FRESH -q` with no Ray running (it starts its own,
                     with every CPU of the machine: 2 here)
  docpipe 1 CPU      the same with --num-cpus 1
  pdfplumber         `extract_text()` and `extract_tables()` of every page, a 2-process
                     multiprocessing.Pool over the files (imports and Pool start included)
  one page, cold     docpipe on the one-page PDF, no Ray running
  one page, joined   the same while a Ray started by `docpipe up` runs (started before, not
                     timed: `ray start --head` plus one tiny Ray Data job that makes the
                     helper actors Ray Data keeps per cluster)

Medians of --repeat rounds; the verdict lines are issue 19's acceptance:
docpipe 2 CPU <= pdfplumber; one page cold <= 30% of docpipe 2 CPU; one page joined <= half of
one page cold; docpipe 1 CPU / docpipe 2 CPU >= 1.6. (Memory per worker: memory_pages.py.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import speed_born_digital as sb  # noqa: E402  (the generated inputs and the machine description)
from _common import docpipe_command, docpipe_pages_ok  # noqa: E402

DOCPIPE = Path(sys.executable).with_name("docpipe")


def pdfplumber_child(list_file: str) -> None:
    """extract_text and extract_tables of every page of every file, 2 processes."""
    from multiprocessing import Pool

    files = Path(list_file).read_text().split("\n")
    with Pool(2) as pool:
        pages = sum(pool.imap_unordered(_plumb, files))
    print(pages)


def _plumb(path: str) -> int:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
        return len(pdf.pages)


def timed(cmd: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr[-2000:]}")
    return wall, done.stdout


def docpipe(input_path: Path, tmp: Path, pages: int, *options: str) -> float:
    out = Path(tempfile.mkdtemp(dir=tmp, prefix="out-")) / "out"
    wall, _ = timed(docpipe_command(input_path, out, *options))
    if docpipe_pages_ok(out) != pages:
        raise RuntimeError(f"docpipe did not write the {pages} pages of {input_path}")
    return wall


def ray_cluster(start: bool) -> None:
    subprocess.run([str(DOCPIPE), "up" if start else "down"], capture_output=True, check=start)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--_pdfplumber":
        pdfplumber_child(sys.argv[2])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=340)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    ray_cluster(False)
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="docpipe-overhead-") as name:
        tmp = Path(name)
        pdfs = sb.make_born_digital(tmp / "in", args.pages)
        pages = sb.count_pages(pdfs)
        one = sb.make_one_page(pdfs[0], tmp / "one")
        (tmp / "list.txt").write_text("\n".join(map(str, pdfs)))
        for k in range(args.repeat):
            print(f"round {k + 1}/{args.repeat}", file=sys.stderr, flush=True)
            times.setdefault("docpipe 2 CPU", []).append(docpipe(tmp / "in", tmp, pages))
            times.setdefault("docpipe 1 CPU", []).append(docpipe(tmp / "in", tmp, pages, "--num-cpus", "1"))
            wall, plumbed = timed([sys.executable, __file__, "--_pdfplumber", str(tmp / "list.txt")])
            assert int(plumbed.strip()) == pages
            times.setdefault("pdfplumber, 2 processes", []).append(wall)
            times.setdefault("one page, cold", []).append(docpipe(one, tmp, 1))
            ray_cluster(True)
            try:
                times.setdefault("one page, joined", []).append(docpipe(one, tmp, 1))
            finally:
                ray_cluster(False)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{len(pdfs)} documents, {pages} pages; medians of {args.repeat} alternated rounds\n")
    print("| command | wall s, median [min-max] |\n|---|---:|")
    for name, values in times.items():
        print(f"| {name} | {med[name]:.2f} [{min(values):.2f}-{max(values):.2f}] |")
    checks = [
        ("docpipe 2 CPU / pdfplumber", med["docpipe 2 CPU"] / med["pdfplumber, 2 processes"], "<= 1.0"),
        ("one page cold / docpipe 2 CPU", med["one page, cold"] / med["docpipe 2 CPU"], "<= 0.30"),
        ("one page joined / one page cold", med["one page, joined"] / med["one page, cold"], "<= 0.50"),
        ("docpipe 1 CPU / docpipe 2 CPU", med["docpipe 1 CPU"] / med["docpipe 2 CPU"], ">= 1.6"),
    ]
    print("\n| ratio | measured | asked |\n|---|---:|---:|")
    for name, value, asked in checks:
        print(f"| {name} | {value:.2f} | {asked} |")
    if args.json:
        args.json.write_text(json.dumps({"pages": pages, "times": times, "machine": sb.machine()}, indent=1))


if __name__ == "__main__":
    main()
