"""The VLM engine's contracts on CPU: the requests it builds, the parsing of every kind of answer."""

from __future__ import annotations

import base64
import io
import json
import math
import subprocess
import sys

import pytest
from PIL import Image

from docpipe.arrow import VLM_STREAM_SCHEMA
from docpipe.config import VlmConfig
from docpipe.engines.vlm.answer import page_json_schema, to_page_result
from docpipe.engines.vlm.chat_frame import ChatFrame
from docpipe.engines.vlm.inprocess import (
    answer_row, engine_kwargs, extraction_row, from_output, quantization, to_extraction_request, to_request,
)
from docpipe.engines.vlm.parse import LOOP_RUN, parse_page
from docpipe.engines.vlm.request import (
    SYSTEM_MESSAGE, chat_messages, image_size_for_tiles, openai_kwargs, page_prompt, ray_row, tile_grid,
)
from docpipe.errors import VlmAnswerError, VlmUnavailable
from docpipe.records import PageResult
from docpipe.runner import llm as runner_llm
from docpipe.runner.llm import processor_config

PAGE = {
    "blocks": [
        {"kind": "title", "bbox": [100, 50, 900, 90], "lines": [{"text": "Annual Report", "bbox": [100, 50, 900, 90]}]},
        {"kind": "paragraph", "bbox": [100, 100, 900, 300], "lines": [
            {"text": "First line of text", "bbox": [100, 100, 900, 130]},
            {"text": "second line", "bbox": [100, 140, 500, 170]}]},
    ],
    "tables": [{"bbox": [0, 400, 1000, 600], "cells": [
        {"row": 0, "col": 0, "col_span": 2, "text": "Header", "bbox": [0, 400, 1000, 500]},
        {"row": 1, "col": 0, "text": "a", "bbox": [0, 500, 500, 600]},
        {"row": 1, "col": 1, "text": "b", "bbox": [500, 500, 1000, 600]}]}],
}


def _png(width=300, height=400) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, "PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------- requests

def test_tiling_matches_the_page_shape():
    assert tile_grid(612, 792, 12) == (3, 4)  # US letter portrait
    assert tile_grid(792, 612, 12) == (4, 3)
    assert tile_grid(595, 842, 12) == (2, 3)  # A4: 0.707 is nearest 2:3
    assert tile_grid(1000, 1000, 1) == (1, 1)
    assert image_size_for_tiles(612, 792, 12) == (1536, 2048)


@pytest.mark.parametrize("json_mode", ["structured_outputs", "response_format", "none"])
def test_server_request_carries_image_schema_no_think_and_limits(json_mode):
    image = _png()
    messages = chat_messages([(image, "image/png")], page_prompt(["a hint line"]))
    kwargs = openai_kwargs(messages, model="m", schema=page_json_schema(), schema_name="page", max_tokens=4096,
                           temperature=0.0, json_mode=json_mode, max_tiles=6)
    assert kwargs["max_tokens"] == 4096 and kwargs["temperature"] == 0.0 and kwargs["logprobs"] is True
    system, user = kwargs["messages"]
    assert system == {"role": "system", "content": SYSTEM_MESSAGE} and "/no_think" in system["content"]
    url = user["content"][0]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,") and base64.b64decode(url.split(",", 1)[1]) == image
    assert "a hint line" in user["content"][1]["text"] and "0 to 1000" in user["content"][1]["text"]
    if json_mode == "structured_outputs":
        assert kwargs["extra_body"]["structured_outputs"] == {"json": page_json_schema()}
        assert kwargs["extra_body"]["mm_processor_kwargs"] == {"max_num_tiles": 6}
        assert "response_format" not in kwargs and "guided_json" not in json.dumps(kwargs)
    elif json_mode == "response_format":
        schema = kwargs["response_format"]["json_schema"]
        assert kwargs["response_format"]["type"] == "json_schema" and schema["schema"] == page_json_schema()
        assert "extra_body" not in kwargs
    else:  # nothing constrains the answer: the schema is asked for in the prompt
        assert "extra_body" not in kwargs and "response_format" not in kwargs
        assert user["content"][1]["text"].endswith(json.dumps(page_json_schema()))
        assert "JSON schema" not in messages[1]["content"][1]["text"]  # the caller's messages are left alone


