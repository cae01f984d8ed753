"""OCR quality on scans: docpipe, OCRmyPDF and plain Tesseract on the same pages.

    python benchmarks/quality_scans.py --scans DIR [--corpus ../shared/corpus] [--no-real]
        [--docpipe-out DIR] [--tools docpipe ocrmypdf tesseract] [--workers N] [--json out.json]

Two sets of pages, each scored per page with docpipe.evaluate.metrics (cer, wer: Levenshtein
on whitespace-collapsed text over the longer string) for every tool alike:

  generated  DIR made by gen_scans.py (manifest.json + NAME.pN.txt / NAME.pN.tK.csv truth):
             light/medium/heavy degradation, skew up to ±1.5°, one page turned sideways
             and one upside down, 2- and 3-column pages, ruled tables, PDF/TIFF/PNG/JPEG.
  real       CORPUS/scans pages whose truth is plain text (see REAL_NOTES): tesseract
             phototest (+ its rotated L/R/180 PNGs) and eurotext; docling's ocr_test PDFs
             (upright + /Rotate 90/180/270) and its WebP (truth .md, Markdown stripped);
             the DocBank page images (truth: the token column in file order, joined by
             spaces, layout markers and (cid:N) dropped, NFKC: auto-generated from LaTeX,
             equations come out scrambled); OCR-D Kant pages and three OCR-D text lines
             (Fraktur with long s: flagged, the eng model cannot read it). Skipped: the
             tesseract training images (.box char boxes only) and the olmOCR pages (spot
             checks, not transcriptions). The files are copied to a temp folder, not the repo.

Tools (see scan_peers.py):
  docpipe    `docpipe run IN --out OUT -q` (engine auto), its pages read from OUT/pages
             (text, engine, rotation, status); `docpipe eval OUT --truth T --json` gives the
             table cell accuracy and adjacency F1 against NAME.pN.tK.csv and a CER that must
             equal ours. A page that is missing or an error row scores CER 1.0.
  ocrmypdf   --rotate-pages --deskew -O0 --output-type pdf --jobs 1 --sidecar, one file
             per process, WORKERS files at once; images with --image-dpi (claimed DPI, else 300).
             Its --rotate-pages decision per page is logged: it only turns a page when
             Tesseract's OSD confidence is above --rotate-pages-threshold (default 14), so a
             correctly detected but low-confidence turn is left alone (--ocrmypdf-args
             '--rotate-pages-threshold 2' shows what a lower threshold gives).
  tesseract  `tesseract IMAGE stdout --psm 3`, OMP_THREAD_LIMIT=1, WORKERS pages at once,
             no rotation or deskew; PDF pages rendered to PNG at 300 dpi, TIFF frames as PNG.
Peers give no tables (n/a). All tools use -l eng (--lang). Seconds are the wall time of
each tool's pass over the set (docpipe's includes its ~8 s start-up), rough on a shared box.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import scan_peers as peers  # noqa: E402
from _common import pct  # noqa: E402
from quality_peers import strip_markdown  # noqa: E402

from docpipe.evaluate.metrics import cer, wer  # noqa: E402

TOOLS = ["docpipe", "ocrmypdf", "tesseract"]
LABEL = {"docpipe": "docpipe (run, engine auto)", "ocrmypdf": "OCRmyPDF --rotate-pages --deskew",
         "tesseract": "tesseract --psm 3 (as given)"}
REAL_NOTES = {
    "fraktur": "Fraktur print (long s, historical spelling); eng model: CER says little",
    "line": "a single text line image",
    "docbank": "truth auto-generated from LaTeX tokens (equations/tables scrambled)",
    "tool-truth": "truth: docling's own Tesseract output (the sentence, exact)",
}


# ------------------------------------------------------------------ the two page sets


def generated_set(scans: Path) -> tuple[list[Path], list[dict]]:
    """Input files and one item per page from gen_scans.py's manifest."""
    man = json.loads((scans / "manifest.json").read_text(encoding="utf-8"))
    files, items = [], []
    for doc in man["documents"]:
        files.append(scans / doc["file"])
        for p in doc["pages"]:
            items.append({"stem": doc["name"], "file": doc["file"], "page": p["page"], "format": doc["format"],
                          "truth": (scans / f"{doc['name']}.p{p['page']}.txt").read_text(encoding="utf-8"),
                          **{k: p[k] for k in ("level", "skew", "turn", "layout", "n_tables", "source_page")},
                          "source": doc["source"], "flags": []})
    return files, items


