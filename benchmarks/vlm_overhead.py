"""How much of the vLLM engine docpipe keeps busy: its two VLM paths against the same requests sent straight.

    .venv-vllm/bin/python benchmarks/vlm_overhead.py --model DIR [--pages 96] [--repeat 3] [--work /tmp/vlm_overhead]

DIR is a checkpoint vLLM runs here (scripts/make_tiny_vlm.py DIR makes a tiny
one). Five measurements, in one run, on the same generated one-page PDFs:

- raw in process: `vllm.LLM.chat` on every page's request at once (the
  messages, image, page schema under structured outputs, max_tokens and
  logprobs docpipe sends), with the engine arguments docpipe gives it;
- raw async engine: vLLM's `AsyncLLM`, the engine class `ray.data.llm` runs,
  given the requests docpipe's engine stage receives (`inprocess.to_request`:
  templated prompt, decoded image, sampling parameters), all at once;
- docpipe in process: `docpipe run --engine vlm --vlm-in-process`;
- plain client: the same requests to `vllm serve` (scripts/serve_tiny_vlm.sh)
  from a thread pool with docpipe's concurrency (`--vlm-concurrency`);
- docpipe server: `docpipe run --engine vlm --vlm-url`, against that server.

Each rate is a steady-state one: the pages of a large set less those of a
small set, over the difference of their times, so that what every run pays
once (Ray's start, the engine's load, the first compile) cancels out and what
is left is pages per second while pages flow. Each time is the median of
`--repeat` rounds, small and large alternated: a docpipe run's fixed cost
(about 40 s in process) is large beside the difference, and one round of
each moved the rate by half between two runs of the script. The pages are rendered for one
tile (`--max-tiles 1`): a tiny model sees 64x64 pixels whatever it is sent.
The last lines are `async_ratio=<docpipe in-process over the raw async engine>`
(the share of its own engine class docpipe keeps busy) and
`ratio=<docpipe in-process pages/s over raw pages/s>`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

MAX_TILES = 1


def make_inputs(folder: Path, pages: int) -> list[Path]:
    from support.scanmaker import text_page

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(pages):
        path = folder / f"page{i:05d}.pdf"
        if not path.exists():
            text_page(columns=1 + i % 2)[0].save(path)
        paths.append(path)
    return paths


def subset(paths: list[Path], folder: Path) -> Path:
    """A folder of links to `paths`: the smaller set of a two-size measurement."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in paths:
        link = folder / path.name
        if not link.exists():
            link.symlink_to(path)
    return folder


def page_requests(paths: list[Path]) -> list[list[dict]]:
    """The chat messages docpipe sends for each page (first page of each file)."""
    import pymupdf

    from docpipe.engines.vlm.request import page_image
    from docpipe.engines.vlm.tasks import page_messages

    requests = []
    for path in paths:
        with pymupdf.open(path) as doc:
            requests.append(page_messages({"image": page_image(doc[0], MAX_TILES), "hints": None}))
    return requests


def steady_rate(small: tuple[int, float], large: tuple[int, float]) -> float:
    return (large[0] - small[0]) / (large[1] - small[1])


def median_rate(time_of, small: int, large: int, repeat: int) -> float:
    """`steady_rate` from the median times of `repeat` alternated rounds of `time_of(n_pages)`."""
    rounds = [(time_of(small), time_of(large)) for _ in range(repeat)]
    return steady_rate((small, statistics.median(r[0] for r in rounds)),
                       (large, statistics.median(r[1] for r in rounds)))