def test_schema_boxes_are_integers_0_to_1000():
    box = page_json_schema()["$defs"]["VlmLine"]["properties"]["bbox"]
    assert box["items"] == {"maximum": 1000, "minimum": 0, "type": "integer"}
    assert box["minItems"] == box["maxItems"] == 4
    assert "confidence" not in page_json_schema()["$defs"]["VlmLine"]["properties"]


def test_in_process_engine_settings_for_nemotron():
    vlm = VlmConfig(max_tiles=8, gpus_per_worker=2)
    kwargs = engine_kwargs(vlm)
    assert kwargs["trust_remote_code"] is True and kwargs["limit_mm_per_prompt"] == {"image": 1}
    assert kwargs["mm_processor_kwargs"] == {"max_num_tiles": 8} and kwargs["tensor_parallel_size"] == 2
    assert kwargs["quantization"] == "modelopt"
    assert quantization("nvidia/NVIDIA-Nemotron-Nano-12B-v2-VL-NVFP4-QAD") == "modelopt_fp4"
    assert quantization("nvidia/NVIDIA-Nemotron-Nano-12B-v2-VL-BF16") is None
    config = processor_config(vlm, on_cpu=False)  # Ray's own validation, without vllm installed
    assert config.model_source == vlm.model and config.should_continue_on_error
    assert config.placement_group_config is None  # Ray then asks for GPUs


def test_in_process_engine_on_a_cpu_build_of_vllm_asks_for_cpus_only():
    vlm = VlmConfig(workers=1)
    config = processor_config(vlm, on_cpu=True)  # Ray's own validation of every field
    assert config.placement_group_config["bundles"] == [{"CPU": 1.0, "GPU": 0.0}]
    assert config.engine_kwargs["enforce_eager"] is True and config.engine_kwargs["kv_cache_memory_bytes"] > 0
    # The helper stages must leave the CPU to the engine and the page workers.
    for stage in ("prepare_multimodal_stage", "chat_template_stage"):
        assert getattr(config, stage)["num_cpus"] < 1


def test_the_engine_tokenizes_and_detokenizes_itself():
    for on_cpu in (False, True):
        config = processor_config(VlmConfig(workers=1), on_cpu=on_cpu)
        assert config.tokenize_stage["enabled"] is False and config.detokenize_stage["enabled"] is False
        assert config.chat_template_stage["enabled"] is True  # the prompt the engine tokenizes
        # Rows templated by docpipe's frame need neither of Ray Data's templating stages.
        templated = processor_config(VlmConfig(workers=1), on_cpu=on_cpu, templated=True)
        assert templated.chat_template_stage["enabled"] is False
        assert templated.prepare_multimodal_stage["enabled"] is False


def test_a_templated_request_carries_its_prompt_and_decoded_image():
    vlm = VlmConfig()
    frame = ChatFrame(prefix="<|user|>\n<image>\n", suffix="<|end|>\n<|assistant|>\n")
    task = {name: None for name in VLM_STREAM_SCHEMA.names}
    task.update(kind="vlm", doc_id="d", source="s", mime="application/pdf", page=1, image=_png(),
                hints=["first line", "{{ second }}"])
    request = to_request(task, vlm=vlm, attempt=0, frame=frame)
    assert "messages" not in request
    assert request["prompt"] == frame.prefix + page_prompt(["first line", "{{ second }}"]) + frame.suffix
    image = request["multimodal_data"]["image"]
    assert image.mode == "RGB" and image.size == Image.open(io.BytesIO(_png())).size
    assert request["mm_processor_kwargs"] == {"max_num_tiles": vlm.max_tiles}
    assert json.loads(request["sampling_params"]["structured_outputs"]["json"]) == page_json_schema()
    done = to_request(dict(task, kind="done"), vlm=vlm, attempt=0, frame=frame)
    assert done["prompt"] == "." and done["sampling_params"]["max_tokens"] == 1 and "multimodal_data" not in done