def docbank_text(path: Path) -> str:
    """DocBank token file: token, x0, y0, x1, y1, R, G, B, font, label (tab separated)."""
    tokens = []
    for line in path.read_text(encoding="utf-8").splitlines():
        token = line.split("\t", 1)[0]
        if re.fullmatch(r"##LT\w+##", token):
            continue  # figure / line markers, no text
        token = re.sub(r"\(cid:\d+\)", "", token)
        if token.strip():
            tokens.append(token)
    return unicodedata.normalize("NFKC", " ".join(tokens))  # ligatures (ﬂ) as letters


def real_set(corpus: Path, folder: Path) -> tuple[list[Path], list[dict], list[str]]:
    """Copy the usable CORPUS/scans documents into folder/input, their truth to folder/truth.

    Returns (files, items, skipped notes). Every real document is one page.
    """
    rows = [r for r in csv.DictReader(open(corpus / "MANIFEST.csv", newline="", encoding="utf-8"))
            if r["category"] == "scans"]
    (folder / "input").mkdir(parents=True)
    (folder / "truth").mkdir(parents=True)
    files, items, skipped = [], [], []
    for row in rows:
        src = corpus / row["file"]
        stem = src.stem
        gts = [corpus / g for g in row["ground_truth_file"].split(";") if g]
        flags, truth = [], None
        by_suffix = {"".join(g.suffixes[-2:]) if g.name.endswith(".gt.txt") else g.suffix: g for g in gts}
        if ".gt.txt" in by_suffix:
            truth, flags = by_suffix[".gt.txt"].read_text(encoding="utf-8"), ["line", "fraktur"]
        elif stem.startswith("docbank__") and ".txt" in by_suffix:
            truth, flags = docbank_text(by_suffix[".txt"]), ["docbank"]
        elif ".txt" in by_suffix:
            truth = by_suffix[".txt"].read_text(encoding="utf-8")
            if stem.startswith("ocrd__"):
                flags = ["fraktur"]
        elif ".md" in by_suffix:
            truth, flags = strip_markdown(by_suffix[".md"].read_text(encoding="utf-8"))[0], ["tool-truth"]
        else:
            kinds = ", ".join(sorted(g.name[len(stem):] for g in gts))
            skipped.append(f"{src.name}: truth {kinds} is not a transcription")
            continue
        if peers.n_pages(src) != 1:
            skipped.append(f"{src.name}: {peers.n_pages(src)} pages, truth is one text")
            continue
        target = folder / "input" / src.name
        shutil.copyfile(src, target)
        (folder / "truth" / f"{stem}.p1.txt").write_text(truth, encoding="utf-8")
        files.append(target)
        items.append({"stem": stem, "file": src.name, "page": 1, "format": src.suffix.lower().lstrip("."),
                      "truth": truth, "flags": flags})
    return files, items, skipped


# ------------------------------------------------------------------ running the tools


def run_tesseract_set(files: list[Path], tmp: Path, workers: int, lang: str) -> tuple[dict, list[str], float]:
    """{(stem, page): text} from plain tesseract on every page image; errors; seconds."""
    jobs = []
    for f in files:
        for i, img in enumerate(peers.page_images(f, tmp / "pages"), 1):
            jobs.append((f.stem, i, img))
    texts, errors = {}, []

    def one(job):
        stem, i, img = job
        try:
            return (stem, i), peers.run_tesseract(img, lang=lang, threads=1), None
        except Exception as exc:  # noqa: BLE001 - a tool failure is a result
            return (stem, i), "", f"{stem} p{i}: {exc}"[:300]

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for key, text, err in pool.map(one, jobs):
            texts[key] = text
            if err:
                errors.append(err)
    return texts, errors, time.perf_counter() - started