def raw_in_process(model: str, paths: list[Path], small: int, repeat: int) -> float:
    """`LLM.chat` on all requests at once, timed for the small and the large set in one engine."""
    from vllm import LLM, SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    from docpipe.config import VlmConfig
    from docpipe.engines.vlm.answer import page_json_schema
    from docpipe.engines.vlm.inprocess import CPU_ENGINE_KWARGS, engine_kwargs

    vlm = VlmConfig(model=model, max_tiles=MAX_TILES, max_model_len=8192)
    llm = LLM(model=model, **engine_kwargs(vlm), **CPU_ENGINE_KWARGS)
    params = SamplingParams(max_tokens=vlm.max_tokens, temperature=0.0, logprobs=1,
                            structured_outputs=StructuredOutputsParams(json=json.dumps(page_json_schema())))
    requests = page_requests(paths)
    llm.chat(requests[:2], params, use_tqdm=False)  # warm-up

    def time_of(n: int) -> float:
        started = time.perf_counter()
        outputs = llm.chat(requests[:n], params, use_tqdm=False)
        assert all(o.outputs[0].text for o in outputs)
        return time.perf_counter() - started
    return median_rate(time_of, small, len(requests), repeat)


def raw_async_engine(model: str, paths: list[Path], small: int, repeat: int) -> float:
    """`AsyncLLM.generate` on all requests at once, as docpipe's engine stage makes them."""
    import asyncio
    import itertools

    import pymupdf
    from vllm import SamplingParams
    from vllm.engine.arg_utils import AsyncEngineArgs
    from vllm.sampling_params import StructuredOutputsParams
    from vllm.v1.engine.async_llm import AsyncLLM

    from docpipe.config import VlmConfig
    from docpipe.engines.vlm.chat_frame import page_chat_frame
    from docpipe.engines.vlm.inprocess import CPU_ENGINE_KWARGS, engine_kwargs, to_request
    from docpipe.engines.vlm.request import page_image

    vlm = VlmConfig(model=model, max_tiles=MAX_TILES, max_model_len=8192)
    frame = page_chat_frame(model)
    requests = []
    for path in paths:
        with pymupdf.open(path) as doc:
            row = to_request({"kind": "vlm", "image": page_image(doc[0], MAX_TILES), "hints": None}, vlm, 0, frame)
        sampling = dict(row["sampling_params"])
        structured = StructuredOutputsParams(**sampling.pop("structured_outputs"))
        requests.append(({"prompt": row["prompt"], "multi_modal_data": row["multimodal_data"],
                          "mm_processor_kwargs": row["mm_processor_kwargs"]},
                         SamplingParams(**sampling, structured_outputs=structured)))

    async def answer(engine, request, number: int):
        async for output in engine.generate(request[0], request[1], str(number)):
            if output.finished:
                return output

    async def measure() -> float:
        engine = AsyncLLM.from_engine_args(AsyncEngineArgs(model=model, **engine_kwargs(vlm), **CPU_ENGINE_KWARGS))
        numbers = itertools.count()
        try:
            await asyncio.gather(*(answer(engine, r, next(numbers)) for r in requests[:2]))  # warm-up
            times = {}
            for _ in range(repeat):
                for n in (small, len(requests)):
                    started = time.perf_counter()
                    outputs = await asyncio.gather(*(answer(engine, r, next(numbers)) for r in requests[:n]))
                    assert all(o.outputs[0].text for o in outputs)
                    times.setdefault(n, []).append(time.perf_counter() - started)
        finally:
            engine.shutdown()
        return steady_rate((small, statistics.median(times[small])),
                           (len(requests), statistics.median(times[len(requests)])))
    return asyncio.run(measure())


def plain_client(url: str, model: str, paths: list[Path], small: int, concurrency: int, repeat: int) -> float:
    """The same requests through the OpenAI client, `concurrency` in flight, as docpipe's server worker."""
    from openai import OpenAI

    from docpipe.engines.vlm.answer import page_json_schema
    from docpipe.engines.vlm.request import openai_kwargs

    client = OpenAI(base_url=url, api_key="none", timeout=600)
    requests = [openai_kwargs(m, model=model, schema=page_json_schema(), schema_name="page", max_tokens=6144,
                              temperature=0.0, json_mode="structured_outputs", max_tiles=MAX_TILES)
                for m in page_requests(paths)]
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda kw: client.chat.completions.create(**kw), requests[:2]))  # warm-up

        def time_of(n: int) -> float:
            started = time.perf_counter()
            list(pool.map(lambda kw: client.chat.completions.create(**kw), requests[:n]))
            return time.perf_counter() - started
        return median_rate(time_of, small, len(requests), repeat)