def test_the_chat_frame_made_while_ray_starts_reaches_the_processor_or_its_error_does(monkeypatch):
    frame = ChatFrame(prefix="<s>[INST]<image>\n", suffix="[/INST]")
    made_in = []

    def make(model):
        import threading

        made_in.append(threading.current_thread().name)
        if model == "missing":
            raise VlmUnavailable("could not read the model at missing")
        return frame
    monkeypatch.setattr(runner_llm, "page_chat_frame", make)
    assert runner_llm.chat_frame_soon(VlmConfig(model="tiny")).result(timeout=10) == frame
    with pytest.raises(VlmUnavailable, match="could not read the model at missing"):
        runner_llm.chat_frame_soon(VlmConfig(model="missing")).result(timeout=10)
    assert made_in == ["chat-frame", "chat-frame"]


def test_in_process_rows_round_trip():
    vlm = VlmConfig()
    task = {name: None for name in VLM_STREAM_SCHEMA.names}
    task.update(kind="vlm", doc_id="d", source="s", mime="application/pdf", page=1, image=_png(), hints=None)
    request = to_request(task, vlm=vlm, attempt=1)
    assert request["sampling_params"]["max_tokens"] == vlm.max_tokens
    assert request["sampling_params"]["temperature"] > 0  # a retry samples hotter
    assert json.loads(request["sampling_params"]["structured_outputs"]["json"]) == page_json_schema()
    assert request["mm_processor_kwargs"] == {"max_num_tiles": vlm.max_tiles}
    assert request["messages"] == ray_row(request["messages"], schema={}, max_tokens=1, temperature=0,
                                          max_tiles=1)["messages"]
    output = dict(request, generated_text=json.dumps(PAGE), num_generated_tokens=vlm.max_tokens,
                  generated_tokens=[7, 9], logprobs=[{7: {"logprob": -0.1, "decoded_token": "{\""}},
                                                     {9: {"logprob": -0.2, "decoded_token": "bl"}}])
    row = from_output(output, max_tokens=vlm.max_tokens)
    assert row["finish_reason"] == "length" and row["answer"] == json.dumps(PAGE)
    assert json.loads(row["logprobs"]) == [["{\"", -0.1], ["bl", -0.2]]
    assert set(row) == set(VLM_STREAM_SCHEMA.names) | {"answer", "finish_reason", "logprobs", "vlm_error"}


def test_a_row_the_engine_failed_on_is_read_as_that_pages_error():
    # What Ray Data 2.60 hands out, past postprocess, for a request vLLM refused: everything the
    # stages carried, empty outputs, and the error.
    vlm = VlmConfig()
    task = {name: None for name in VLM_STREAM_SCHEMA.names}
    task.update(kind="vlm", doc_id="d", source="s", mime="application/pdf", page=1, image=_png(), hints=None)
    failed = dict(to_request(task, vlm=vlm, attempt=0), prompt="<image> read", generated_text="",
                  generated_tokens=None, num_generated_tokens=0, request_id=-1, time_taken_llm=-1,
                  __inference_error__="ValueError: The decoder prompt (length 9000) is longer than the maximum")
    row = answer_row(failed, max_tokens=vlm.max_tokens)
    assert set(row) == set(VLM_STREAM_SCHEMA.names) | {"answer", "finish_reason", "logprobs", "vlm_error"}
    assert row["vlm_error"].startswith("ValueError: The decoder prompt") and row["doc_id"] == "d"
    # A row that went through postprocess keeps its answer and loses the error column Ray may add.
    answered = dict(from_output(dict(failed, __inference_error__="", generated_text="{}"), vlm.max_tokens),
                    __inference_error__="")
    assert answer_row(answered, vlm.max_tokens) == {k: v for k, v in answered.items() if k != "__inference_error__"}


