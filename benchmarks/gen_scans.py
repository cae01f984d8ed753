"""Generate scanned documents with exact ground truth for docpipe's OCR benchmarks.

    python benchmarks/gen_scans.py OUTDIR [--seed N] [--n N]

The pages come from gen_born_digital.py (run into a temp folder with the same seed; N is
the number of its documents to draw from, default 9: about 20-30 pages). Only upright
pages are kept (/Rotate 0 and no sideways text: the generator's "landscape" and "sideways"
layouts are dropped), so the truth stays the generator's exact reading-order text.
Each kept page is rendered at 300 dpi grayscale with PyMuPDF and "scanned":

  skew      a random angle, per page: a third of the pages lie straight (0°), the
            others are turned by 0.2°-1.5° either way (PIL rotate about the centre,
            bicubic, white fill, canvas kept);
  turn      in the whole set, one page is fed sideways (content turned 90° or 270°
            clockwise) and one upside down (180°);
  level     light / medium / heavy, spread evenly over the pages at random: paper tone
            and ink contrast (heavy adds uneven lighting), slight optical blur, Gaussian
            sensor noise, then one JPEG round trip at decreasing quality (LEVELS below);
            heavy stays legible to a person.

The output formats rotate over the source documents: an image-only PDF (one JPEG per
page via insert_image, page size = the original page size, so the image is 300 dpi), a
multi-page TIFF (deflate, dpi 300), one PNG per page, one JPEG per page (dpi 300; the
JPEG bytes of the round trip are written as they are, also inside the PDF).

Written to OUTDIR, for every output file NAME.ext (pages numbered from 1 in that file):
  NAME.pN.txt      the truth text of page N (the born-digital page's reading order)
  NAME.pN.tK.csv   its ruled tables, as gen_born_digital writes them
  manifest.json    {"seed", "levels", "documents": [{name, file, format, source, pages:
                   [{page, source_page, layout, level, skew, turn, width_px, height_px,
                   n_tables}]}]}. skew is degrees counter-clockwise; turn is degrees
                   clockwise that the content was turned (0, 90, 180, 270).
docpipe eval reads the .txt/.csv files; docpipe run skips them when given OUTDIR.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image, ImageFilter

HERE = Path(__file__).resolve().parent
GENERATOR = HERE / "gen_born_digital.py"
DPI = 300

# paper: background grey level range; ink: darkest level range; light: uneven lighting
# (grey levels lost towards one corner); blur: Gaussian radius in pixels at 300 dpi;
# noise: sigma of the Gaussian sensor noise (grey levels); jpeg: round-trip quality;
# specks: dust spots per page.
LEVELS = {
    "light":  dict(paper=(243, 252), ink=(8, 25), light=0, blur=0.35, noise=3.0, jpeg=88, specks=0),
    "medium": dict(paper=(228, 244), ink=(25, 50), light=8, blur=0.7, noise=8.0, jpeg=55, specks=40),
    "heavy":  dict(paper=(205, 228), ink=(45, 75), light=22, blur=1.15, noise=16.0, jpeg=25, specks=150),
}
FORMATS = ["pdf", "tiff", "png", "jpeg"]
EXT = {"pdf": "pdf", "tiff": "tif", "png": "png", "jpeg": "jpg"}


def born_digital(folder: Path, seed: int, n: int) -> list[dict]:
    """Run the born-digital generator into folder; returns its manifest."""
    subprocess.run([sys.executable, str(GENERATOR), str(folder), "--seed", str(seed), "--n", str(n)],
                   check=True, capture_output=True)
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def upright(page: dict) -> bool:
    return page["rotation"] == 0 and not page["layout"].startswith(("sideways", "landscape"))


def render(pdf: pymupdf.Document, index: int) -> Image.Image:
    pix = pdf[index].get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY, alpha=False)
    return Image.frombytes("L", (pix.width, pix.height), pix.samples)


def scan(img: Image.Image, level: str, skew: float, turn: int, rng: random.Random) -> bytes:
    """Degrade a clean 300 dpi page like a scanner would; returns the JPEG bytes (dpi 300)."""
    p = LEVELS[level]
    if skew:
        img = img.rotate(skew, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    if turn:  # content turned clockwise: PIL's ROTATE_n turns counter-clockwise
        img = img.transpose({90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                             270: Image.Transpose.ROTATE_90}[turn])
    nrng = np.random.default_rng(rng.getrandbits(64))
    a = np.asarray(img, dtype=np.float32) / 255.0
    paper, ink = rng.uniform(*p["paper"]), rng.uniform(*p["ink"])
    a = ink + (paper - ink) * a                      # paper tone and ink contrast
    if p["light"]:                                   # lighting falls off towards one corner
        h, w = a.shape
        gy, gx = np.linspace(0, 1, h, dtype=np.float32)[:, None], np.linspace(0, 1, w, dtype=np.float32)[None, :]
        if rng.random() < 0.5:
            gx = 1 - gx
        if rng.random() < 0.5:
            gy = 1 - gy
        a -= p["light"] * (0.6 * gx + 0.4 * gy)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    img = img.filter(ImageFilter.GaussianBlur(p["blur"]))   # optics
    a = np.asarray(img, dtype=np.float32)
    a += nrng.normal(0.0, p["noise"], a.shape).astype(np.float32)  # sensor noise
    for _ in range(p["specks"]):                     # dust: small dark dots
        y, x = nrng.integers(0, a.shape[0] - 4), nrng.integers(0, a.shape[1] - 4)
        r = int(nrng.integers(1, 4))
        a[y:y + r, x:x + r] = rng.uniform(40, 140)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=p["jpeg"], dpi=(DPI, DPI))
    return buf.getvalue()


def plan_pages(rng: random.Random, n_pages: int) -> tuple[list[str], list[float], list[int]]:
    """Levels, skews and turns for n_pages pages, balanced and deterministic."""
    levels = [list(LEVELS)[i % 3] for i in range(n_pages)]
    rng.shuffle(levels)
    skews = []
    for i in range(n_pages):
        if i % 3 == 0:
            skews.append(0.0)
        else:
            skews.append(round(rng.choice([-1, 1]) * rng.uniform(0.2, 1.5), 2))
    rng.shuffle(skews)
    turns = [0] * n_pages
    if n_pages >= 2:
        a, b = rng.sample(range(n_pages), 2)
        turns[a], turns[b] = rng.choice([90, 270]), 180
    return levels, skews, turns


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--n", type=int, default=9, help="born-digital documents to scan (about 3 pages each)")
    args = ap.parse_args()
    started = time.perf_counter()
    args.outdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"scans-{args.seed}")
    with tempfile.TemporaryDirectory(prefix="gen-scans-") as tmp_name:
        src = Path(tmp_name)
        manifest = born_digital(src, args.seed, args.n)
        # (document index, born-digital doc, its page) of every page we keep
        kept = [(i, d, p) for i, d in enumerate(manifest) for p in d["pages"] if upright(p)]
        levels, skews, turns = plan_pages(rng, len(kept))
        docs: list[dict] = []
        for k, (i, d, p) in enumerate(kept):
            fmt = FORMATS[i % len(FORMATS)]
            kind = d["name"].split("_", 1)[1]
            single = fmt in ("png", "jpeg")
            if single or not docs or docs[-1]["doc_index"] != i:
                n_in_doc = sum(1 for x in docs if x["doc_index"] == i)
                name = f"scan{i + 1:02d}_{kind}_{fmt}" + (f"_{n_in_doc + 1}" if single else "")
                docs.append(dict(doc_index=i, name=name, file=f"{name}.{EXT[fmt]}", format=fmt,
                                 source=d["name"], pages=[], images=[]))
            doc = docs[-1]
            with pymupdf.open(src / f"{d['name']}.pdf") as pdf:
                clean = render(pdf, p["page"] - 1)
            jpeg = scan(clean, levels[k], skews[k], turns[k], rng)
            w, h = clean.size if turns[k] in (0, 180) else clean.size[::-1]
            pno = len(doc["pages"]) + 1
            doc["images"].append((jpeg, p["width"], p["height"], turns[k]))
            doc["pages"].append(dict(page=pno, source_page=p["page"], layout=p["layout"], level=levels[k],
                                     skew=skews[k], turn=turns[k], width_px=w, height_px=h,
                                     n_tables=p["n_tables"]))
            shutil.copyfile(src / f"{d['name']}.p{p['page']}.txt", args.outdir / f"{doc['name']}.p{pno}.txt")
            for t in range(1, p["n_tables"] + 1):
                shutil.copyfile(src / f"{d['name']}.p{p['page']}.t{t}.csv",
                                args.outdir / f"{doc['name']}.p{pno}.t{t}.csv")
        for doc in docs:
            write(doc, args.outdir / doc["file"])
            doc.pop("images")
            doc.pop("doc_index")
    out = {"seed": args.seed, "n": args.n, "dpi": DPI, "levels": LEVELS, "documents": docs}
    (args.outdir / "manifest.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    n_pages = sum(len(d["pages"]) for d in docs)
    print(f"wrote {len(docs)} files, {n_pages} scanned pages to {args.outdir} "
          f"in {time.perf_counter() - started:.1f} s")


def write(doc: dict, path: Path) -> None:
    """Write the scanned pages of doc in its format."""
    fmt, images = doc["format"], doc["images"]
    if fmt == "jpeg":
        path.write_bytes(images[0][0])
    elif fmt == "pdf":
        pdf = pymupdf.open()
        pdf.set_metadata({"title": doc["name"], "creator": "docpipe benchmarks/gen_scans.py",
                          "creationDate": "D:20240301120000Z", "modDate": "D:20240301120000Z"})
        for jpeg, w, h, turn in images:
            if turn in (90, 270):
                w, h = h, w
            page = pdf.new_page(width=w, height=h)
            page.insert_image(page.rect, stream=jpeg)
        pdf.save(path, garbage=3, deflate=True, no_new_id=True)
        pdf.close()
    else:
        frames = [Image.open(io.BytesIO(jpeg)) for jpeg, *_ in images]
        if fmt == "png":
            frames[0].save(path, "PNG", dpi=(DPI, DPI))
        else:
            frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate",
                           dpi=(DPI, DPI))


if __name__ == "__main__":
    main()
