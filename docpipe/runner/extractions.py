"""--schema: after the pages, one extractions row per document, from its page images and its text.

The text is read back from OUT/pages, so a document is extracted once
whatever run wrote its pages (`io.resume.unextracted` says which are due).
"""

from __future__ import annotations

import json

from docpipe.config import RunConfig
from docpipe.engines.vlm.extraction import document_request, extraction_table, load_schema, schema_name
from docpipe.io.parquet import EXTRACTIONS_DIR, PAGES_DIR, write_table
from docpipe.io.storage import resolve_filesystem
from docpipe.records import DocumentResult
from docpipe.runner.llm import build_extraction_processor
from docpipe.runner.session import map_server_clients
from docpipe.runner.stages import ExtractionAnswerer


def extract_schemas(ray, config: RunConfig, recognizers: tuple, documents: list[DocumentResult]) -> int:
    """Write the extractions rows of `documents`; returns how many."""
    if not documents:
        return 0
    wanted = sorted({d.doc_id for d in documents if d.status != "error" and d.doc_id})
    rows = _answers(ray, config, recognizers, wanted) if wanted else []
    # One row per document: every path of identical bytes, and documents that had no pages to read.
    by_doc = {r["doc_id"]: r for r in rows}
    name = schema_name(config.vlm.schema_ref)
    rows = [dict(by_doc[d.doc_id], source=d.source) if d.doc_id in by_doc else
            dict(doc_id=d.doc_id, source=d.source, schema=name, data=None, valid=False,
                 error=f"document not extracted ({d.error_kind}): {d.error}") for d in documents]
    fs, root = resolve_filesystem(config.out)
    fs.create_dir(f"{root}/{EXTRACTIONS_DIR}", recursive=True)  # only runs with --schema have it
    write_table(config.out, EXTRACTIONS_DIR, extraction_table(rows, load_schema(config.vlm.schema_ref)))
    return len(rows)


def _answers(ray, config: RunConfig, recognizers: tuple, wanted: list[str]) -> list[dict]:
    from ray.data.expressions import col

    fs, root = resolve_filesystem(config.out)
    pages = ray.data.read_parquet(f"{root}/{PAGES_DIR}", filesystem=fs,
                                  columns=["doc_id", "source", "page", "text"])
    pages = pages.filter(expr=col("doc_id").is_in(wanted))
    config_dict = config.model_dump()
    requests = pages.groupby("doc_id").map_groups(document_request, fn_kwargs={"config": config_dict},
                                                  batch_format="pyarrow")
    if config.vlm.url is None:
        answers = build_extraction_processor(config.vlm)(requests)
    else:
        answers = map_server_clients(requests, ExtractionAnswerer, config.vlm,
                                     fn_constructor_kwargs={"config": config_dict, "recognizers": recognizers})
    return [dict(doc_id=r["doc_id"], source=r["source"], **json.loads(r["result"])) for r in answers.iter_rows()]