def test_an_extraction_the_engine_failed_on_gets_its_reason():
    vlm = VlmConfig(schema_ref="schemas/invoice.py:Invoice")
    document = {"doc_id": "d", "source": "s", "images": [_png()], "text": json.dumps(["page text"]), "failure": None}
    failed = dict(to_extraction_request(document, vlm), generated_text="", num_generated_tokens=0,
                  __inference_error__="ValueError: too many images")
    row = extraction_row(failed, vlm.schema_ref, vlm.max_tokens)
    assert set(row) == {"doc_id", "source", "result"}
    result = json.loads(row["result"])
    assert result["valid"] is False and "too many images" in result["error"]


# ---------------------------------------------------------------- answers

def test_valid_answer_becomes_a_page_with_fraction_boxes_and_tables():
    parsed = parse_page(json.dumps(PAGE), "stop")
    assert parsed.repairs == [] and not parsed.degraded
    page = to_page_result(parsed.page, PageResult(doc_id="d", source="s", page=1))
    assert page.engine == "vlm"
    assert page.text == "Annual Report\nFirst line of text\nsecond line"
    assert [b.kind for b in page.blocks] == ["title", "paragraph"]
    assert page.lines[1].bbox == pytest.approx([0.1, 0.1, 0.9, 0.13])
    (table,) = page.tables
    assert (table.n_rows, table.n_cols) == (2, 2) and table.cells[0].col_span == 2
    assert '<td colspan="2">Header</td>' in table.html


def test_an_answer_cut_off_before_its_first_block_says_max_tokens():
    with pytest.raises(VlmAnswerError, match="cut off at max_tokens before its first block"):
        parse_page('{"blocks"', "length")
    with pytest.raises(VlmAnswerError, match="page schema"):
        parse_page('{"blocks"', "stop")


def test_a_raw_tab_inside_a_string_is_taken_with_the_repair_said():
    # vLLM's xgrammar lets raw control characters into JSON strings; strict JSON refuses them.
    answer = json.dumps(PAGE).replace("First line of text", "First\tline of text")
    assert "\t" in answer
    parsed = parse_page(answer, "stop")
    assert parsed.repairs == ["raw control characters inside strings accepted"] and not parsed.degraded
    assert parsed.page.blocks[1].lines[0].text == "First\tline of text"


@pytest.mark.parametrize("cut", [30, 120, 200, 260])
def test_truncated_answer_is_closed_after_its_last_complete_element(cut):
    text = json.dumps(PAGE)[:cut]
    parsed = parse_page(text, "length")
    assert parsed.degraded and any("max_tokens" in r for r in parsed.repairs)
    complete = [line.text for block in parsed.page.blocks for line in block.lines]
    every = [line["text"] for block in PAGE["blocks"] for line in block["lines"]]
    assert complete == every[: len(complete)]  # a prefix: nothing invented, nothing half-written


def test_repetition_loop_is_cut_to_one_copy():
    looping = {"blocks": [{"kind": "paragraph", "bbox": [0, 0, 500, 500], "lines": [
        {"text": "Total", "bbox": [0, 0, 100, 10]}] + [{"text": "1,234", "bbox": [0, 10, 100, 20]}] * 50}]}
    parsed = parse_page(json.dumps(looping)[:-40], "length")
    assert [line.text for line in parsed.page.blocks[0].lines] == ["Total", "1,234"]
    assert any(r.startswith("loop") for r in parsed.repairs) and parsed.degraded
    short_run = {"blocks": [{"kind": "list", "bbox": [0, 0, 9, 9], "lines": [
        {"text": "-", "bbox": [0, 0, 9, 9]}] * (LOOP_RUN - 1)}]}
    assert len(parse_page(json.dumps(short_run)).page.blocks[0].lines) == LOOP_RUN - 1


