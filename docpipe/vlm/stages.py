"""The VLM page stages Ray Data runs (wired in pipeline.py), as plain classes over Arrow batches.

A VLM run's stream carries two kinds of rows: `done` (a page another engine
finished and already wrote; only its summary travels on) and `vlm` (a page
image and what is needed to place the answer). The answer stage adds the raw
answer to `vlm` rows; the finish stage parses it, falls back to the text
layer or OCR when the last try failed, writes the pages and returns summaries.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import pyarrow as pa

from docpipe.config import RunConfig, VlmConfig
from docpipe.records import PageResult, VlmPageTask

TASK_SCHEMA = pa.schema([
    ("kind", pa.string()), ("doc_id", pa.string()), ("source", pa.string()), ("mime", pa.string()),
    ("page", pa.int32()),
    ("engine", pa.string()), ("status", pa.string()), ("error_kind", pa.string()), ("error", pa.string()),
    ("elapsed_ms", pa.float32()), ("width", pa.float32()), ("height", pa.float32()), ("rotation", pa.int32()),
    ("image", pa.binary()), ("hints", pa.list_(pa.string())), ("image_path", pa.string()),
])
ANSWER_COLUMNS = [("answer", pa.string()), ("finish_reason", pa.string()), ("logprobs", pa.string()),
                  ("vlm_error", pa.string())]


def temperature(attempt: int) -> float:
    """Greedy first; each retry samples hotter, to leave a loop or a malformed answer behind."""
    return min(1.0, 0.3 * attempt)


def task_rows(summaries: list[dict], tasks: list[VlmPageTask]) -> pa.Table:
    rows = [dict(s, kind="done") for s in summaries]
    rows += [dict(t.model_dump(), kind="vlm", engine=None, status="ok", error_kind=None, error=None)
             for t in tasks]
    return pa.Table.from_pylist(rows, schema=TASK_SCHEMA)


def page_messages(row: dict, vlm: VlmConfig) -> list[dict]:
    from docpipe.vlm.request import chat_messages, page_prompt

    return chat_messages([(row["image"], "image/png")], page_prompt(row.get("hints")))


class ServerAnswerer:
    """Asks an OpenAI-compatible server for each `vlm` row's answer, `concurrency` at a time."""

    def __init__(self, config: dict, attempt: int):
        from docpipe.vlm.server import make_client

        self.vlm = RunConfig.model_validate(config).vlm
        self.attempt = attempt
        self.client = make_client(self.vlm)
        self.pool = ThreadPoolExecutor(max_workers=self.vlm.concurrency)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.to_pylist()
        answers = list(self.pool.map(self._answer, rows))
        for name, _ in ANSWER_COLUMNS:
            batch = batch.append_column(name, pa.array([a.get(name) for a in answers], pa.string()))
        return batch

    def _answer(self, row: dict) -> dict:
        if row["kind"] != "vlm":
            return {}
        from docpipe.vlm.answer import page_json_schema
        from docpipe.vlm.request import openai_kwargs
        from docpipe.vlm.server import complete

        kwargs = openai_kwargs(page_messages(row, self.vlm), model=self.vlm.model, schema=page_json_schema(),
                               schema_name="page", max_tokens=self.vlm.max_tokens,
                               temperature=temperature(self.attempt), json_mode=self.vlm.json_mode,
                               max_tiles=self.vlm.max_tiles)
        try:
            done = complete(self.client, kwargs)
        except Exception as exc:  # after the client's own retries: this page's failure, not the batch's
            return {"vlm_error": f"{type(exc).__name__}: {exc}"}
        return {"answer": done.text, "finish_reason": done.finish_reason,
                "logprobs": json.dumps(done.token_logprobs) if done.token_logprobs else None}


class FinishWorker:
    """Parses answers into pages; retries or falls back; writes the pages; returns summaries."""

    def __init__(self, config: dict, last_attempt: bool, part_prefix: str):
        from docpipe.engines.tesseract import OcrOnDemand

        self.config = RunConfig.model_validate(config)
        self.last_attempt = last_attempt
        self.part_prefix = part_prefix
        self.ocr = OcrOnDemand(self.config.ocr_lang, self.config.ocr_reread)

    def __call__(self, batch: pa.Table) -> pa.Table:
        from docpipe.arrow import PAGES_SCHEMA, to_table
        from docpipe.pipeline import SUMMARY_COLUMNS
        from docpipe.sink import PAGES_DIR, write_table

        summaries, pages = [], []
        for row in batch.to_pylist():
            if row["kind"] != "vlm":
                summaries.append({k: row[k] for k in SUMMARY_COLUMNS})
                continue
            page = self._finish(row)
            if page is None:  # retried in the next pass
                summaries.append({"doc_id": row["doc_id"], "source": row["source"], "page": row["page"],
                                  "engine": None, "status": "retry", "error_kind": None, "error": None,
                                  "elapsed_ms": row["elapsed_ms"]})
            else:
                pages.append(page)
        table = to_table(pages, PAGES_SCHEMA)
        if table.num_rows:
            write_table(self.config.out, PAGES_DIR, table, name=self._part_name(pages))
            summaries.extend(table.select(SUMMARY_COLUMNS).to_pylist())
        return pa.Table.from_pylist(summaries, schema=table.select(SUMMARY_COLUMNS).schema)

    def _part_name(self, pages: list[PageResult]) -> str:
        """Named by the pages it holds, so a batch Ray retries replaces its part (docpipe.resume, step 1)."""
        import hashlib

        keys = "\n".join(sorted(f"{p.doc_id}:{p.page}" for p in pages))
        return f"{self.part_prefix}-{hashlib.sha1(keys.encode()).hexdigest()[:16]}.parquet"

    def _finish(self, row: dict) -> Optional[PageResult]:
        from docpipe.vlm.answer import to_page_result
        from docpipe.vlm.parse import VlmAnswerError, parse_page

        result = PageResult(doc_id=row["doc_id"], source=row["source"], page=row["page"], width=row["width"],
                            height=row["height"], rotation=row["rotation"], elapsed_ms=row["elapsed_ms"],
                            image_path=row["image_path"])
        failure = row["vlm_error"]
        if failure is None:
            try:
                logprobs = [tuple(t) for t in json.loads(row["logprobs"])] if row["logprobs"] else None
                parsed = parse_page(row["answer"], row["finish_reason"], logprobs)
            except VlmAnswerError as exc:
                failure = str(exc)
            else:
                lines = sum(len(b.lines) for b in parsed.page.blocks)
                if not parsed.degraded or (self.last_attempt and lines):
                    result = to_page_result(parsed.page, result)
                    if parsed.repairs:
                        result.error = "vlm answer repaired: " + "; ".join(parsed.repairs)
                    return result
                failure = "; ".join(parsed.repairs)
        if not self.last_attempt:
            return None
        return self._fallback(result, row["mime"], failure)

    def _fallback(self, failed: PageResult, mime: str, failure: str) -> PageResult:
        """The page from the text layer or OCR, with the VLM's failure recorded in `error`."""
        from docpipe.extract import extract_unit
        from docpipe.ingest import WorkUnit

        config = self.config.model_copy(update={"engine": "auto", "vlm": None})
        unit = WorkUnit(source=failed.source, doc_id=failed.doc_id, mime=mime,
                        page_start=failed.page - 1, page_stop=failed.page)
        ocr = None if self.config.engine == "text" else self.ocr
        (page,) = extract_unit(unit, config, ocr)
        page.image_path = failed.image_path
        note = f"vlm failed, page from {page.engine or 'no engine'}: {failure}"
        page.error = note if page.error is None else f"{page.error}; {note}"
        return page
