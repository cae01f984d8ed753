"""Born-digital text quality on the shared corpus: docpipe beside pdfplumber, pymupdf4llm and Tesseract.

    python benchmarks/quality_corpus_text.py --corpus ../shared/corpus [--tools ...] [--workers N]
        [--json out.json]

Documents: the PDFs of CORPUS/born_digital that have a full-text truth:
  STEM.md   docling's regression Markdown (11 documents, 1 to 18 pages) and two olmOCR test
            fixtures (YAML front matter + Markdown: edgar, blanktext);
  STEM.txt  pdfplumber's `extract_text(layout=True)` expectation (scotus transcript).
Skipped: PDFs whose truth is olmOCR-bench spot checks (`.tests.jsonl`, scored by
olmocr_checks.py) or LaTeX/HTML source (pypdfsamples).

Tools, each on the same PDFs in one invocation:
  docpipe      `docpipe run IN --out OUT -q` (engine auto), page `text` from OUT/pages; and the
               same text without the blocks it classified as header/footer (docling leaves
               page furniture out of its Markdown);
  pdfplumber   `page.extract_text()`;
  pymupdf4llm  `to_markdown(page_chunks=True)`, in its own process (importing it changes
               PyMuPDF process-wide);
  tesseract    `tesseract PAGE.png stdout --psm 3` on each page rendered at 300 dpi: the OCR
               baseline, blind to the text layer.

Normalisation, the same for the truth and every tool (see plain_text): Markdown syntax is
removed (front matter, headings, emphasis, list markers, links, code fences, backslash
escapes, HTML entities, `<!-- image -->` and other placeholders); a Markdown table is
flattened to its cell texts in row order, one line per row, a cell repeated in the next
column (how docling writes a column span) kept once; then NFKC (ligatures), every quote mark as ' and
every dash as - (docling writes “x” as 'x'), and a bullet glyph at the start of a line
dropped (docling writes bullets as Markdown list markers).
Metric: docpipe.evaluate.metrics.cer / wer (the definition of `docpipe eval`: Levenshtein
after collapsing whitespace, over the longer string) on the whole document's text, pages
joined by a newline: the truths do not mark pages.
"""

from __future__ import annotations

import argparse
import html
import json
import multiprocessing
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scan_peers as peers  # noqa: E402

from docpipe.evaluate.metrics import cer, normalize_text, wer  # noqa: E402

TOOLS = ["docpipe", "docpipe-body", "pdfplumber", "pymupdf4llm", "tesseract"]
LABEL = {"docpipe": "docpipe (run, engine auto)", "docpipe-body": "docpipe without header/footer blocks",
         "pdfplumber": "pdfplumber extract_text", "pymupdf4llm": "pymupdf4llm to_markdown",
         "tesseract": "tesseract --psm 3 on 300 dpi renders"}

# ------------------------------------------------------------------ normalisation

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---+\n?", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TABLE_RULE = re.compile(r"^\|?(\s*:?-+:?\s*\|)+\s*:?-*:?\s*\|?$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_LIST = re.compile(r"^\s*(?:[-*+])\s+(?=\S)")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# Emphasis marks: ** and __ anywhere; a single * or _ only at a word edge, so identifiers
# such as QIBM_DB_SQLADM keep their underscores (and an escaped \_ is not a mark).
_EMPHASIS = re.compile(r"\*\*|(?<![\\\w])__|__(?!\w)|(?<![\\\w*])\*(?=\S)|(?<=\S)(?<!\\)\*(?![\w*])"
                       r"|(?<![\\\w])_(?=\S)|(?<=[^\s\\])_(?!\w)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_BULLET = re.compile(r"^\s*[\u2022\u25e6\u25aa\u25cf\u25cb\u25a0\u25a1\u2023\u2043\uf0b7\uf0a7\uf076\uf0d8]\s*",
                     re.M)

# docling writes every quote mark as ' (its truth turns “x” into 'x'); tools keep the PDF's.
_QUOTES_DASHES = str.maketrans({c: "'" for c in "\"“”„‟‘’‚‛«»"} | {c: "-" for c in "‐‑‒–—―−"})


def _table_row(line: str) -> str:
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    kept: list[str] = []
    for c in cells:
        if c and (not kept or c != kept[-1]):  # a column span is the same text in each column it covers
            kept.append(c)
    return " ".join(kept)


def markdown_to_plain(md: str) -> str:
    """Markdown (docling's, pymupdf4llm's) as the plain text a reader sees, tables row by row."""
    md = _COMMENT.sub("", _FRONT_MATTER.sub("", md.replace("\r\n", "\n")))
    out, fenced = [], False
    for line in md.split("\n"):
        if line.strip().startswith("```"):
            fenced = not fenced  # keep the code, drop the fence
            continue
        if not fenced:
            if line.lstrip().startswith("|"):
                if _TABLE_RULE.match(line.strip()):
                    continue
                line = _table_row(line)  # a cell may start with "#" or "-": not a heading or list
            elif line.strip() in ("-----", "---", "***"):
                continue  # page / thematic breaks
            else:
                line = _LIST.sub("", _HEADING.sub("", line))
            line = _LINK.sub(r"\1", _IMAGE.sub("", line))
            line = _EMPHASIS.sub("", line.replace("<br>", " "))
            line = _ESCAPE.sub(r"\1", line)
        out.append(line)
    return html.unescape("\n".join(out))