def run_ocrmypdf_set(files: list[Path], tmp: Path, workers: int, lang: str,
                     extra: list[str]) -> tuple[dict, list[str], float, dict]:
    """{(stem, page): sidecar text}, notes, seconds, {(stem, page): its --rotate-pages decision}."""
    texts, errors, rotations = {}, [], {}

    def one(f: Path):
        try:
            pages, note, log = peers.run_ocrmypdf(f, tmp / "ocrmypdf", jobs=1, lang=lang, extra=extra)
            return f, pages, note, log
        except Exception as exc:  # noqa: BLE001
            return f, [], f"{f.name}: {exc}"[:400], []

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for f, pages, note, log in pool.map(one, files):
            for i, text in enumerate(pages, 1):
                texts[(f.stem, i)] = text
            for line in log:
                m = re.match(r"(\d+) (.*)", line)
                if m:
                    rotations[(f.stem, int(m[1]))] = m[2]
            if note:
                errors.append(note)
    return texts, errors, time.perf_counter() - started, rotations


def run_docpipe_set(inp: Path, truth: Path, out: Path) -> dict:
    """docpipe run (unless out already holds pages), its rows, and docpipe eval."""
    info: dict = {"out": str(out)}
    if any((out / "pages").glob("*.parquet")):
        info["reused"] = True
        info["seconds"] = None
    else:
        r = peers.run_docpipe(inp, out)
        info.update(seconds=r["wall_s"], returncode=r["returncode"], stdout=r["stdout"].strip(),
                    stderr=r["stderr"].strip()[-1500:])
    info["rows"] = peers.docpipe_rows(out) if (out / "pages").exists() else {}
    info["eval"] = peers.docpipe_eval(out, truth) if (out / "pages").exists() else {"error": "no OUT/pages"}
    return info


# ------------------------------------------------------------------ scoring


def score_items(items: list[dict], texts: dict[str, dict]) -> None:
    for it in items:
        it["tools"] = {}
        for tool, got in texts.items():
            text = got.get((it["stem"], it["page"]))
            it["tools"][tool] = {"cer": cer(text or "", it["truth"]), "wer": wer(text or "", it["truth"]),
                                 "missing": text is None, "text": text}


def mean(xs):
    xs = list(xs)
    return statistics.fmean(xs) if xs else None


def summary(items: list[dict], tools: list[str]) -> dict:
    out = {}
    for tool in tools:
        cs = [it["tools"][tool]["cer"] for it in items]
        ws = [it["tools"][tool]["wer"] for it in items]
        out[tool] = {"pages": len(cs), "cer": mean(cs), "cer_median": statistics.median(cs) if cs else None,
                     "pages_cer_le_2pct": mean(c <= 0.02 for c in cs), "wer": mean(ws),
                     "missing": sum(it["tools"][tool]["missing"] for it in items)}
    return out


def generated_groups(items: list[dict]) -> dict[str, list[dict]]:
    g = {"all pages": items}
    for level in ("light", "medium", "heavy"):
        g[f"level {level}"] = [it for it in items if it["level"] == level]
    g["upright, straight (skew 0)"] = [it for it in items if not it["turn"] and not it["skew"]]
    g["upright, skewed (0.2-1.5°)"] = [it for it in items if not it["turn"] and it["skew"]]
    g["upright, skew >= 1°"] = [it for it in items if not it["turn"] and abs(it["skew"]) >= 1]
    g["turned sideways (90/270)"] = [it for it in items if it["turn"] in (90, 270)]
    g["turned upside down (180)"] = [it for it in items if it["turn"] == 180]
    g["2-column pages"] = [it for it in items if it["layout"].startswith("2-column")]
    g["3-column pages"] = [it for it in items if it["layout"].startswith("3-column")]
    g["pages with ruled tables"] = [it for it in items if it["n_tables"]]
    for fmt in ("pdf", "tiff", "png", "jpeg"):
        g[f"format {fmt}"] = [it for it in items if it["format"] == fmt]
    return {k: v for k, v in g.items() if v}