def docpipe_run(inputs: Path, out: Path, options: list[str]) -> float:
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    command = [str(Path(sys.executable).with_name("docpipe")), "run", str(inputs), "--out", str(out), "-q",
               "--engine", "vlm", "--max-tiles", str(MAX_TILES), *options]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"docpipe failed: {done.stderr[-2000:]}")
    return wall


def docpipe_rate(small_in: Path, large_in: Path, work: Path, options: list[str], small: int, large: int,
                 repeat: int) -> float:
    inputs = {small: small_in, large: large_in}
    return median_rate(lambda n: docpipe_run(inputs[n], work / f"out-{n}", options), small, large, repeat)


def serve(model: str, port: int, log: Path):
    from support.vllm_cpu import Server

    return Server(Path(model), log, port=port).wait_ready()


def raw_rate(kind: str, args) -> float:
    """One raw measurement in a child process with one OpenMP thread, as Ray gives docpipe's engine
    actor (a one-CPU bundle); the tiny model also runs faster with one than with two, so raw vLLM
    is not slowed to docpipe's favour."""
    raw = subprocess.run([sys.executable, __file__, "--model", args.model, "--pages", str(args.pages),
                          "--work", str(args.work), "--repeat", str(args.repeat), "--raw-only", kind],
                         capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if raw.returncode:
        sys.exit(f"raw vLLM ({kind}) failed: {raw.stderr[-2000:]}")
    return float(raw.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="a checkpoint folder (scripts/make_tiny_vlm.py DIR)")
    parser.add_argument("--pages", type=int, default=96)
    parser.add_argument("--work", type=Path, default=Path("/tmp/vlm_overhead"))
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (docpipe's default)")
    parser.add_argument("--repeat", type=int, default=3, help="alternated rounds; each time is their median")
    parser.add_argument("--raw-only", choices=["chat", "async"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", "nobind")
    paths = make_inputs(args.work / "pages", args.pages)
    small = args.pages // 4
    if args.raw_only:  # in a process of its own, so that its engine is gone before docpipe's starts
        measure = raw_in_process if args.raw_only == "chat" else raw_async_engine
        print(json.dumps(measure(args.model, paths, small, args.repeat)))
        return
    small_in = subset(paths[:small], args.work / "small")
    rates = {"raw vLLM LLM.chat (in process)": raw_rate("chat", args),
             "raw vLLM AsyncLLM (in process)": raw_rate("async", args)}
    rates["docpipe --vlm-in-process"] = docpipe_rate(
        small_in, args.work / "pages", args.work, ["--vlm-in-process", "--model", args.model,
                                                   "--max-model-len", "8192"], small, args.pages, args.repeat)
    server = serve(args.model, 8471, args.work / "vllm.log")
    try:
        rates["plain OpenAI client (server)"] = plain_client(server.url, args.model, paths, small, args.concurrency,
                                                             args.repeat)
        rates["docpipe --vlm-url (server)"] = docpipe_rate(
            small_in, args.work / "pages", args.work, ["--vlm-url", server.url, "--model", args.model,
                                                       "--vlm-concurrency", str(args.concurrency)],
            small, args.pages, args.repeat)
    finally:
        server.stop()
    print(f"{args.pages} pages (steady state from {small} and {args.pages}, medians of {args.repeat} rounds), "
          f"concurrency {args.concurrency}")
    for name, rate in rates.items():
        print(f"  {name:34s} {rate:7.2f} pages/s")
    server_ratio = rates["docpipe --vlm-url (server)"] / rates["plain OpenAI client (server)"]
    print(f"server_ratio={server_ratio:.2f}")
    print(f"async_ratio={rates['docpipe --vlm-in-process'] / rates['raw vLLM AsyncLLM (in process)']:.2f}")
    print(f"ratio={rates['docpipe --vlm-in-process'] / rates['raw vLLM LLM.chat (in process)']:.2f}")


if __name__ == "__main__":
    main()
