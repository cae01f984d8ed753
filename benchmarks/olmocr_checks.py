"""olmOCR-bench style checks on the shared corpus: docpipe against pdfplumber and pymupdf4llm.

    python benchmarks/olmocr_checks.py --corpus ../shared/corpus [--on text|markdown|both] [--json out.json]

The corpus's `*.tests.jsonl` files (from olmOCR-bench, mostly human-verified) are
unit tests on one page's text:
  present  the sentence appears (up to `max_diffs` edits, default 0, after the same
           normalization for every tool: NFKC, straight quotes and dashes, whitespace
           collapsed);
  absent   the sentence does not appear (running headers, footers, page numbers);
           with `first_n` / `last_n`, only in the page's first / last n characters,
           as olmOCR-bench scores it (`case_sensitive: false` compares lower case);
  order    `before` appears, `after` appears, and `before` comes first.
`math` and `baseline` checks are not scored (no LaTeX output here). Born-digital PDFs
and the olmOCR scans are both scored; for a scan, docpipe runs its OCR engine and the
peers get whatever text layer there is (none).

docpipe is scored twice: its whole page text, and its text without the blocks it
classified as header or footer (olmOCR's convention is to leave those out, which is
what the `absent` checks test). Each tool runs on exactly the same pages; a page that
fails to extract gives empty text (every present/order check fails, absent passes).

`--on markdown` scores docpipe's Markdown export instead (`docpipe export --format markdown`,
page by page: headers and footers left out, tables as pipe tables or inline HTML, Markdown
escapes in the text), as written and as a reader sees it (rendered by markdown-it-py, tags
removed: `150\\.` reads `150.` again); `--on both` scores the page text and the Markdown.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

from rapidfuzz.distance import Levenshtein


FURNITURE = ("header", "footer", "page_number")
_PUNCT = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00ad": None})


def _norm(text: str) -> str:
    """NFKC (ligatures), straight quotes and dashes, whitespace collapsed: the same for every tool."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCT)
    return re.sub(r"\s+", " ", text).strip()


def _find(needle: str, hay: str, max_diffs: int) -> int:
    """Start of the best match of `needle` in `hay` within `max_diffs` edits, or -1."""
    needle, hay = _norm(needle), _norm(hay)
    if not needle:
        return 0
    exact = hay.find(needle)
    if exact >= 0 or max_diffs == 0:
        return exact
    n = len(needle)
    best, best_at = max_diffs + 1, -1
    for start in range(0, max(1, len(hay) - n + 1)):
        window = hay[start:start + n + max_diffs]
        d = Levenshtein.distance(needle, window[:n]) if len(window) >= n else Levenshtein.distance(needle, window)
        if d < best:
            best, best_at = d, start
            if d == 0:
                break
    return best_at if best <= max_diffs else -1


def check(test: dict, text: str) -> bool | None:
    diffs = int(test.get("max_diffs", 0))
    kind = test.get("type")
    if test.get("case_sensitive") is False:  # olmOCR's default is case-sensitive
        text, test = text.lower(), {k: v.lower() if isinstance(v, str) else v for k, v in test.items()}
    if kind in ("present", "absent") and (test.get("first_n") or test.get("last_n")):
        # olmOCR looks only at the page's first/last n characters (a page number at the foot, not
        # any '1' in the body).
        norm = _norm(text)
        first, last = test.get("first_n"), test.get("last_n")
        text = (norm[:first] if first else "") + (" " if first and last else "") + (norm[-last:] if last else "")
    if kind == "present":
        return _find(test["text"], text, diffs) >= 0
    if kind == "absent":
        return _find(test["text"], text, diffs) < 0
    if kind == "order":
        a, b = _find(test["before"], text, diffs), _find(test["after"], text, diffs)
        return a >= 0 and b >= 0 and a < b
    return None  # math, baseline: not scored


def _docpipe_pages(pdf: Path) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """{page: text}, {page: text without header/footer blocks}, {page: Markdown export}, through docpipe's router."""
    from docpipe.config import RunConfig
    from docpipe.engines.ocr.tesseract import TesseractEngine
    from docpipe.export.markdown import page_markdown
    from docpipe.io.probe import probe
    from docpipe.runner.pages import extract_unit
    from docpipe.runner.plan import split_units

    config = RunConfig(input=str(pdf), out="/tmp/unused")
    engine = TesseractEngine("eng")
    found = probe(str(pdf), config.limits)
    whole, body, markdown = {}, {}, {}
    for unit in split_units(found, 10_000):
        for page in extract_unit(unit, config, lambda: engine):
            whole[page.page] = page.text
            body[page.page] = "\n".join(b.text for b in page.blocks if b.kind not in FURNITURE)
            markdown[page.page] = page_markdown(page)
    engine.close()
    return whole, body, markdown


