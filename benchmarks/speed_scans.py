"""OCR speed on scans: pages/s of docpipe, OCRmyPDF and plain Tesseract on the same page images.

    python benchmarks/speed_scans.py --scans DIR [--cpus 1 2] [--repeat K] [--pages N] [--out results.json]

Method. DIR is a set made by gen_scans.py (300 dpi grayscale scans: PDF, TIFF, PNG, JPEG).
Its pages are turned into one folder of page images in a temp dir, and every tool reads
exactly those images: the PNG and JPEG files as they are, PDF pages rendered to PNG at
300 dpi, TIFF frames written as PNG (scan_peers.page_images). --pages N keeps the first N.
For every N in --cpus (default 1 and 2):

  tesseract loop     `tesseract IMG stdout --psm 3 -l eng`, one process per page, N at a
                     time, OMP_THREAD_LIMIT=1 (so N processes = N cores). Timed by a child
                     process around its own loop (process start of every tesseract call is
                     inside: that is what calling the CLI costs; the child's own start-up is not).
  tesseract OpenMP   the same loop with one page at a time and tesseract's default OpenMP
                     threads (it may use every core of the machine); N = 1 row only, and
                     only with --tools tesseract-openmp (in the default; 4 minutes a run).
  OCRmyPDF           `ocrmypdf --rotate-pages --deskew -O0 --output-type pdf --jobs N
                     --sidecar TXT IN.pdf OUT.pdf` on ONE image-only PDF holding all the page
                     images at 300 dpi (built losslessly with PyMuPDF; OCRmyPDF parallelises over
                     the pages of a file, and one file spares its ~1 s start-up per page); wall
                     clock of the command. Per page it runs tesseract three times: OSD (psm 0)
                     for --rotate-pages, layout analysis (psm 2) for --deskew, then the OCR.
  docpipe run        `docpipe run IMAGES --out FRESH --engine ocr --num-cpus N -q`, wall clock
                     of the whole command (interpreter, imports, local Ray start included).
  docpipe start-up   the same command on one small image (one printed line, 300 dpi): the
                     fixed cost. Steady state = pages / (wall - median start-up at the same N).
                     docpipe prints its own "wall time" (from the start of pipeline.run: Ray
                     start included, interpreter and imports not); it is recorded too, and so
                     is a start-up or post-start-up time if a later docpipe prints one.
Ratios at the same N: docpipe pages/s over the tesseract loop's (N processes) and over
OCRmyPDF's. A docpipe run whose pages did not all come out "ok" with engine "ocr" is
reported as failed (its time says nothing), not as a number.

Measurement (shared with speed_born_digital.py): docpipe runs a frozen copy of docpipe/
taken at start (others edit the tree); each measurement waits for an idle machine, samples
the process tree for CPU seconds and peak PSS, and records "other jobs" (machine-wide busy
cores minus ours; about 0 when clean). K repeats, round robin, reported as median [min-max].
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pymupdf  # noqa: E402
from PIL import Image  # noqa: E402

import scan_peers as peers  # noqa: E402
from _common import docpipe_command, markdown_table, spread  # noqa: E402

DPI = 300


# ------------------------------------------------------------------ inputs


def collect_images(scans: Path, folder: Path, limit: int | None) -> list[Path]:
    """All page images of the set in one folder (PNG/JPEG as given, others as PNG), manifest order."""
    import shutil

    man = json.loads((scans / "manifest.json").read_text(encoding="utf-8"))
    folder.mkdir(parents=True)
    out: list[Path] = []
    for doc in man["documents"]:
        src = scans / doc["file"]
        for img in peers.page_images(src, folder.parent / "rendered"):
            target = folder / img.name
            shutil.copyfile(img, target)
            out.append(target)
    if limit:
        for extra in out[limit:]:
            extra.unlink()
        out = out[:limit]
    return out


def images_to_pdf(images: list[Path], target: Path) -> None:
    """One image-only PDF, each page the image at 300 dpi, embedded as it is (PNG or JPEG stream)."""
    pdf = pymupdf.open()
    for img in images:
        with Image.open(img) as im:
            w, h = im.size
        page = pdf.new_page(width=w * 72 / DPI, height=h * 72 / DPI)
        page.insert_image(page.rect, filename=str(img))
    pdf.save(target)
    pdf.close()


def one_line_image(target: Path) -> None:
    """A small 300 dpi image with one printed line: docpipe's start-up run costs (almost) no OCR."""
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=40)
    page.insert_text((10, 26), "Start-up check: one line of text.", fontsize=12)
    page.get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY).save(target)
    doc.close()


