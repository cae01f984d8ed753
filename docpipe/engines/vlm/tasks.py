"""A page's trip through the VLM, as plain functions over rows: the task, the request, the answer read back.

A VLM pass's stream carries two kinds of rows (`records.VlmStreamRow`):
`done` (a page another engine finished and already wrote; only its summary
travels on) and `vlm` (a page image and what is needed to place the answer).
The answer stage adds the raw answer (`records.VlmAnswer`) to `vlm` rows;
`read_answer` turns it into the page, or says why another try (or the
fallback) is needed. The Ray stages that run these are in `runner.stages`.
"""

from __future__ import annotations

import json
from typing import Optional

import pyarrow as pa

from docpipe.arrow import VLM_STREAM_SCHEMA
from docpipe.config import VlmConfig
from docpipe.engines.vlm.answer import page_json_schema, to_page_result
from docpipe.engines.vlm.parse import parse_page
from docpipe.engines.vlm.request import chat_messages, openai_kwargs, page_image, page_prompt
from docpipe.engines.vlm.server import complete
from docpipe.errors import VlmAnswerError
from docpipe.records import PageResult, VlmPageTask


def temperature(attempt: int) -> float:
    """Greedy first; each retry samples hotter, to leave a loop or a malformed answer behind."""
    return min(1.0, 0.3 * attempt)


def vlm_task(doc_id: str, source: str, mime: str, page_number: int, page_or_image, max_tiles: int,
             hints: Optional[list[str]] = None, size: Optional[tuple[float, float]] = None) -> VlmPageTask:
    """The page as the VLM will see it; `size` in points for an image (a PDF page knows its own)."""
    if size is None:
        size = (page_or_image.rect.width, page_or_image.rect.height)
    return VlmPageTask(doc_id=doc_id, source=source, mime=mime, page=page_number, width=size[0], height=size[1],
                       rotation=getattr(page_or_image, "rotation", 0), image=page_image(page_or_image, max_tiles),
                       hints=hints)


def task_rows(summaries: list[dict], tasks: list[VlmPageTask]) -> pa.Table:
    rows = [dict(s, kind="done") for s in summaries]
    rows += [dict(t.model_dump(), kind="vlm", engine=None, status="ok", error_kind=None, error=None)
             for t in tasks]
    return pa.Table.from_pylist(rows, schema=VLM_STREAM_SCHEMA)


def page_messages(row: dict) -> list[dict]:
    return chat_messages([(row["image"], "image/png")], page_prompt(row.get("hints")))


def answer_with_server(client, row: dict, vlm: VlmConfig, attempt: int) -> dict:
    """The VlmAnswer columns of one `vlm` row, asked of an OpenAI-compatible server ({} for a `done` row)."""
    if row["kind"] != "vlm":
        return {}
    kwargs = openai_kwargs(page_messages(row), model=vlm.model, schema=page_json_schema(), schema_name="page",
                           max_tokens=vlm.max_tokens, temperature=temperature(attempt), json_mode=vlm.json_mode,
                           max_tiles=vlm.max_tiles)
    try:
        done = complete(client, kwargs)
    except Exception as exc:  # after the client's own retries: this page's failure, not the batch's
        return {"vlm_error": f"{type(exc).__name__}: {exc}"}
    return {"answer": done.text, "finish_reason": done.finish_reason,
            "logprobs": json.dumps(done.token_logprobs) if done.token_logprobs else None}


# Requests the engine refused as they are (a prompt longer than the model's context, more images
# than it takes): vLLM's own validation error in process, HTTP 400 from a server. The same request
# is refused again, so such a page goes straight to its fallback.
_REFUSED = ("VLLMValidationError:", "BadRequestError:")


def worth_retrying(failure: str) -> bool:
    return not failure.startswith(_REFUSED)


def read_answer(row: dict, last_attempt: bool) -> tuple[PageResult, Optional[str]]:
    """The page from a `vlm` row's answer, and why it cannot stand (None when it stands).

    A failure is a request that failed, an answer that is not a page, or one
    cut off or looping: another try may do better, and on the last try an
    answer with lines is kept with its repairs noted.
    """
    result = PageResult(doc_id=row["doc_id"], source=row["source"], page=row["page"], width=row["width"],
                        height=row["height"], rotation=row["rotation"], elapsed_ms=row["elapsed_ms"],
                        image_path=row["image_path"])
    if row["vlm_error"] is not None:
        return result, row["vlm_error"]
    try:
        logprobs = [tuple(t) for t in json.loads(row["logprobs"])] if row["logprobs"] else None
        parsed = parse_page(row["answer"], row["finish_reason"], logprobs)
    except VlmAnswerError as exc:
        return result, str(exc)
    lines = sum(len(b.lines) for b in parsed.page.blocks)
    if not lines:
        # Seen from a real engine (an untrained model under the schema answers `{"blocks": []}`):
        # taken as is, a page with text would silently come out empty. The text layer or OCR of
        # the fallback says whether the page is really blank.
        return result, "the answer has no text lines"
    if not parsed.degraded or last_attempt:
        result = to_page_result(parsed.page, result)
        if parsed.repairs:
            result.error = "vlm answer repaired: " + "; ".join(parsed.repairs)
        return result, None
    return result, "; ".join(parsed.repairs)
