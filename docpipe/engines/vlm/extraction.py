"""Schema extraction: fill a user's pydantic model from each whole document (`--schema`).

A document's request holds its first page images (up to `schema_pages`) and
the text of all its pages as docpipe extracted them; the model's JSON schema
constrains the answer, and the answer is validated by the model itself. The
rows written to OUT/extractions keep the JSON (`data`), whether it validated
(`valid`, `error`), and one typed column per top-level field Arrow can hold.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Optional

import pyarrow as pa
from pydantic import BaseModel, ValidationError

from docpipe.arrow import EXTRACTION_FIELDS, EXTRACTION_REQUEST_SCHEMA, extraction_schema, to_table
from docpipe.config import RunConfig, VlmConfig
from docpipe.engines.vlm.parse import load_json
from docpipe.engines.vlm.request import chat_messages, openai_kwargs, page_image
from docpipe.engines.vlm.server import complete
from docpipe.errors import DocumentError, SchemaError, VlmAnswerError
from docpipe.io.documents import open_image, open_pdf
from docpipe.io.sniff import PDF, sniff
from docpipe.io.storage import read_bytes
from docpipe.records import ExtractionRequest

TEXT_LIMIT = 60_000  # characters of document text in a prompt (about 15k tokens)
PROMPT = (
    "Extract the information this JSON schema asks for from the document: its page images and its text "
    "are below. Copy values as printed; leave a field null when the document does not give it."
)


def load_schema(ref: str) -> type[BaseModel]:
    """`path/to/file.py:Model` or `package.module:Model` -> the model class."""
    target, _, name = ref.rpartition(":")
    if not target or not name:
        raise SchemaError(f"--schema {ref!r}: expected FILE.py:Model or module:Model")
    try:
        if target.endswith(".py"):
            path = Path(target).resolve()
            spec = importlib.util.spec_from_file_location(f"docpipe_schema_{path.stem}", path)
            if spec is None or not path.is_file():
                raise FileNotFoundError(path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # pydantic resolves forward references through it
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
    except (ImportError, FileNotFoundError, SyntaxError) as exc:
        raise SchemaError(f"--schema {ref!r}: cannot load {target} ({exc})") from exc
    model = getattr(module, name, None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise SchemaError(f"--schema {ref!r}: {name} is not a pydantic model in {target}")
    return model


def schema_name(ref: str) -> str:
    return ref.rpartition(":")[2]


def request_messages(images: list[bytes], pages_text: list[str]) -> list[dict]:
    text = "\n\f\n".join(pages_text)
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT] + "\n[... text cut ...]"
    return chat_messages([(image, "image/png") for image in images], f"{PROMPT}\n\nDocument text:\n{text}")


def parse_extraction(answer: Optional[str], finish_reason: Optional[str], model: type[BaseModel],
                     failure: Optional[str] = None) -> tuple[Optional[dict], bool, Optional[str]]:
    """(data, valid, error): the validated data; or the raw JSON with why it did not validate."""
    if failure:
        return None, False, failure
    try:
        value, repairs = load_json(answer, finish_reason)
    except VlmAnswerError as exc:
        return None, False, str(exc)
    try:
        data = model.model_validate(value).model_dump(mode="json")
    except ValidationError as exc:
        return (value if isinstance(value, dict) else None), False, f"does not validate: {exc.errors()[0]['msg']}"
    return data, True, ("; ".join(repairs) or None)


def extraction_table(rows: list[dict], model: type[BaseModel]) -> pa.Table:
    """OUT/extractions rows: the fixed columns, `data` as JSON, and the typed fields of valid data."""
    schema = extraction_schema(model)
    fixed = [field.name for field in EXTRACTION_FIELDS]
    typed = schema.names[len(fixed):]
    records = []
    for row in rows:
        data = row.get("data") if row.get("valid") else None
        record = {name: row.get(name) for name in fixed}
        record["data"] = json.dumps(row["data"]) if row.get("data") is not None else None
        record.update({name: (data or {}).get(name) for name in typed})
        records.append(record)
    return pa.Table.from_pylist(records, schema=schema)


def check_schema(vlm: VlmConfig) -> None:
    if vlm.schema_ref:
        load_schema(vlm.schema_ref)


# ---------------------------------------------------------------- the two steps of a document (run in Ray stages)

def document_request(group: pa.Table, config: dict) -> pa.Table:
    """One document's pages (a Ray Data group) -> one row: its first page images and all its text."""
    run = RunConfig.model_validate(config)
    pages = sorted(group.to_pylist(), key=lambda p: p["page"])
    source = pages[0]["source"]
    images, failure = [], None
    try:
        data = read_bytes(source)
        if sniff(data[:64]) == PDF:
            doc = open_pdf(data, run.password)
            images = [page_image(doc.load_page(i), run.vlm.max_tiles)
                      for i in range(min(doc.page_count, run.vlm.schema_pages))]
        else:
            image = open_image(data, run.limits)
            for frame in range(min(getattr(image, "n_frames", 1), run.vlm.schema_pages)):
                image.seek(frame)
                images.append(page_image(image, run.vlm.max_tiles))
    except (OSError, DocumentError, ValueError) as exc:
        failure = f"cannot render the document for extraction: {exc}"
    request = ExtractionRequest(doc_id=pages[0]["doc_id"], source=source, images=images,
                                text=json.dumps([p["text"] or "" for p in pages]), failure=failure)
    return to_table([request], EXTRACTION_REQUEST_SCHEMA)


def answer_with_server(client, row: dict, vlm: VlmConfig, model: type[BaseModel]) -> dict:
    """An ExtractionAnswer row for one document row, asked of an OpenAI-compatible server."""
    failure, answer, finish = row["failure"], None, None
    if failure is None:
        kwargs = openai_kwargs(request_messages(row["images"], json.loads(row["text"])), model=vlm.model,
                               schema=model.model_json_schema(), schema_name=model.__name__,
                               max_tokens=vlm.max_tokens, temperature=0.0, json_mode=vlm.json_mode,
                               max_tiles=vlm.max_tiles)
        kwargs.pop("logprobs")
        try:
            done = complete(client, kwargs)
            answer, finish = done.text, done.finish_reason
        except Exception as exc:  # after the client's retries: this document's failure only
            failure = f"{type(exc).__name__}: {exc}"
    data, valid, error = parse_extraction(answer, finish, model, failure)
    result = {"schema": model.__name__, "data": data, "valid": valid, "error": error}
    return {"doc_id": row["doc_id"], "source": row["source"], "result": json.dumps(result)}