# ------------------------------------------------------------------ the raw tesseract loop (child)


def tesseract_child(cpus: int, omp: str, list_file: str) -> None:
    images = Path(list_file).read_text().split("\n")
    threads = 1 if omp == "1" else None
    started = time.perf_counter()
    with ThreadPoolExecutor(cpus) as pool:
        chars = sum(len(t) for t in pool.map(lambda p: peers.run_tesseract(Path(p), threads=threads), images))
    print(json.dumps({"seconds": time.perf_counter() - started, "pages": len(images), "chars": chars}))


# ------------------------------------------------------------------ the setups


def run_tesseract_loop(bench, list_file: Path, pages: int, cpus: int, omp: str) -> dict:
    from speed_born_digital import measure

    m = measure([sys.executable, str(Path(__file__).resolve()), "--_child", str(cpus), omp, str(list_file)], bench)
    reported = json.loads(m["stdout"].strip().splitlines()[-1])
    if reported["pages"] != pages:
        raise RuntimeError(f"tesseract loop did {reported['pages']} of {pages} pages")
    m["seconds"] = reported["seconds"]
    return m


def run_ocrmypdf(bench, pdf: Path, cpus: int) -> dict:
    from speed_born_digital import measure

    out = Path(tempfile.mkdtemp(dir=bench.tmp, prefix="ocrmypdf-"))
    cmd = peers.ocrmypdf_cmd(pdf, out / "out.pdf", out / "out.txt", jobs=cpus)
    m = measure(cmd, bench)
    m["seconds"] = m["wall_s"]
    return m


def docpipe_check(out: Path, pages: int) -> str:
    """'' when every page came out ok from the OCR engine, else what went wrong."""
    rows = peers.docpipe_rows(out) if (out / "pages").exists() else {}
    ok = sum(1 for r in rows.values() if r.get("status") == "ok" and r.get("engine") == "ocr")
    if ok == pages:
        return ""
    errors = {f"{r.get('status')} {r.get('engine')} {r.get('error_kind')}: {(r.get('error') or '')[:100]}"
              for r in rows.values() if not (r.get("status") == "ok" and r.get("engine") == "ocr")}
    return f"{ok} of {pages} pages ok by the ocr engine; " + "; ".join(sorted(errors)[:3])


_REPORTED = [("docpipe wall time", re.compile(r"wall time:\s*([0-9.]+)\s*s")),
             ("docpipe start-up", re.compile(r"start-?up[^0-9\n]*?([0-9.]+)\s*s", re.I)),
             ("docpipe after start-up", re.compile(r"after (?:ray )?start-?up[^0-9\n]*?([0-9.]+)\s*s", re.I))]


def run_docpipe(bench, inp: Path, pages: int, cpus: int) -> dict:
    from speed_born_digital import measure

    out = Path(tempfile.mkdtemp(dir=bench.tmp, prefix="docpipe-")) / "out"
    cmd = docpipe_command(inp, out, "--engine", "ocr", "--num-cpus", str(cpus))
    try:
        m = measure(cmd, bench)
    except RuntimeError as exc:
        return {"failed": str(exc)[-600:]}
    m["seconds"] = m["wall_s"]
    m["reported"] = {k: float(rx.search(m["stdout"])[1]) for k, rx in _REPORTED if rx.search(m["stdout"])}
    problem = docpipe_check(out, pages)
    if problem:
        m["failed"] = problem
    return m


# ------------------------------------------------------------------ summary


