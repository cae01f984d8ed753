"""Memory per worker against document length: does a 2,000-page PDF need more than a 20-page one?

    python benchmarks/memory_pages.py [--pages 20,2000] [--scan-pages 8,80] [--workers 2] [--out r.json]

Inputs, made in a temp folder: gen_born_digital.py's documents (seed 2024, 12 documents:
reports, tables, landscape and sideways pages) are taken page by page, round robin over the
documents, and cycled into one born-digital PDF of each length, so the short and the long
document hold the same mix of pages. The
scanned variant renders the same pages at 300 dpi grayscale into image-only PDFs (one JPEG a
page), fewer pages because OCR takes ~2 s a page.

Each document is run alone through docpipe's pipeline (`pipeline.run`, a fresh local Ray with
--workers page workers, default page ranges), in this process. A sampler thread finds the
Ray worker processes running docpipe's page stage (process title `ray::MapBatches(extract_bundles)`
for born-digital runs, `ray::…PageWorker…` for runs with scans, among
the descendants of this process, i.e. of this run's Ray) and
reads their RSS and USS (psutil memory_full_info; USS = memory private to the process, RSS
also counts shared libraries and object-store pages it touched) every 0.1 s. Reported per
run: the highest peak over the workers, and the start-up level (the first sample of each
worker, before any page). The verdict compares peak USS and peak RSS of the long document
against the short one (target: within 20%).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pymupdf

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from docpipe.config import RunConfig  # noqa: E402
from docpipe.runner.pipeline import run  # noqa: E402

SAMPLE_S = 0.1


def source_pages(work: Path) -> list[tuple[Path, int]]:
    gen = work / "gen"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "gen_born_digital.py"), str(gen),
                    "--seed", "2024", "--n", "12"], check=True, capture_output=True)
    per_doc = []
    for pdf in sorted(gen.glob("*.pdf")):
        with pymupdf.open(pdf) as doc:
            per_doc.append([(pdf, i) for i in range(doc.page_count)])
    # Round robin over the documents, so that even the first 20 pages hold every kind of page
    # (and the short document loads the same models as the long one).
    return [doc[k] for k in range(max(map(len, per_doc))) for doc in per_doc if k < len(doc)]


def born_digital(pages: list[tuple[Path, int]], n: int, path: Path) -> Path:
    out = pymupdf.open()
    sources = {}
    for k in range(n):
        pdf, index = pages[k % len(pages)]
        src = sources.setdefault(pdf, pymupdf.open(pdf))
        out.insert_pdf(src, from_page=index, to_page=index)
    out.save(path, garbage=4, deflate=True)  # garbage=4 shares the repeated fonts, as a real book does
    return path


def scanned(pages: list[tuple[Path, int]], n: int, path: Path) -> Path:
    from PIL import Image

    out = pymupdf.open()
    for k in range(n):
        pdf, index = pages[k % len(pages)]
        with pymupdf.open(pdf) as src:
            page = src.load_page(index)
            pix = page.get_pixmap(dpi=300, colorspace=pymupdf.csGRAY)
            buffer = io.BytesIO()
            Image.frombytes("L", (pix.width, pix.height), pix.samples).save(buffer, "JPEG", quality=80)
            target = out.new_page(width=page.rect.width, height=page.rect.height)
            target.insert_image(target.rect, stream=buffer.getvalue())
    out.save(path, garbage=3, deflate=True)
    return path


class WorkerSampler(threading.Thread):
    """Peak RSS / USS of every page stage process seen while a run lasts."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peaks: dict[int, dict] = {}

    def run(self) -> None:
        procs: dict[int, psutil.Process] = {}
        while not self.stop.is_set():
            # Only this run's Ray (started by this process): other people's docpipe runs on the
            # same machine have page stage processes too.
            for p in psutil.Process().children(recursive=True):
                try:
                    title = " ".join(p.cmdline())
                except psutil.Error:
                    continue
                if p.pid not in procs and title.startswith("ray::") and (
                        "PageWorker" in title or "extract_bundles" in title):
                    procs[p.pid] = p
            for pid, p in list(procs.items()):
                try:
                    m = p.memory_full_info()
                except psutil.Error:
                    procs.pop(pid)
                    continue
                peak = self.peaks.setdefault(pid, {"first_rss": m.rss, "first_uss": m.uss, "rss": 0, "uss": 0})
                peak["rss"], peak["uss"] = max(peak["rss"], m.rss), max(peak["uss"], m.uss)
            time.sleep(SAMPLE_S)


def measure(pdf: Path, n_pages: int, workers: int, out: Path) -> dict:
    sampler = WorkerSampler()
    sampler.start()
    started = time.perf_counter()
    summary = run(RunConfig(input=str(pdf), out=str(out), workers=workers, num_cpus=workers, progress=False))
    wall = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    doc = summary.documents[0]
    assert doc.status == "ok" and doc.pages_ok == n_pages, (doc.status, doc.pages_ok, doc.error)
    mib = 2**20
    peaks = list(sampler.peaks.values())
    return {
        "pages": n_pages, "file_mb": round(pdf.stat().st_size / mib, 2), "wall_s": round(wall, 1),
        "workers_seen": len(peaks),
        "peak_rss_mb": round(max(p["rss"] for p in peaks) / mib, 1),
        "peak_uss_mb": round(max(p["uss"] for p in peaks) / mib, 1),
        "start_rss_mb": round(min(p["first_rss"] for p in peaks) / mib, 1),
        "start_uss_mb": round(min(p["first_uss"] for p in peaks) / mib, 1),
    }


def compare(kind: str, rows: list[dict]) -> dict:
    short, long_ = rows[0], rows[-1]
    ratio_rss = long_["peak_rss_mb"] / short["peak_rss_mb"]
    ratio_uss = long_["peak_uss_mb"] / short["peak_uss_mb"]
    return {"kind": kind, "runs": rows, "rss_ratio": round(ratio_rss, 3), "uss_ratio": round(ratio_uss, 3),
            "within_20pct": ratio_rss <= 1.2 and ratio_uss <= 1.2}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", default="20,2000", help="born-digital lengths, short first")
    ap.add_argument("--scan-pages", default="8,80", help="scanned lengths, short first ('' to skip)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="docpipe-mem-") as tmp:
        work = Path(tmp)
        pages = source_pages(work)
        for kind, lengths, make in (("born-digital", args.pages, born_digital), ("scanned", args.scan_pages, scanned)):
            rows = []
            for n in [int(x) for x in lengths.split(",") if x]:
                pdf = make(pages, n, work / f"{kind}-{n}.pdf")
                rows.append(measure(pdf, n, args.workers, work / f"out-{kind}-{n}"))
                print(kind, json.dumps(rows[-1]), flush=True)
            if rows:
                results.append(compare(kind, rows))
    for r in results:
        print(f"{r['kind']}: peak RSS x{r['rss_ratio']}, peak USS x{r['uss_ratio']} "
              f"({'within' if r['within_20pct'] else 'NOT within'} 20%)")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
