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

from docpipe.config import VlmConfig
from docpipe.vlm.server import VlmUnavailable

EXTRACTIONS_DIR = "extractions"
BASE_FIELDS = [("doc_id", pa.string()), ("source", pa.string()), ("schema", pa.string()),
               ("data", pa.string()), ("valid", pa.bool_()), ("error", pa.string())]
TEXT_LIMIT = 60_000  # characters of document text in a prompt (about 15k tokens)
PROMPT = (
    "Extract the information this JSON schema asks for from the document: its page images and its text "
    "are below. Copy values as printed; leave a field null when the document does not give it."
)


class SchemaError(VlmUnavailable):
    """--schema does not name a loadable pydantic model (a run-level error)."""


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
    from docpipe.vlm.request import chat_messages

    text = "\n\f\n".join(pages_text)
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT] + "\n[... text cut ...]"
    return chat_messages([(image, "image/png") for image in images], f"{PROMPT}\n\nDocument text:\n{text}")


def parse_extraction(answer: Optional[str], finish_reason: Optional[str], model: type[BaseModel],
                     failure: Optional[str] = None) -> tuple[Optional[dict], bool, Optional[str]]:
    """(data, valid, error): the validated data; or the raw JSON with why it did not validate."""
    from docpipe.vlm.parse import VlmAnswerError, load_json

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


def typed_fields(model: type[BaseModel]) -> list[pa.Field]:
    """Top-level fields Arrow can hold as typed columns (the rest live only in `data`)."""
    from docpipe.arrow import model_fields

    fields = []
    taken = {name for name, _ in BASE_FIELDS}
    for name, info in model.model_fields.items():
        if name in taken:
            continue
        single = type(name, (BaseModel,), {"__annotations__": {name: info.annotation}})
        try:
            (field,) = model_fields(single)
        except TypeError:
            continue
        fields.append(field.with_nullable(True))
    return fields


def extraction_table(rows: list[dict], model: type[BaseModel]) -> pa.Table:
    typed = typed_fields(model)
    schema = pa.schema([pa.field(n, t) for n, t in BASE_FIELDS] + typed)
    records = []
    for row in rows:
        data = row.get("data") if row.get("valid") else None
        record = {name: row.get(name) for name, _ in BASE_FIELDS}
        record["data"] = json.dumps(row["data"]) if row.get("data") is not None else None
        record.update({f.name: (data or {}).get(f.name) for f in typed})
        records.append(record)
    return pa.Table.from_pylist(records, schema=schema)


def check_schema(vlm: VlmConfig) -> None:
    if vlm.schema_ref:
        load_schema(vlm.schema_ref)


# ---------------------------------------------------------------- stages (wired in pipeline.py)

def document_request(group: pa.Table, config: dict) -> pa.Table:
    """One document's pages (a Ray Data group) -> one row: its page images and text."""
    from docpipe.config import RunConfig
    from docpipe.documents import DocumentError, open_image, open_pdf
    from docpipe.ingest import PDF, read_bytes, sniff
    from docpipe.render import render_for_vlm

    run = RunConfig.model_validate(config)
    pages = sorted(group.to_pylist(), key=lambda p: p["page"])
    source = pages[0]["source"]
    images, failure = [], None
    try:
        data = read_bytes(source)
        if sniff(data[:64]) == PDF:
            doc = open_pdf(data, run.password)
            images = [render_for_vlm(doc.load_page(i), run.vlm.max_tiles)
                      for i in range(min(doc.page_count, run.vlm.schema_pages))]
        else:
            image = open_image(data, run.limits)
            for frame in range(min(getattr(image, "n_frames", 1), run.vlm.schema_pages)):
                image.seek(frame)
                images.append(render_for_vlm(image, run.vlm.max_tiles))
    except (OSError, DocumentError, ValueError) as exc:
        failure = f"cannot render the document for extraction: {exc}"
    return pa.table({"doc_id": [pages[0]["doc_id"]], "source": [source],
                     "images": pa.array([images], pa.list_(pa.binary())),
                     "text": [json.dumps([p["text"] or "" for p in pages])], "failure": [failure]})


class ExtractionAnswerer:
    """Asks an OpenAI-compatible server to fill the schema for each document row."""

    def __init__(self, config: dict):
        from concurrent.futures import ThreadPoolExecutor

        from docpipe.config import RunConfig
        from docpipe.vlm.server import make_client

        self.vlm = RunConfig.model_validate(config).vlm
        self.model = load_schema(self.vlm.schema_ref)
        self.client = make_client(self.vlm)
        self.pool = ThreadPoolExecutor(max_workers=self.vlm.concurrency)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = list(self.pool.map(self._answer, batch.to_pylist()))
        return pa.Table.from_pylist(rows, schema=pa.schema(BASE_FIELDS[:2] + [("result", pa.string())]))

    def _answer(self, row: dict) -> dict:
        from docpipe.vlm.request import openai_kwargs
        from docpipe.vlm.server import complete

        failure, answer, finish = row["failure"], None, None
        if failure is None:
            kwargs = openai_kwargs(request_messages(row["images"], json.loads(row["text"])), model=self.vlm.model,
                                   schema=self.model.model_json_schema(), schema_name=self.model.__name__,
                                   max_tokens=self.vlm.max_tokens, temperature=0.0, json_mode=self.vlm.json_mode,
                                   max_tiles=self.vlm.max_tiles)
            kwargs.pop("logprobs")
            try:
                done = complete(self.client, kwargs)
                answer, finish = done.text, done.finish_reason
            except Exception as exc:  # after the client's retries: this document's failure only
                failure = f"{type(exc).__name__}: {exc}"
        data, valid, error = parse_extraction(answer, finish, self.model, failure)
        result = {"schema": self.model.__name__, "data": data, "valid": valid, "error": error}
        return {"doc_id": row["doc_id"], "source": row["source"], "result": json.dumps(result)}
