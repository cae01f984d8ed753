"""VLM throughput: pages/s per GPU of `docpipe run --engine vlm`, with the model's start-up taken out.

Method: N generated pages (born-digital text pages and their scans, from the
same generator as the OCR benchmarks) go through `docpipe run --engine vlm`
with progress on; the script parses the progress lines for the time the first
and the last page finished. Steady-state rate = (pages - 1) / (last - first),
per GPU = rate / (vlm workers x GPUs per worker). End-to-end rate includes
engine start-up and model load. Run it on the GPU machine:

    python benchmarks/vlm_throughput.py --pages 200 --out /tmp/vlmbench [--vlm-url URL] [-- docpipe options]

On a machine without a GPU (and without --vlm-url) it stops and says so:
there is nothing to measure there, and no number is made up.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def make_inputs(folder: Path, pages: int) -> None:
    from support.scanmaker import scan, text_page

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(pages):
        doc, _ = text_page(columns=1 + i % 2)
        if i % 2:
            scan(doc, dpi=200, skew=0.5, noise=0.002, seed=i).save(folder / f"scan{i:05d}.png", dpi=(200, 200))
        else:
            doc.save(folder / f"page{i:05d}.pdf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--vlm-url")
    parser.add_argument("--vlm-workers", type=int, default=1)
    parser.add_argument("--gpus-per-worker", type=int, default=1)
    args, extra = parser.parse_known_args()
    if args.vlm_url is None:
        if importlib.util.find_spec("vllm") is None:
            sys.exit("no vllm here: run this on the GPU machine, or pass --vlm-url")
        import torch  # vllm brings it

        if not torch.cuda.is_available():
            sys.exit("no GPU here: run this on the GPU machine, or pass --vlm-url")
    inputs = args.out / "inputs"
    shutil.rmtree(args.out / "result", ignore_errors=True)
    make_inputs(inputs, args.pages)
    command = [sys.executable, "-m", "docpipe.cli", "run", str(inputs), "--out", str(args.out / "result"),
               "--engine", "vlm", "--vlm-workers", str(args.vlm_workers),
               "--gpus-per-worker", str(args.gpus_per_worker), *extra]
    if args.vlm_url:
        command += ["--vlm-url", args.vlm_url]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done_at: dict[int, float] = {}
    for line in process.stdout:
        for count in re.findall(r"pages (\d+)/\d+", line):
            done_at.setdefault(int(count), time.perf_counter() - started)
    wall = time.perf_counter() - started
    if process.wait() != 0:
        sys.exit("docpipe run failed")
    first, last = min(done_at.items()), max(done_at.items())
    gpus = args.vlm_workers * args.gpus_per_worker if not args.vlm_url else 1
    steady = (last[0] - first[0]) / max(1e-9, last[1] - first[1])
    print("| pages | wall s | end-to-end pages/s | steady pages/s | steady pages/s per GPU |")
    print("|---|---|---|---|---|")
    print(f"| {args.pages} | {wall:.1f} | {args.pages / wall:.2f} | {steady:.2f} | {steady / gpus:.2f} |")


if __name__ == "__main__":
    main()