def summarise(pages: int, cpus_list: list[int], results: dict) -> list[dict]:
    def rate(key):
        ms = [m for m in results.get(key, []) if "failed" not in m]
        return pages / statistics.median(m["seconds"] for m in ms) if ms else None

    rows = []
    startup = {}
    for c in cpus_list:
        ms = [m for m in results.get(("docpipe start-up", c), []) if "failed" not in m]
        startup[c] = statistics.median(m["seconds"] for m in ms) if ms else None
    for (setup, c), ms in results.items():
        good = [m for m in ms if "failed" not in m]
        n = 1 if setup == "docpipe start-up" else pages
        row = {"setup": setup, "cpus": c, "pages": n, "runs": len(ms), "failed": [m["failed"] for m in ms
                                                                                  if "failed" in m]}
        if good:
            s = spread([m["seconds"] for m in good])
            row.update(seconds=s, pages_per_s=n / s["median"],
                       cpu_s=statistics.median(m["cpu_s"] for m in good),
                       peak_mb=max(m["peak_mb"] for m in good),
                       others_cores=max(m["others_cores"] for m in good),
                       reported={k: statistics.median(m["reported"][k] for m in good if k in m.get("reported", {}))
                                 for k in {k for m in good for k in m.get("reported", {})}})
            if setup == "docpipe run":
                raw, ocrmypdf = rate(("tesseract loop, OMP_THREAD_LIMIT=1", c)), rate(("OCRmyPDF", c))
                row["ratio_raw"] = row["pages_per_s"] / raw if raw else None
                row["ratio_ocrmypdf"] = row["pages_per_s"] / ocrmypdf if ocrmypdf else None
        rows.append(row)
        if setup == "docpipe run" and good and startup.get(c) is not None:
            steady = [m["seconds"] - startup[c] for m in good]
            s = spread(steady)
            raw, ocrmypdf = rate(("tesseract loop, OMP_THREAD_LIMIT=1", c)), rate(("OCRmyPDF", c))
            r = {"setup": "docpipe run, steady state (minus start-up)", "cpus": c, "pages": pages,
                 "runs": len(good), "failed": [], "seconds": s, "pages_per_s": pages / s["median"],
                 "cpu_s": row["cpu_s"], "peak_mb": row["peak_mb"], "others_cores": row["others_cores"]}
            r["ratio_raw"] = r["pages_per_s"] / raw if raw else None
            r["ratio_ocrmypdf"] = r["pages_per_s"] / ocrmypdf if ocrmypdf else None
            rows.append(r)
    return rows


def markdown(rows: list[dict]) -> str:
    def f(v, fmt="{:.2f}"):
        return "" if v is None else fmt.format(v)

    header = ["setup", "CPUs", "pages", "wall s, median [min-max]", "pages/s", "docpipe / tesseract loop",
              "docpipe / OCRmyPDF", "CPU s", "peak MB (PSS)", "other jobs, cores"]
    cells, notes = [], []
    for r in rows:
        if "seconds" not in r:
            cells.append([r["setup"], r["cpus"], r["pages"], "failed", "", "", "", "", "", ""])
            notes += [f"- {r['setup']}, {r['cpus']} CPU: {x}" for x in sorted(set(r["failed"]))]
            continue
        s = r["seconds"]
        cells.append([r["setup"], r["cpus"], r["pages"], f"{s['median']:.1f} [{s['min']:.1f}-{s['max']:.1f}]",
                      f"{r['pages_per_s']:.3f}", f(r.get("ratio_raw")), f(r.get("ratio_ocrmypdf")),
                      f"{r['cpu_s']:.1f}", f"{r['peak_mb']:.0f}", f"{r['others_cores']:.2f}"])
        if r.get("reported"):
            notes.append(f"- {r['setup']}, {r['cpus']} CPU, docpipe printed: " +
                         ", ".join(f"{k} {v:.1f} s" for k, v in sorted(r["reported"].items())))
        if r["failed"]:
            notes += [f"- {r['setup']}, {r['cpus']} CPU, failed runs left out: {x}" for x in sorted(set(r["failed"]))]
    return "\n".join([markdown_table(header, cells)] + ([""] + notes if notes else []))