def plain_text(text: str, markdown: bool) -> str:
    """The one normalisation before scoring, for truth and tools alike."""
    if markdown:
        text = markdown_to_plain(text)
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES_DASHES)
    return _BULLET.sub("", text)


# ------------------------------------------------------------------ documents and truth


def corpus_documents(corpus: Path) -> list[dict]:
    docs = []
    for pdf in sorted((corpus / "born_digital").glob("*.pdf")):
        md, txt = pdf.with_suffix(".md"), pdf.with_suffix(".txt")
        truth = md if md.exists() else txt if txt.exists() else None
        if truth is None:
            continue
        raw = truth.read_text(encoding="utf-8")
        source = ("docling Markdown" if pdf.stem.startswith("docling__") else
                  "olmOCR fixture Markdown" if truth.suffix == ".md" else "pdfplumber layout text")
        docs.append({"stem": pdf.stem, "pdf": pdf, "truth_file": truth.name, "truth_source": source,
                     "truth": plain_text(raw, truth.suffix == ".md"), "pages": peers.n_pages(pdf)})
    return docs


# ------------------------------------------------------------------ tools: {stem: [page text, ...]}


def run_docpipe(docs: list[dict], tmp: Path) -> tuple[dict, dict, dict, float]:
    """docpipe run over links to the PDFs; (whole text, body text, engines per doc, seconds)."""
    import pyarrow.dataset as ds

    folder = tmp / "docpipe-in"
    folder.mkdir()
    for d in docs:  # links, not copies: the corpus stays where it is
        (folder / d["pdf"].name).symlink_to(d["pdf"].resolve())
    run = peers.run_docpipe(folder, tmp / "docpipe-out")
    if run["returncode"] != 0:
        raise RuntimeError(f"docpipe run exited {run['returncode']}: {run['stderr'][-600:]}")
    rows = ds.dataset(tmp / "docpipe-out" / "pages", format="parquet").to_table(
        columns=["source", "page", "text", "blocks", "engine", "status"]).to_pylist()
    whole, body, engines = {}, {}, {}
    for row in sorted(rows, key=lambda r: (r["source"], r["page"])):
        stem = Path(row["source"]).stem
        whole.setdefault(stem, []).append(row["text"] or "")
        body.setdefault(stem, []).append("\n".join(b["text"] or "" for b in row["blocks"] or []
                                                   if b["kind"] not in ("header", "footer", "page_number")))
        engines.setdefault(stem, set()).add(row["engine"] if row["status"] == "ok" else row["status"])
    return whole, body, engines, run["wall_s"]


