"""Every Arrow schema docpipe writes or passes between stages, derived from the records: the one place types are mapped.

Writing with an explicit schema (rather than letting Arrow infer one per batch)
keeps every Parquet file of a dataset identical, even when a batch has only
empty lists or only nulls in a column.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any, Literal, Union

import pyarrow as pa
from pydantic import BaseModel

from docpipe.records import (
    ArrowWidth, Chunk, DocumentProbe, DocumentResult, ExtractionAnswer, ExtractionRequest, ExtractionRow, PageResult,
    PageSummary, VlmAnswer, VlmStreamRow,
)

_WIDTHS = {"float32": pa.float32(), "int32": pa.int32()}
_SCALARS = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_(), bytes: pa.binary()}


def arrow_type(annotation: Any) -> tuple[pa.DataType, bool]:
    """Map a type annotation to (Arrow type, nullable)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        for item in meta:
            if isinstance(item, ArrowWidth):
                return _WIDTHS[item.name], False
        return arrow_type(base)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union {annotation!r}")
        inner, _ = arrow_type(args[0])
        return inner, True
    if origin is Literal:
        return pa.string(), False
    if origin is list:
        (item,) = typing.get_args(annotation)
        item_type, item_nullable = arrow_type(item)
        return pa.list_(pa.field("item", item_type, nullable=item_nullable)), False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return pa.struct(model_fields(annotation)), False
    if annotation in _SCALARS:
        return _SCALARS[annotation], False
    raise TypeError(f"no Arrow mapping for {annotation!r}")


def model_fields(model: type[BaseModel]) -> list[pa.Field]:
    fields = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if info.metadata:
            annotation = typing.Annotated[(annotation, *info.metadata)]
        dtype, nullable = arrow_type(annotation)
        fields.append(pa.field(info.alias or name, dtype, nullable=nullable))
    return fields


def model_schema(model: type[BaseModel]) -> pa.Schema:
    return pa.schema(model_fields(model))


# The output contract (schemas/*.arrow.json).
PAGES_SCHEMA = model_schema(PageResult)
DOCUMENTS_SCHEMA = model_schema(DocumentResult)
CHUNKS_SCHEMA = model_schema(Chunk)
# Rows between stages.
PROBE_SCHEMA = model_schema(DocumentProbe)
SUMMARY_SCHEMA = model_schema(PageSummary)
SUMMARY_COLUMNS = SUMMARY_SCHEMA.names
VLM_STREAM_SCHEMA = model_schema(VlmStreamRow)
VLM_ANSWER_FIELDS = model_fields(VlmAnswer)
EXTRACTION_REQUEST_SCHEMA = model_schema(ExtractionRequest)
EXTRACTION_ANSWER_SCHEMA = model_schema(ExtractionAnswer)
EXTRACTION_FIELDS = model_fields(ExtractionRow)


def typed_fields(model: type[BaseModel]) -> list[pa.Field]:
    """Top-level fields of a user's schema that Arrow can hold as typed columns (the rest live only in `data`)."""
    fields = []
    taken = {field.name for field in EXTRACTION_FIELDS}
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


def extraction_schema(model: type[BaseModel]) -> pa.Schema:
    """OUT/extractions for one user schema: the fixed columns, then its typed fields."""
    return pa.schema(EXTRACTION_FIELDS + typed_fields(model))


def schema_to_json(schema: pa.Schema) -> dict:
    """A stable, readable JSON form of a schema (kept in schemas/ and diffed by a test)."""

    def describe(dtype: pa.DataType) -> Any:
        if pa.types.is_struct(dtype):
            return {"struct": [field_json(dtype.field(i)) for i in range(dtype.num_fields)]}
        if pa.types.is_list(dtype):
            return {"list": describe(dtype.value_type)}
        return str(dtype)

    def field_json(field: pa.Field) -> dict:
        return {"name": field.name, "type": describe(field.type), "nullable": field.nullable}

    return {"fields": [field_json(f) for f in schema]}


def to_table(records: list[BaseModel], schema: pa.Schema) -> pa.Table:
    rows = [r.model_dump(mode="python", by_alias=True) for r in records]
    return pa.Table.from_pylist(rows, schema=schema)


def dump_schemas() -> dict[str, str]:
    """File name -> JSON text for every output schema (see schemas/)."""
    return {
        "pages.arrow.json": json.dumps(schema_to_json(PAGES_SCHEMA), indent=2) + "\n",
        "documents.arrow.json": json.dumps(schema_to_json(DOCUMENTS_SCHEMA), indent=2) + "\n",
        "chunks.arrow.json": json.dumps(schema_to_json(CHUNKS_SCHEMA), indent=2) + "\n",
    }
