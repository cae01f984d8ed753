"""What the exports keep: Markdown and chunks of docpipe's output against generated ground truth.

    python benchmarks/gen_born_digital.py GEN --seed 9173 --n 12
    docpipe run GEN --out OUT --num-cpus 1 -q
    docpipe export OUT --format markdown --to MD
    docpipe export OUT --format chunks --to CHUNKS
    python benchmarks/export_quality.py GEN MD CHUNKS/chunks.parquet [--json out.json]

Per document (truth: its NAME.pN.txt pages and NAME.pN.tK.csv tables):
  words kept   the share of the truth's words found in the Markdown, as a multiset (a word
               written twice in the truth must be there twice); words are \\w+ runs after NFKC,
               so Markdown escapes, pipes and HTML tags neither help nor hurt. The default export
               leaves running headers and footers out, so it is scored against the truth without
               them ("body"): lines among a page's first 3 or last 2 that recur, digits aside, at
               the top or bottom of another page of the document, or read "Page N of M". An
               export made with --keep-headers is scored against the whole truth (`--whole`);
  tables       Markdown tables read back by markdown-it-py (GFM table extension), plus the
               `<table>` elements of inline HTML blocks, against the number of truth CSVs;
  chunk words  the same share for the text of all the document's chunks;
  bad boxes    chunk boxes on a page the chunk does not list, or outside 0..1.
Nothing of docpipe is imported: the Markdown is parsed as any reader would, chunks read with pyarrow.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import unicodedata
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
from markdown_it import MarkdownIt


def words(text: str) -> Counter:
    return Counter(re.findall(r"\w+", unicodedata.normalize("NFKC", text)))


def kept(truth: Counter, found: Counter) -> float:
    total = sum(truth.values())
    return sum((truth & found).values()) / total if total else 1.0


def markdown_tables(markdown: str) -> int:
    """Tables a reader sees: GFM pipe tables, and <table> elements in HTML blocks."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    pipe = sum(t.type == "table_open" for t in tokens)
    html = sum(t.content.count("<table") for t in tokens if t.type == "html_block")
    return pipe + html


_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(of|/)\s*\d+)?$", re.I)


def _margin_lines(pages: list[list[str]]) -> list[set[int]]:
    """Per page, the indexes of its running header and footer lines (see the docstring)."""
    def ends(lines: list[str]) -> dict[int, str]:
        idx = [*range(min(3, len(lines))), *range(max(3, len(lines) - 2), len(lines))]
        return {i: re.sub(r"\d+", "#", lines[i].strip()) for i in idx}

    keyed = [ends(lines) for lines in pages]
    margins = []
    for n, keys in enumerate(keyed):
        elsewhere = {k for m, other in enumerate(keyed) if m != n for k in other.values()}
        margins.append({i for i, k in keys.items() if k in elsewhere or _PAGE_NUMBER.match(pages[n][i].strip())})
    return margins


def truth_of(gen: Path, whole: bool = False) -> dict[str, dict]:
    """NAME -> {"words": Counter of its pages (without running headers and footers unless whole), "tables"}."""
    docs: dict[str, dict] = {}
    by_doc: dict[str, list[tuple[int, list[str]]]] = {}
    for page in gen.glob("*.p*.txt"):
        name, number = page.name[:-len(".txt")].rsplit(".p", 1)
        by_doc.setdefault(name, []).append((int(number), page.read_text("utf-8").splitlines()))
    for name, pages in by_doc.items():
        texts = [lines for _, lines in sorted(pages)]
        margins = [set() for _ in texts] if whole else _margin_lines(texts)
        body = [line for lines, skip in zip(texts, margins) for i, line in enumerate(lines) if i not in skip]
        docs[name] = {"words": words("\n".join(body)), "tables": 0}
    for csv in gen.glob("*.p*.t*.csv"):
        docs[csv.name.split(".p")[0]]["tables"] += 1
    return docs


def bad_boxes(chunk: dict) -> int:
    return sum(1 for box in chunk["boxes"]
               if box["page"] not in chunk["pages"] or not all(0.0 <= v <= 1.0 for v in box["bbox"])
               or box["bbox"][0] > box["bbox"][2] or box["bbox"][1] > box["bbox"][3])


def score(gen: Path, md_dir: Path, chunks_path: Path, whole: bool = False) -> dict:
    truth = truth_of(gen, whole)
    body = truth_of(gen) if whole else truth  # chunks never hold running headers and footers
    chunks = pq.read_table(chunks_path).to_pylist()
    rows = []
    for name, want in sorted(truth.items()):
        md_file = md_dir / f"{name}.md"
        markdown = md_file.read_text("utf-8") if md_file.exists() else ""
        own = [c for c in chunks if Path(c["source"]).stem == name]
        rows.append({
            "document": name,
            "words_kept": kept(want["words"], words(markdown)),
            "tables": markdown_tables(markdown), "truth_tables": want["tables"],
            "chunk_words_kept": kept(body[name]["words"], words("\n".join(c["text"] for c in own))),
            "chunks": len(own), "bad_boxes": sum(bad_boxes(c) for c in own),
            "max_tokens": max((c["n_tokens"] for c in own), default=0),
        })
    return {"documents": rows, "summary": summarize(rows)}


def summarize(rows: list[dict]) -> dict:
    kept_md = [r["words_kept"] for r in rows]
    kept_chunks = [r["chunk_words_kept"] for r in rows]
    return {
        "documents": len(rows),
        "words_kept_min": min(kept_md), "words_kept_median": statistics.median(kept_md),
        "tables_found": sum(r["tables"] for r in rows), "truth_tables": sum(r["truth_tables"] for r in rows),
        "documents_with_table_count_right": sum(r["tables"] == r["truth_tables"] for r in rows),
        "chunk_words_kept_min": min(kept_chunks), "chunk_words_kept_median": statistics.median(kept_chunks),
        "chunks": sum(r["chunks"] for r in rows), "bad_boxes": sum(r["bad_boxes"] for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gen", type=Path, help="gen_born_digital.py's folder (PDFs and truth)")
    parser.add_argument("markdown", type=Path, help="the folder `docpipe export --format markdown` wrote")
    parser.add_argument("chunks", type=Path, help="a chunks Parquet file or folder")
    parser.add_argument("--whole", action="store_true", help="score the Markdown against the whole truth "
                        "(for an export made with --keep-headers)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = score(args.gen, args.markdown, args.chunks, args.whole)
    print("| document | words kept | tables / truth | chunk words kept | chunks | bad boxes |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in result["documents"]:
        print(f"| {r['document']} | {100 * r['words_kept']:.1f}% | {r['tables']} / {r['truth_tables']} | "
              f"{100 * r['chunk_words_kept']:.1f}% | {r['chunks']} | {r['bad_boxes']} |")
    print(json.dumps(result["summary"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