def _pdfplumber(pdf: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return [page.extract_text() or "" for page in doc.pages]


def _pymupdf4llm_all(pdfs: list[Path]) -> dict[str, list[str] | str]:
    import contextlib
    import io

    import pymupdf
    import pymupdf4llm

    pymupdf.set_messages(stream=io.StringIO())  # its parser's notes
    out: dict[str, list[str] | str] = {}
    for pdf in pdfs:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                chunks = pymupdf4llm.to_markdown(str(pdf), page_chunks=True, show_progress=False)
            out[pdf.stem] = [c["text"] for c in chunks]
        except Exception as exc:  # noqa: BLE001 - a peer failing on a file is a result
            out[pdf.stem] = f"{type(exc).__name__}: {exc}"[:200]
    return out


def _tesseract(pdf: Path, images: Path) -> list[str]:
    return [peers.run_tesseract(img) for img in peers.page_images(pdf, images / pdf.stem)]


def run_tool(tool: str, docs: list[dict], tmp: Path, workers: int) -> tuple[dict, dict, float]:
    """({stem: [page texts]}, {stem: error}, seconds) for one peer."""
    started, texts, errors = time.perf_counter(), {}, {}
    if tool == "pymupdf4llm":
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            got = pool.submit(_pymupdf4llm_all, [d["pdf"] for d in docs]).result()
        for stem, value in got.items():
            (errors if isinstance(value, str) else texts)[stem] = value
        return texts, errors, time.perf_counter() - started
    call = (lambda pdf: _pdfplumber(pdf)) if tool == "pdfplumber" else (lambda pdf: _tesseract(pdf, tmp / "png"))

    def one(d):
        try:
            return d["stem"], call(d["pdf"]), None
        except Exception as exc:  # noqa: BLE001
            return d["stem"], [], f"{type(exc).__name__}: {exc}"[:200]

    with ThreadPoolExecutor(workers if tool == "tesseract" else 1) as pool:
        for stem, pages, error in pool.map(one, docs):
            texts[stem] = pages
            if error:
                errors[stem] = error
    return texts, errors, time.perf_counter() - started


# ------------------------------------------------------------------ scoring and report


def score(docs: list[dict], texts: dict[str, dict[str, list[str]]]) -> dict:
    """{tool: {stem: {cer, wer, dist, length}}}; a document a tool did not give scores 1.0."""
    out: dict = {}
    for tool, by_stem in texts.items():
        markdown = tool == "pymupdf4llm"
        for d in docs:
            pages = by_stem.get(d["stem"])
            pred = plain_text("\n".join(pages), markdown) if pages is not None else None
            c = cer(pred, d["truth"]) if pred is not None else 1.0
            w = wer(pred, d["truth"]) if pred is not None else 1.0
            longer = max(len(normalize_text(pred or "")), len(normalize_text(d["truth"])))
            out.setdefault(tool, {})[d["stem"]] = {"cer": c, "wer": w, "dist": c * longer, "length": longer}
    return out


def summary_rows(docs, scores, seconds, groups) -> list[str]:
    lines = ["| tool | documents | pages | mean doc CER % | median doc CER % | CER % over all characters "
             "| mean doc WER % | seconds |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for tool, s in scores.items():
        for label, keep in groups:
            picked = [d for d in docs if keep(d)]
            cers = [s[d["stem"]]["cer"] for d in picked]
            micro = sum(s[d["stem"]]["dist"] for d in picked) / max(1, sum(s[d["stem"]]["length"] for d in picked))
            secs = f"{seconds[tool]:.0f}" if not label else ""  # the tool's pass over all documents
            lines.append(f"| {LABEL[tool]}{label} | {len(picked)} | {sum(d['pages'] for d in picked)} "
                         f"| {100 * statistics.mean(cers):.1f} | {100 * statistics.median(cers):.1f} "
                         f"| {100 * micro:.1f} | {100 * statistics.mean(s[d['stem']]['wer'] for d in picked):.1f} "
                         f"| {secs} |")
    return lines


def per_document(docs, scores, key: str, engines: dict) -> list[str]:
    tools = list(scores)
    lines = ["| document | pages | truth | truth chars | docpipe engine | " + " | ".join(tools) + " |",
             "|---|---:|---|---:|---|" + "---:|" * len(tools)]
    for d in docs:
        eng = ",".join(sorted(engines.get(d["stem"], {"-"})))
        lines.append(f"| {d['stem']} | {d['pages']} | {d['truth_source']} | {len(normalize_text(d['truth']))} "
                     f"| {eng} | " + " | ".join(f"{100 * scores[t][d['stem']][key]:.1f}" for t in tools) + " |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=HERE.parent.parent / "shared" / "corpus")
    ap.add_argument("--tools", nargs="*", default=["docpipe", "pdfplumber", "pymupdf4llm", "tesseract"])
    ap.add_argument("--workers", type=int, default=2, help="tesseract pages at once")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    missing = peers.missing_peers([t for t in args.tools if t in ("docpipe", "tesseract")])
    if missing:
        sys.exit("; ".join(missing.values()))
    docs = corpus_documents(args.corpus)
    print(f"{len(docs)} documents, {sum(d['pages'] for d in docs)} pages in {args.corpus}/born_digital\n")
    texts, seconds, errors, engines = {}, {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="docpipe-corpus-text-") as tmp_name:
        tmp = Path(tmp_name)
        for tool in args.tools:
            print(f"running {tool}", file=sys.stderr, flush=True)
            if tool == "docpipe":
                texts["docpipe"], texts["docpipe-body"], engines, seconds["docpipe"] = run_docpipe(docs, tmp)
                seconds["docpipe-body"] = seconds["docpipe"]
            else:
                texts[tool], errors[tool], seconds[tool] = run_tool(tool, docs, tmp, args.workers)
    scores = score(docs, texts)
    groups = [("", lambda d: True), (", docling truths only", lambda d: d["truth_source"] == "docling Markdown"),
              (", one-page documents", lambda d: d["pages"] == 1),
              (", without the Arabic documents", lambda d: "right_to_left" not in d["stem"])]
    print("\n".join(summary_rows(docs, scores, seconds, groups)))
    print("\nCER % per document:\n")
    print("\n".join(per_document(docs, scores, "cer", engines)))
    print("\nWER % per document:\n")
    print("\n".join(per_document(docs, scores, "wer", engines)))
    notes = [f"- {t}, {stem}: {e}" for t, errs in errors.items() for stem, e in errs.items()]
    if notes:
        print("\nErrors (scored as CER 1.0):\n" + "\n".join(notes))
    print("\nVersions: " + json.dumps(peers.versions()))
    if args.json:
        args.json.write_text(json.dumps({"documents": [{k: v for k, v in d.items() if k not in ("pdf", "truth")}
                                                       for d in docs], "scores": scores, "seconds": seconds,
                                         "errors": errors}, indent=1))


if __name__ == "__main__":
    main()