# ------------------------------------------------------------------ main


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--_child":
        tesseract_child(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scans", type=Path, required=True, help="folder made by gen_scans.py")
    ap.add_argument("--cpus", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=1, help="measurements per setup (median reported)")
    ap.add_argument("--pages", type=int, default=None, help="use only the first N pages")
    ap.add_argument("--tools", nargs="*", default=["tesseract", "tesseract-openmp", "ocrmypdf", "docpipe"],
                    choices=["tesseract", "tesseract-openmp", "ocrmypdf", "docpipe"],
                    help="tesseract-openmp: the slow OpenMP loop row (about 4 minutes a run)")
    ap.add_argument("--max-wait", type=float, default=120.0,
                    help="longest wait (s) for an idle machine before each measurement")
    ap.add_argument("--out", type=Path, default=None, help="write JSON results here")
    args = ap.parse_args()

    from speed_born_digital import Bench, code_hash, machine, snapshot_code

    tools = list(args.tools)
    for tool, msg in peers.missing_peers([t for t in tools if t != "tesseract-openmp"]).items():
        print(f"speed_scans: {msg}; {tool} left out", file=sys.stderr)
        tools.remove(tool)
    if "tesseract" not in tools and "tesseract-openmp" in tools:
        tools.remove("tesseract-openmp")
    info = machine()
    info["peers"] = peers.versions()
    print(json.dumps(info), file=sys.stderr)
    results: dict[tuple[str, int], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="docpipe-speed-scans-") as tmp_name:
        tmp = Path(tmp_name)
        env = snapshot_code(tmp / "code")
        info["code_sha256"] = code_hash(tmp / "code")
        bench = Bench(tmp, env, args.max_wait)
        images = collect_images(args.scans, tmp / "inputs" / "images", args.pages)
        pages = len(images)
        list_file = tmp / "images.txt"
        list_file.write_text("\n".join(str(p) for p in images))
        pdf = tmp / "inputs" / "pages.pdf"
        images_to_pdf(images, pdf)
        one = tmp / "inputs" / "one" / "one_line.png"
        one.parent.mkdir(parents=True)
        one_line_image(one)
        print(f"{pages} page images from {args.scans}", file=sys.stderr)
        setups = []
        for c in args.cpus:
            if "tesseract-openmp" in tools and c == 1:
                setups.append(("tesseract loop, OpenMP default threads", 1))
            if "tesseract" in tools:
                setups.append(("tesseract loop, OMP_THREAD_LIMIT=1", c))
            if "ocrmypdf" in tools:
                setups.append(("OCRmyPDF", c))
            if "docpipe" in tools:
                setups += [("docpipe start-up", c), ("docpipe run", c)]
        for k in range(args.repeat):
            for setup, c in setups:
                print(f"[{k + 1}/{args.repeat}] {setup}, {c} CPU", file=sys.stderr, flush=True)
                try:
                    if setup.startswith("tesseract loop"):
                        m = run_tesseract_loop(bench, list_file, pages, c, "1" if "=1" in setup else "default")
                    elif setup == "OCRmyPDF":
                        m = run_ocrmypdf(bench, pdf, c)
                    elif setup == "docpipe start-up":
                        m = run_docpipe(bench, one.parent, 1, c)
                    else:
                        m = run_docpipe(bench, images[0].parent, pages, c)
                except (RuntimeError, ValueError, IndexError) as exc:  # a tool that fails is a result
                    m = {"failed": str(exc)[-600:]}
                if "failed" in m:
                    print(f"    failed: {m['failed'][:300]}", file=sys.stderr)
                results.setdefault((setup, c), []).append(m)
    rows = summarise(pages, args.cpus, results)
    print(f"{pages} pages (300 dpi grayscale scans from {args.scans})\n")
    print(markdown(rows))
    if args.out:
        runs = [{"setup": s, "cpus": c, "measurements": [{k: v for k, v in m.items() if k != "stdout"} for m in ms]}
                for (s, c), ms in results.items()]
        args.out.write_text(json.dumps({"machine": info, "repeat": args.repeat, "pages": pages,
                                        "summary": rows, "runs": runs}, indent=1, default=str))


if __name__ == "__main__":
    main()