def real_groups(items: list[dict]) -> dict[str, list[dict]]:
    g = {"all pages": items,
         "without Fraktur": [it for it in items if "fraktur" not in it["flags"]],
         "tesseract phototest + eurotext": [it for it in items if it["stem"].startswith("tesseract__")],
         "docling ocr_test (PDF + WebP)": [it for it in items if it["stem"].startswith("docling__")],
         "DocBank pages": [it for it in items if it["stem"].startswith("docbank__")],
         "OCR-D Fraktur (pages + lines)": [it for it in items if "fraktur" in it["flags"]]}
    return {k: v for k, v in g.items() if v}


def docpipe_facts(items: list[dict], dp: dict) -> dict:
    rows = [dp["rows"].get((it["stem"], it["page"])) for it in items]
    present = [r for r in rows if r]
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    for r in present:
        statuses[r.get("status")] = statuses.get(r.get("status"), 0) + 1
        if r.get("status") != "ok":
            key = f"{r.get('error_kind')}: {(r.get('error') or '')[:120]}"
            errors[key] = errors.get(key, 0) + 1
    for it, r in zip(items, rows):
        it["docpipe_row"] = {k: r.get(k) for k in ("engine", "rotation", "status", "error_kind")} if r else None
    ev = dp.get("eval", {})
    engines: dict[str, int] = {}
    for r in present:
        engines[str(r.get("engine"))] = engines.get(str(r.get("engine")), 0) + 1
    return {"pages": len(items), "rows_found": len(present),
            "engine_ocr_fraction": engines.get("ocr", 0) / len(items) if items else None,
            "engines": engines,
            "statuses": statuses, "errors": errors,
            "eval": {k: ev.get(k) for k in ("pages", "pages_missing", "cer", "wer", "tables", "table_cell_acc",
                                            "table_f1", "error") if k in ev},
            "seconds": dp.get("seconds"), "reused": dp.get("reused", False), "returncode": dp.get("returncode"),
            "stdout": dp.get("stdout"), "stderr": dp.get("stderr")}


