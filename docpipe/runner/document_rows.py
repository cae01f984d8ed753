"""Documents rows from probes and page summaries: one row per input file, whatever happened to it."""

from __future__ import annotations

from collections import defaultdict

from docpipe.records import DOCPIPE_VERSION, DocumentProbe, DocumentResult


def document_rows(probes: list[DocumentProbe], page_rows: list[dict], run_id: str) -> list[DocumentResult]:
    # By doc_id: paths with identical bytes share the pages of the one that was extracted.
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for row in page_rows:
        by_doc[row["doc_id"]].append(row)
    documents = []
    for p in probes:
        rows = by_doc.get(p.doc_id, [])
        doc = DocumentResult(
            doc_id=p.doc_id, source=p.source, mime=p.mime, bytes=p.bytes, n_pages=p.n_pages,
            status="error" if p.error_kind else "ok", error_kind=p.error_kind, error=p.error,
            run_id=run_id, docpipe_version=DOCPIPE_VERSION, elapsed_s=p.elapsed_s,
        )
        if not p.error_kind:
            _fold_pages(doc, rows)
            if p.repaired and doc.status == "ok":
                # Recovered from damage: the pages may not be all the file held.
                doc.status, doc.error_kind, doc.error = "partial", "corrupt", p.repaired
        documents.append(doc)
    return documents


def _fold_pages(doc: DocumentResult, rows: list[dict]) -> None:
    ok = [r for r in rows if r["status"] == "ok"]
    failed = [r for r in rows if r["status"] != "ok"]
    doc.pages_ok, doc.pages_failed = len(ok), len(failed) + max(0, (doc.n_pages or 0) - len(rows))
    doc.engines = sorted({r["engine"] for r in ok if r["engine"]})
    doc.elapsed_s += sum(r["elapsed_ms"] or 0.0 for r in rows) / 1000.0
    if not failed and len(rows) >= (doc.n_pages or 0):
        doc.status = "ok"
        return
    doc.status = "partial" if ok else "error"
    kinds = defaultdict(int)
    for r in failed:
        kinds[r["error_kind"] or "engine_error"] += 1
    kind = max(kinds, key=kinds.get) if kinds else "engine_error"
    doc.error_kind = kind
    example = next((r["error"] for r in failed if r["error_kind"] == kind), None)
    doc.error = f"{len(failed)} of {doc.n_pages} pages failed ({kind}): {example}"
