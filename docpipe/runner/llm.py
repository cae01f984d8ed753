"""The in-process VLM as Ray Data stages: `ray.data.llm` processors (vLLMEngineProcessorConfig + build_processor).

Ray Data's own LLM processor runs the vLLM engines, batching and GPU
placement; how a row becomes a request and how the answer comes back is
`engines.vlm.inprocess`.
"""

from __future__ import annotations

import functools
import threading
from concurrent.futures import Future
from typing import Optional

from docpipe.config import VlmConfig
from docpipe.engines.vlm.chat_frame import ChatFrame, page_chat_frame
from docpipe.engines.vlm.inprocess import (
    CPU_STAGE, answer_row, cpu_build, extraction_row, from_extraction_output, from_output, processor_kwargs,
    to_extraction_request, to_request,
)


def processor_config(vlm: VlmConfig, on_cpu: bool, templated: bool = False):
    from ray.data.llm import vLLMEngineProcessorConfig

    return vLLMEngineProcessorConfig(**processor_kwargs(vlm, on_cpu=on_cpu, templated=templated))


def _cpu_map(vlm: VlmConfig) -> dict:
    """A map around CPU engines: tasks take a whole CPU each by default, which a CPU-only machine
    whose engine holds a CPU may never have free (the run would wait forever). With a tenth of a
    CPU, Ray would run ten at once per CPU, each in a worker process it starts (and imports
    docpipe in) for them; a few milliseconds a row need one task per engine."""
    import ray.data

    return {**CPU_STAGE, "compute": ray.data.TaskPoolStrategy(size=vlm.workers)}


def _map_kwargs(vlm: VlmConfig, on_cpu: bool) -> dict:
    """The preprocess and postprocess maps."""
    return {"preprocess_map_kwargs": _cpu_map(vlm), "postprocess_map_kwargs": _cpu_map(vlm)} if on_cpu else {}


def _with_failed_rows_read(processor, read_row, vlm: VlmConfig, on_cpu: bool):
    """The processor, then every output row through `read_row`: the rows the engine failed on skip
    the processor's postprocess (Ray 2.60), and would otherwise arrive with none of its columns."""
    def apply(dataset):
        return processor(dataset).map(read_row, **(_cpu_map(vlm) if on_cpu else {}))
    return apply


def chat_frame_soon(vlm: VlmConfig) -> Future:
    """The run's page chat frame, made in a thread from the start of the run: its imports (vLLM,
    transformers, torch) take about 8 s of one CPU, which the engine's start would otherwise wait
    for, while starting Ray and probing the inputs leave the driver idle. The future raises what
    `page_chat_frame` raised (a model that cannot be read)."""
    future: Future = Future()

    def make() -> None:
        try:
            future.set_result(page_chat_frame(vlm.model))
        except BaseException as exc:  # handed to whoever asks for the frame
            future.set_exception(exc)
    threading.Thread(target=make, name="chat-frame", daemon=True).start()
    return future


def build_page_processor(vlm: VlmConfig, attempt: int, frame_soon: Future):
    """Dataset of VLM stream rows -> the same rows with answer, finish_reason, logprobs and vlm_error.
    `frame_soon`: the run's `chat_frame_soon`."""
    from ray.data.llm import build_processor

    on_cpu = cpu_build()
    frame: Optional[ChatFrame] = frame_soon.result()
    processor = build_processor(
        processor_config(vlm, on_cpu, templated=frame is not None),
        preprocess=functools.partial(to_request, vlm=vlm, attempt=attempt, frame=frame),
        postprocess=functools.partial(from_output, max_tokens=vlm.max_tokens),
        **_map_kwargs(vlm, on_cpu),
    )
    return _with_failed_rows_read(processor, functools.partial(answer_row, max_tokens=vlm.max_tokens), vlm, on_cpu)


def build_extraction_processor(vlm: VlmConfig):
    """Dataset of document rows (images, text) -> rows of doc_id, source, result.

    Ray Data's stages template these requests: one per document, with as many
    images as it has pages, so no single frame fits them all (`chat_frame`)."""
    from ray.data.llm import build_processor

    on_cpu = cpu_build()
    processor = build_processor(
        processor_config(vlm, on_cpu),
        preprocess=functools.partial(to_extraction_request, vlm=vlm),
        postprocess=functools.partial(from_extraction_output, schema_ref=vlm.schema_ref, max_tokens=vlm.max_tokens),
        **_map_kwargs(vlm, on_cpu),
    )
    read_row = functools.partial(extraction_row, schema_ref=vlm.schema_ref, max_tokens=vlm.max_tokens)
    return _with_failed_rows_read(processor, read_row, vlm, on_cpu)