@pytest.mark.parametrize("answer, message", [
    ("", "empty"), (None, "empty"), ("   \n", "empty"),
    ("I cannot read this page.", "not JSON"),
    ('{"text": "the whole page"}', "page schema"),
    ('[{"kind": "title"}]', "page schema"),
])
def test_unusable_answers_raise_with_a_reason(answer, message):
    with pytest.raises(VlmAnswerError, match=message):
        parse_page(answer, "stop")


def test_wrong_elements_are_dropped_and_boxes_fixed():
    answer = {"blocks": [
        {"kind": "paragraph", "bbox": [900, 800, 100, -5], "lines": [
            {"text": "kept", "bbox": [0.1, 0.2, 0.5, 0.3]}, {"text": "no box"}]},
        {"kind": "sidebar", "bbox": [0, 0, 1, 1], "lines": []},
    ]}
    fenced = "```json\n" + json.dumps(answer) + "\n```"
    parsed = parse_page("<think>hm</think>" + fenced)
    (block,) = parsed.page.blocks
    assert block.bbox == [100, 0, 900, 800] and [line.bbox for line in block.lines] == [[100, 200, 500, 300]]
    assert not parsed.degraded and len(parsed.repairs) == 4


def test_line_confidence_comes_from_token_logprobs():
    text = json.dumps(PAGE)
    tokens = [(text[i:i + 3], -0.05) for i in range(0, len(text), 3)]
    start = text.index("second line")
    tokens = [(tok, -1.0 if start <= i * 3 < start + len("second line") else lp) for i, (tok, lp) in enumerate(tokens)]
    page = parse_page(text, "stop", tokens).page
    confidences = [line.confidence for block in page.blocks for line in block.lines]
    assert confidences[0] == pytest.approx(math.exp(-0.05), abs=1e-3)
    assert confidences[2] < 0.5 < confidences[1]


# ---------------------------------------------------------------- isolation and preflight

def test_import_docpipe_never_loads_the_gpu_stack():
    code = ("import sys, docpipe, docpipe.cli, docpipe.runner.pipeline, docpipe.runner.stages, docpipe.runner.llm, "
            "docpipe.engines.vlm.inprocess, docpipe.engines.vlm.server, docpipe.runner.pages\n"
            "heavy = [m for m in ('vllm', 'torch', 'transformers') if m in sys.modules]\n"
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_vlm_without_vllm_or_server_stops_before_work(tmp_path, sample_dir):
    if __import__("importlib").util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed here")
    result = subprocess.run([sys.executable, "-m", "docpipe.cli", "run", str(sample_dir), "--out",
                             str(tmp_path / "out"), "--engine", "vlm"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "vllm" in result.stderr and "[vllm]" in result.stderr and "--vlm-url" in result.stderr
    assert not list((tmp_path / "out").glob("pages/*.parquet"))


@pytest.mark.parametrize("last_attempt", [False, True])
def test_an_answer_without_lines_is_a_failure_so_the_page_falls_back(last_attempt):
    from docpipe.engines.vlm.tasks import read_answer

    row = {name: None for name in VLM_STREAM_SCHEMA.names}
    row.update(kind="vlm", doc_id="d", source="s", page=1, width=600.0, height=800.0, rotation=0,
               elapsed_ms=1.0, answer='{"blocks": [], "tables": []}', finish_reason="stop", logprobs=None,
               vlm_error=None)
    page, failure = read_answer(row, last_attempt)
    assert failure == "the answer has no text lines"
    row["answer"] = json.dumps(PAGE)
    page, failure = read_answer(row, last_attempt)
    assert failure is None and page.lines