def markdown(title: str, items: list[dict], tools: list[str], groups: dict, seconds: dict, facts: dict | None,
             generated: bool, notes: list[str]) -> str:
    s = summary(items, tools)
    out = [f"### {title}", "",
           "| tool | pages | mean CER % | median CER % | pages CER<=2% | mean WER % | table cell acc % | seconds |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for tool in tools:
        r = s[tool]
        cells = "n/a (no table output)"
        if tool == "docpipe" and facts and generated:
            ev = facts["eval"]
            cells = "eval failed" if "error" in ev else f"{pct(ev.get('table_cell_acc'))} ({ev.get('tables')} tables)"
        sec = seconds.get(tool)
        out.append(f"| {LABEL[tool]} | {r['pages']} | {pct(r['cer'])} | {pct(r['cer_median'])} | "
                   f"{pct(r['pages_cer_le_2pct'])} | {pct(r['wer'])} | {cells if generated else 'n/a'} | "
                   f"{'reused' if sec is None else f'{sec:.0f}'} |")
    out += ["", "Mean CER % by kind of page:", "", "| pages | n | " + " | ".join(tools) + " |",
            "|---|---:|" + "---:|" * len(tools)]
    for name, its in groups.items():
        out.append(f"| {name} | {len(its)} | " + " | ".join(pct(mean(it['tools'][t]['cer'] for it in its))
                                                         for t in tools) + " |")
    out += ["", "Per page (CER %):", ""]
    dp_col = " docpipe engine / rotation (status) |" if "docpipe" in tools else ""
    if generated:
        head = "| page | level | skew ° | turn ° | format | layout | " + " | ".join(tools) + " |" + dp_col
    else:
        head = "| page | format | notes | " + " | ".join(tools) + " |" + dp_col
    out += [head, "|" + "---|" * (head.count("|") - 1)]
    for it in items:
        dr = it.get("docpipe_row")
        dps = (f"{dr['engine']} / {dr['rotation']} ({dr['status']}) |" if dr else "missing |") if dp_col else ""
        cers = " | ".join(pct(it["tools"][t]["cer"]) for t in tools)
        if generated:
            out.append(f"| {it['stem']} p{it['page']} | {it['level']} | {it['skew']:+.2f} | {it['turn']} | "
                       f"{it['format']} | {it['layout']} | {cers} | {dps}")
        else:
            flags = "; ".join(REAL_NOTES[f] for f in it["flags"] if f != "line") or ""
            if "line" in it["flags"]:
                flags = "text line; " + flags
            out.append(f"| {it['stem']} | {it['format']} | {flags} | {cers} | {dps}")
    if facts:
        ev = facts["eval"]
        out += ["", f"docpipe: {facts['rows_found']}/{facts['pages']} page rows, engine == \"ocr\" on "
                    f"{pct(facts['engine_ocr_fraction'])}% of the pages; statuses {facts['statuses']}; "
                    f"docpipe eval: CER {pct(ev.get('cer'))}%, WER {pct(ev.get('wer'))}%, tables "
                    f"{ev.get('tables')}, cell acc {pct(ev.get('table_cell_acc'))}%, adjacency F1 "
                    f"{pct(ev.get('table_f1'))}%" + (f", error {ev['error']}" if "error" in ev else "")]
        for e, n in sorted(facts["errors"].items(), key=lambda x: -x[1])[:5]:
            out.append(f"- docpipe error rows ({n}): {e}")
        if facts.get("returncode"):
            out.append(f"- docpipe run exited {facts['returncode']}: {(facts.get('stderr') or '')[-300:]}")
    if notes:
        out += [""] + [f"- {n}" for n in notes]
    return "\n".join(out)


# ------------------------------------------------------------------ main


def evaluate_set(name: str, files: list[Path], items: list[dict], docpipe_in: Path, truth_dir: Path,
                 dp_out: Path, tools: list[str], tmp: Path, workers: int, lang: str,
                 ocrmypdf_extra: list[str]) -> dict:
    texts, seconds, notes, facts = {}, {}, [], None
    if "docpipe" in tools:
        print(f"[{name}] docpipe run ...", file=sys.stderr, flush=True)
        dp = run_docpipe_set(docpipe_in, truth_dir, dp_out)
        texts["docpipe"] = {k: r.get("text") or "" for k, r in dp["rows"].items()}
        seconds["docpipe"] = dp.get("seconds")
    if "ocrmypdf" in tools:
        print(f"[{name}] ocrmypdf on {len(files)} files ...", file=sys.stderr, flush=True)
        texts["ocrmypdf"], errs, seconds["ocrmypdf"], rotations = run_ocrmypdf_set(files, tmp / name, workers, lang,
                                                                                   ocrmypdf_extra)
        notes += [f"OCRmyPDF: {e}" for e in errs]
        for it in items:
            it["ocrmypdf_rotation"] = rotations.get((it["stem"], it["page"]))
        for it in items:
            log = it["ocrmypdf_rotation"] or ""
            if it.get("turn") or "will rotate" in log or "too low" in log:
                turned = f" (turned {it['turn']}°)" if it.get("turn") else ""
                notes.append(f"OCRmyPDF --rotate-pages, {it['stem']} p{it['page']}{turned}: "
                             f"{log or 'no decision logged'}")
    if "tesseract" in tools:
        print(f"[{name}] tesseract on {len(items)} pages ...", file=sys.stderr, flush=True)
        texts["tesseract"], errs, seconds["tesseract"] = run_tesseract_set(files, tmp / name, workers, lang)
        notes += [f"tesseract: {e}" for e in errs]
    score_items(items, texts)
    if "docpipe" in tools:
        facts = docpipe_facts(items, dp)
        ours = mean(it["tools"]["docpipe"]["cer"] for it in items)
        theirs = facts["eval"].get("cer")
        if theirs is not None and ours is not None and abs(theirs - ours) > 1e-6:
            notes.append(f"docpipe eval CER {theirs:.4f} differs from this script's {ours:.4f} "
                         "(eval scores only pages whose truth it finds)")
    return {"items": items, "seconds": seconds, "notes": notes, "docpipe": facts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scans", type=Path, required=True, help="folder made by gen_scans.py")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--no-real", dest="real", action="store_false", help="skip the corpus scans")
    ap.add_argument("--docpipe-out", type=Path, default=None,
                    help="keep docpipe's outputs in DIR/generated and DIR/real (reused when they exist)")
    ap.add_argument("--tools", nargs="*", default=TOOLS, choices=TOOLS)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                    help="peer processes at once (tesseract pages, OCRmyPDF files)")
    ap.add_argument("--lang", default="eng", help="tesseract language for the peers")
    ap.add_argument("--ocrmypdf-args", default="",
                    help="extra OCRmyPDF options, e.g. '--rotate-pages-threshold 2' (default: none)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    if args.ocrmypdf_args:
        LABEL["ocrmypdf"] += " " + args.ocrmypdf_args
    tools = list(args.tools)
    for tool, msg in peers.missing_peers(tools).items():
        print(f"quality_scans: {msg}; {tool} left out", file=sys.stderr)
        tools.remove(tool)
    if not tools:
        sys.exit("quality_scans: no tool to run")
    result = {"versions": peers.versions(), "python": platform.python_version(), "tools": tools,
              "lang": args.lang, "workers": args.workers, "ocrmypdf_args": args.ocrmypdf_args, "sets": {}}
    with tempfile.TemporaryDirectory(prefix="docpipe-qscans-") as tmp_name:
        tmp = Path(tmp_name)
        dp_root = args.docpipe_out or tmp / "docpipe"
        files, items = generated_set(args.scans)
        print(f"generated set: {len(files)} files, {len(items)} pages in {args.scans}", file=sys.stderr)
        sets = [("generated", files, items, args.scans, args.scans, [])]
        if args.real:
            if (args.corpus / "MANIFEST.csv").exists():
                rfiles, ritems, skipped = real_set(args.corpus, tmp / "real_in")
                sets.append(("real", rfiles, ritems, tmp / "real_in" / "input", tmp / "real_in" / "truth",
                             [f"skipped {s}" for s in skipped]))
            else:
                print(f"quality_scans: no corpus at {args.corpus}; real scans left out", file=sys.stderr)
        texts_md = []
        for name, files, items, dp_in, truth_dir, extra in sets:
            r = evaluate_set(name, files, items, dp_in, truth_dir, dp_root / name, tools, tmp, args.workers,
                             args.lang, args.ocrmypdf_args.split())
            r["notes"] += extra
            generated = name == "generated"
            groups = generated_groups(items) if generated else real_groups(items)
            title = (f"Generated scans ({args.scans}, {len(files)} files, {len(items)} pages)" if generated else
                     f"Real scans ({args.corpus / 'scans'}, {len(items)} pages)")
            texts_md.append(markdown(title, items, tools, groups, r["seconds"], r["docpipe"], generated, r["notes"]))
            result["sets"][name] = {
                "summary": summary(items, tools),
                "groups": {g: {"pages": len(its), **{t: mean(it["tools"][t]["cer"] for it in its) for t in tools}}
                           for g, its in groups.items()},
                "seconds": r["seconds"], "docpipe": r["docpipe"], "notes": r["notes"], "pages": items}
    print("\n\n".join(texts_md))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
