"""PyMuPDF's layout model with ONNX Runtime's default threads against one thread, two processes at once.

    python benchmarks/layout_threads.py [--corpus ../shared/corpus] [--work /tmp/layout_threads]

Inputs: the PDFs of the shared corpus (at most 60 pages each). The pages whose
`extract_page` asks the layout model (`Page.get_layout`, for tables without rulings)
are found first; then two processes at once each extract half of them three times
(as docpipe's two page workers on a 2-CPU machine), once with ONNX Runtime's
default session options (a thread per core, spinning while idle) and once with one
intra-op thread (the CPU Ray gives each worker); then one process alone with each.
Prints wall and CPU seconds of each process. The sizing is docpipe's own
(`io.pdf_library`): the children run with OMP_NUM_THREADS=1, as a Ray worker does, or
without it. (gen_born_digital.py's pages no longer ask the model since f0a0e98.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(pages_file: str, part: int, parts: int) -> None:
    from docpipe.engines.text.page import extract_page
    from docpipe.io.pdf_library import pymupdf_module

    pymupdf = pymupdf_module()
    pages = json.loads(Path(pages_file).read_text())[part::parts]
    with pymupdf.open(pages[0][0]) as doc:  # warm: the first call pays one-off costs
        extract_page(doc.load_page(pages[0][1]), doc_id="warm", source="warm", page_number=1)
    wall, cpu = time.perf_counter(), time.process_time()
    for path, index in pages * 3:
        with pymupdf.open(path) as doc:
            extract_page(doc.load_page(index), doc_id=path, source=path, page_number=index + 1)
    print(json.dumps({"pages": 3 * len(pages), "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}))


def layout_pages(pdfs: list[Path]) -> list[tuple[str, int]]:
    from docpipe.engines.text.page import extract_page
    from docpipe.io.pdf_library import pymupdf_module

    pymupdf = pymupdf_module()

    asked: list[int] = []
    original = pymupdf.Page.get_layout

    def counted(self, *args, **kwargs):
        asked.append(1)
        return original(self, *args, **kwargs)
    pymupdf.Page.get_layout = counted
    found = []
    for path in pdfs:
        try:
            doc = pymupdf.open(path)
            count = min(doc.page_count, 60)
        except Exception:  # the corpus's damaged files
            continue
        with doc:
            for index in range(count):
                before = len(asked)
                try:
                    extract_page(doc.load_page(index), doc_id=str(path), source=str(path), page_number=index + 1)
                except Exception:
                    continue
                if len(asked) > before:
                    found.append((str(path), index))
    pymupdf.Page.get_layout = original
    return found


def run(pages_file: Path, parts: int, one_thread: bool) -> list[dict]:
    command = [sys.executable, __file__, "--child", str(pages_file), "--parts", str(parts)]
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if one_thread:
        env["OMP_NUM_THREADS"] = "1"  # what Ray sets in a one-CPU worker; docpipe sizes ONNX by it
    procs = [subprocess.Popen([*command, "--part", str(k)], stdout=subprocess.PIPE, text=True, env=env)
             for k in range(parts)]
    return [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=HERE.parent.parent / "shared" / "corpus")
    parser.add_argument("--work", type=Path, default=Path("/tmp/layout_threads"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--part", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--parts", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.part, args.parts)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    pages_file = args.work / "layout_pages.json"
    pages = layout_pages(sorted(args.corpus.rglob("*.pdf")))
    pages_file.write_text(json.dumps(pages))
    print(f"{len(pages)} pages ask the layout model; cpus {os.cpu_count()}")
    for parts in (2, 1):
        for one_thread in (False, True):
            results = run(pages_file, parts, one_thread)
            label = "one ONNX thread" if one_thread else "ONNX defaults  "
            print(f"{parts} process(es), {label}: " + "; ".join(
                f"{r['pages']} pages wall {r['wall']:.2f} s cpu {r['cpu']:.2f} s" for r in results))


if __name__ == "__main__":
    main()