def _pdfplumber_pages(pdf: Path) -> dict[int, str]:
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return {i + 1: page.extract_text() or "" for i, page in enumerate(doc.pages)}


def _pymupdf4llm_pages(pdf: Path) -> dict[int, str]:
    import pymupdf4llm

    chunks = pymupdf4llm.to_markdown(str(pdf), page_chunks=True, show_progress=False)
    return {c["metadata"]["page"] if "page" in c["metadata"] else i + 1: _strip_markdown(c["text"])
            for i, c in enumerate(chunks)}


def _strip_markdown(text: str) -> str:
    text = re.sub(r"^#+\s*", "", text, flags=re.M)
    text = re.sub(r"[*_`]+", "", text)
    text = re.sub(r"^\s*\|?[-:| ]+\|?\s*$", "", text, flags=re.M)  # table rules
    return text.replace("|", " ")


_BLOCK_TAGS = re.compile(r"</?(p|h\d|li|ul|ol|tr|table|thead|tbody|blockquote|pre|section|figure)\b[^>]*>|<br\s*/?>")


def _rendered(markdown: str) -> str:
    """The text a Markdown reader shows: rendered to HTML (GFM tables on), then tags removed."""
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    rendered = _BLOCK_TAGS.sub("\n", rendered)
    rendered = re.sub(r"</?t[dh]\b[^>]*>", " ", rendered)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


def _safe(extract, pdf: Path) -> dict[int, str]:
    try:
        return extract(pdf)
    except Exception as exc:  # a peer failing on a file scores as empty text
        print(f"  {extract.__name__} failed on {pdf.name}: {type(exc).__name__}: {exc}")
        return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--on", choices=["text", "markdown", "both"], default="text",
                        help="score docpipe's page text, its Markdown export, or both")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    mine = {"text": ["docpipe", "docpipe (no headers/footers)"],
            "markdown": ["docpipe markdown", "docpipe markdown (rendered)"]}
    import importlib.util

    # A peer that is not installed is left out, not scored as empty text (which passes every absent check).
    peers = [p for p in ("pdfplumber", "pymupdf4llm") if importlib.util.find_spec(p) is not None]
    tools = [t for on, names in mine.items() if args.on in (on, "both") for t in names] + peers
    passed: dict[str, dict[str, list[bool]]] = {t: defaultdict(list) for t in tools}
    per_file = []
    for tests_path in sorted(args.corpus.glob("*/*.tests.jsonl")):
        pdf = tests_path.with_name(tests_path.name[: -len(".tests.jsonl")] + ".pdf")
        if not pdf.exists():
            continue
        tests = [json.loads(line) for line in tests_path.read_text().splitlines() if line.strip()]
        whole, body, markdown = _docpipe_pages(pdf)
        texts = {"docpipe": whole, "docpipe (no headers/footers)": body, "docpipe markdown": markdown,
                 "docpipe markdown (rendered)": {n: _rendered(md) for n, md in markdown.items()},
                 **{p: _safe(_pdfplumber_pages if p == "pdfplumber" else _pymupdf4llm_pages, pdf) for p in peers}}
        row = {"file": f"{tests_path.parent.name}/{pdf.name}"}
        for tool in tools:
            results = [(t["type"], check(t, texts[tool].get(int(t.get("page", 1)), ""))) for t in tests]
            for kind, ok in results:
                if ok is not None:
                    passed[tool][kind].append(ok)
                    passed[tool]["all"].append(ok)
            scored = [ok for _, ok in results if ok is not None]
            row[tool] = f"{sum(scored)}/{len(scored)}"
        per_file.append(row)
        print(f"  {row}", flush=True)
    kinds = ["all", "present", "absent", "order"]
    print("\n| tool | " + " | ".join(f"{k} checks passed" for k in kinds) + " |")
    print("|---|" + "---:|" * len(kinds))
    for tool in tools:
        cells = []
        for kind in kinds:
            got = passed[tool][kind]
            cells.append(f"{100 * sum(got) / len(got):.1f}% ({sum(got)}/{len(got)})" if got else "n/a")
        print(f"| {tool} | " + " | ".join(cells) + " |")
    print("\n| file | " + " | ".join(tools) + " |")
    print("|---|" + "---:|" * len(tools))
    for row in per_file:
        print(f"| {row['file']} | " + " | ".join(row[t] for t in tools) + " |")
    if args.json:
        args.json.write_text(json.dumps({"per_file": per_file, "passed": passed}, indent=1))


if __name__ == "__main__":
    main()
