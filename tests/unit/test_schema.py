"""The Arrow schemas come from the pydantic records; schemas/ holds their JSON form."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from docpipe.arrow import DOCUMENTS_SCHEMA, PAGES_SCHEMA, dump_schemas, to_table
from docpipe.records import Line, PageResult

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_committed_schema_json_matches_the_models():
    for name, text in dump_schemas().items():
        committed = (SCHEMAS / name).read_text()
        assert committed == text, f"schemas/{name} drifted: run `docpipe schema --write schemas`"


def test_contract_columns_present():
    pages = set(PAGES_SCHEMA.names)
    assert {"doc_id", "source", "page", "width", "height", "rotation", "engine", "text", "lines",
            "blocks", "tables", "status", "error", "elapsed_ms"} <= pages
    documents = set(DOCUMENTS_SCHEMA.names)
    assert {"doc_id", "source", "mime", "bytes", "n_pages", "status", "error_kind", "error", "pages_ok",
            "pages_failed", "engines", "run_id", "docpipe_version", "elapsed_s"} <= documents
    bbox = PAGES_SCHEMA.field("lines").type.value_type.field("bbox").type
    assert bbox.value_type == pa.float32()


def test_empty_lists_keep_their_types():
    row = PageResult(doc_id="d", source="s", page=1)
    with_line = PageResult(doc_id="d", source="s", page=2, lines=[Line(text="a", bbox=[0, 0, 1, 1])])
    table = to_table([row, with_line], PAGES_SCHEMA)
    assert table.schema.equals(PAGES_SCHEMA)
    assert table.column("lines").to_pylist()[1][0]["text"] == "a"
