"""Generate plain office-style scans with exact ground truth: an independent OCR test set.

    python benchmarks/gen_scans_plain.py OUTDIR --seed N [--pages N]

gen_scans.py scans gen_born_digital's pages (three columns, figures, letters the `eng`
model lacks) and was used while docpipe's OCR was developed. This set is drawn apart from
all of that and shaped like issue 3's acceptance pages: English prose (plain_content.py:
Python's language reference from pydoc_data) drawn straight onto a 300 dpi Pillow canvas,
letter or A4, in Times or Helvetica (PyMuPDF's own font files, so nothing to install),
9-12 pt, ragged or justified; mostly two-column pages, some one-column; ruled tables
(full grid, bold header row, 3-6 columns, 4-12 rows, sometimes a row or column span) on
about a third of the pages; a running header and a page number.

Each page is then scanned: skew 0 on a third of the pages and 0.2-1.5 degrees either way
on the rest; one page fed sideways (90 or 270) and one upside down (180); one of three
levels (LEVELS: paper tone, ink contrast, paper texture, blur, sensor noise, one JPEG round
trip). Formats rotate over the documents: image-only PDF (insert_image, page size at
300 dpi), multi-page TIFF, PNG, JPEG.

Output, as gen_scans.py writes it (quality_scans.py --scans and docpipe eval read it):
  NAME.pN.txt      the truth of page N in reading order: header, title, the whole left
                   column then the right one, a table row by row with its cells joined by
                   spaces where it stands, page number last; one drawn line per line.
  NAME.pN.tK.csv   table K of page N; a spanned cell's text sits in its top-left cell.
  manifest.json    {"seed", "dpi", "levels", "documents": [{name, file, format, source,
                   font, paper, pages: [{page, source_page, layout, level, skew, turn,
                   width_px, height_px, n_tables}]}]}; skew in degrees counter-clockwise,
                   turn in degrees clockwise that the content was turned.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plain_content  # noqa: E402

DPI = 300
PT = DPI / 72
PAPER = {"letter": (2550, 3300), "a4": (2480, 3508)}
FONTS = {"serif": ("tiro", "tibo"), "sans": ("helv", "hebo")}  # PyMuPDF's base-14 fonts: regular, bold
# tone: paper grey; ink: darkest grey; texture: sigma of blotchy paper grain; blur: Gaussian
# radius in px; noise: sigma of per-pixel noise; jpeg: quality of the one round trip.
LEVELS = {
    "light":  dict(tone=(240, 252), ink=(5, 30), texture=0.0, blur=0.3, noise=2.0, jpeg=90),
    "medium": dict(tone=(225, 242), ink=(25, 55), texture=3.0, blur=0.6, noise=6.0, jpeg=60),
    "heavy":  dict(tone=(205, 228), ink=(45, 80), texture=6.0, blur=0.95, noise=11.0, jpeg=32),
}
FORMATS = ["pdf", "tiff", "png", "jpeg"]
EXT = {"pdf": "pdf", "tiff": "tif", "png": "png", "jpeg": "jpg"}


@functools.lru_cache(maxsize=None)
def font(name: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(pymupdf.Font(name).buffer), px)


def wrap(text: str, f: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy wrap, no hyphenation (the truth never holds half a word)."""
    lines, cur = [], ""
    for word in text.split():
        trial = f"{cur} {word}" if cur else word
        if cur and f.getlength(trial) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    return lines + [cur] if cur else lines


class Sheet:
    """One page being drawn: the image and its truth lines in reading order."""

    def __init__(self, size: tuple[int, int], style: dict) -> None:
        self.img = Image.new("L", size, 255)
        self.draw = ImageDraw.Draw(self.img)
        self.style = style
        self.truth: list[str] = []
        self.tables: list[list[list[str]]] = []

    def line(self, x: float, y: float, text: str, f, width: float = 0, justify: bool = False) -> None:
        """Draw text with its baseline at y; justify spreads the spare width over the word gaps."""
        words = text.split()
        if justify and len(words) > 1:
            gap = (width - sum(f.getlength(w) for w in words)) / (len(words) - 1)
            for w in words:
                self.draw.text((x, y), w, font=f, fill=0, anchor="ls")
                x += f.getlength(w) + gap
        else:
            self.draw.text((x, y), text, font=f, fill=0, anchor="ls")

    def flow(self, stream: list, x0: float, x1: float, top: float, bottom: float, ncols: int) -> None:
        """Fill ncols columns between top and bottom from the block stream, column after column."""
        st = self.style
        gutter = st["gutter"]
        cw = (x1 - x0 - gutter * (ncols - 1)) / ncols
        body, bold = font(st["regular"], st["px"]), font(st["bold"], round(st["px"] * 1.15))
        lead = st["px"] * st["lead"]
        for c in range(ncols):
            x, y = x0 + c * (cw + gutter), top + lead * 0.8
            while stream:
                b = stream[0]
                if b.kind == "heading":
                    if y + 4 * lead > bottom:  # no heading alone at a column's foot
                        break
                    y += lead * 0.4 if y > top + lead else 0
                    self.line(x, y, b.text, bold)
                    self.truth.append(b.text)
                    y += lead * 1.3
                    stream.pop(0)
                    continue
                marker, text = "", b.text
                if b.kind == "item":
                    marker, text = text.split(" ", 1)
                indent = st["px"] * 1.6 if b.kind in ("item", "itemcont") else 0
                lines = wrap(text, body, cw - indent)
                room = int((bottom - y) // lead) + 1
                if room <= 0:
                    break
                for i, ln in enumerate(lines[:room]):
                    if i == 0 and marker:
                        self.line(x, y, marker, body)
                    last = i == len(lines) - 1
                    self.line(x + indent, y, ln, body, cw - indent, st["justify"] and not last)
                    self.truth.append(f"{marker} {ln}" if i == 0 and marker else ln)
                    y += lead
                if room < len(lines):  # the rest goes on in the next column
                    rest = " ".join(lines[room:])
                    stream[0] = plain_content.Block("itemcont" if indent else "cont", rest)
                    break
                stream.pop(0)
                y += lead * st["para_gap"]

    def table(self, spec: dict, x0: float, y0: float, width: float, measure: bool = False) -> float:
        """Draw a ruled table (every cell boxed) from y0; returns its height."""
        grid, hr = spec["grid"], spec["header_rows"]
        px = round(self.style["px"] * 0.92)
        reg, bold = font(self.style["regular"], px), font(self.style["bold"], px)
        pad, row_h = px * 0.5, px * 1.75
        n_cols = len(grid[0])
        covered = {(r + i, c + j) for r, c, rs, cs in spec["spans"] for i in range(rs) for j in range(cs)} - \
            {(r, c) for r, c, *_ in spec["spans"]}
        span_of = {(r, c): (rs, cs) for r, c, rs, cs in spec["spans"]}
        nat = [0.0] * n_cols
        for r, row in enumerate(grid):
            for c, text in enumerate(row):
                if span_of.get((r, c), (1, 1))[1] == 1:
                    nat[c] = max(nat[c], (bold if r < hr else reg).getlength(text) + 2 * pad)
        total = sum(nat)
        target = min(width, max(total, width * spec.get("fill", 1.0)))
        widths = [w + (target - total) / n_cols for w in nat]
        xs = [x0 + (width - target) / 2]
        for w in widths:
            xs.append(xs[-1] + w)
        height = row_h * len(grid)
        if measure:
            return height if total <= width else -1.0
        lw = max(2, round(PT * 0.6))
        for r, row in enumerate(grid):
            for c, text in enumerate(row):
                if (r, c) in covered:
                    continue
                rs, cs = span_of.get((r, c), (1, 1))
                left, right, top = xs[c], xs[c + cs], y0 + r * row_h
                bot = top + rs * row_h
                self.draw.rectangle([left, top, right, bot], outline=0, width=lw)
                f = bold if r < hr else reg
                base = (top + bot) / 2 + px * 0.35
                if spec["align"][c] == "r" and r >= hr:
                    self.draw.text((right - pad, base), text, font=f, fill=0, anchor="rs")
                elif r < hr and cs > 1:
                    self.draw.text(((left + right) / 2, base), text, font=f, fill=0, anchor="ms")
                else:
                    self.draw.text((left + pad, base), text, font=f, fill=0, anchor="ls")
        self.truth += [" ".join(t for t in row if t) for row in grid if any(row)]
        self.tables.append(grid)
        return height


def compose(rng: random.Random, stream: list, doc: dict, pno: int, ncols: int, with_table: bool) -> Sheet:
    """Lay out one page: header, title (first page), text columns, maybe a table, page number."""
    st = doc["style"]
    w, h = PAPER[doc["paper"]]
    sheet = Sheet((w, h), st)
    mx, my = round(DPI * rng.uniform(0.75, 1.0)), round(DPI * rng.uniform(0.75, 0.95))
    small = font(st["regular"], round(8.5 * PT))
    if doc["header"] and pno > 1:
        sheet.line(mx, my - 0.25 * DPI, doc["title"], small)
        sheet.truth.append(doc["title"])
    top, bottom = my, h - my
    if pno == 1:
        big = font(st["bold"], round(rng.uniform(15, 18) * PT))
        sheet.line(mx, top + 18 * PT, doc["title"], big)
        sheet.truth.append(doc["title"])
        top += 34 * PT
    spec = plain_content.table(rng) if with_table else None
    if spec:
        spec["fill"] = rng.choice([0.0, 0.6, 1.0])
        while sheet.table(spec, mx, 0, w - 2 * mx, measure=True) < 0:  # too wide: fewer columns
            spec["grid"] = [row[:-1] for row in spec["grid"]]
            spec["spans"] = [s for s in spec["spans"] if s[1] + s[3] <= len(spec["grid"][0])]
        th = sheet.table(spec, mx, 0, w - 2 * mx, measure=True)
        where = rng.choice(["top", "bottom"] if ncols == 2 else ["middle"])
        gap = 0.25 * DPI
        if where == "top":
            sheet.table(spec, mx, top + gap / 2, w - 2 * mx)
            sheet.flow(stream, mx, w - mx, top + th + gap, bottom, ncols)
        elif where == "bottom":
            sheet.flow(stream, mx, w - mx, top, bottom - th - gap, ncols)
            sheet.table(spec, mx, bottom - th, w - 2 * mx)
        else:
            split = top + rng.uniform(0.25, 0.5) * (bottom - top - th)
            sheet.flow(stream, mx, w - mx, top, split, 1)
            sheet.table(spec, mx, split + gap / 2, w - 2 * mx)
            sheet.flow(stream, mx, w - mx, split + th + gap, bottom, 1)
    else:
        sheet.flow(stream, mx, w - mx, top, bottom, ncols)
    if doc["folio"]:
        label = f"Page {pno}" if doc["folio"] == "word" else str(pno)
        sheet.draw.text((w / 2, h - my + 0.45 * DPI), label, font=small, fill=0, anchor="ms")
        sheet.truth.append(label)
    return sheet


def scan(img: Image.Image, level: str, skew: float, turn: int, rng: random.Random) -> bytes:
    """Skew, turn and degrade a clean page; returns the JPEG bytes of the round trip (300 dpi)."""
    p = LEVELS[level]
    if skew:
        img = img.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if turn:  # turned clockwise by `turn`; PIL's ROTATE_n is counter-clockwise
        img = img.transpose({90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                             270: Image.Transpose.ROTATE_90}[turn])
    nrng = np.random.default_rng(rng.getrandbits(63))
    tone, ink = rng.uniform(*p["tone"]), rng.uniform(*p["ink"])
    a = ink + (tone - ink) * (np.asarray(img, dtype=np.float32) / 255.0)
    if p["texture"]:  # blotchy paper grain: coarse noise, upsampled smoothly
        h, w = a.shape
        coarse = nrng.normal(0, p["texture"], (h // 24 + 1, w // 24 + 1)).astype(np.float32)
        grain = Image.fromarray(coarse, mode="F").resize((w, h), Image.Resampling.BICUBIC)
        a += np.asarray(grain, dtype=np.float32) * (a > (ink + tone) / 2)  # on the paper, not the ink
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(p["blur"]))
    a = np.asarray(img, dtype=np.float32) + nrng.normal(0, p["noise"], (img.height, img.width)).astype(np.float32)
    buf = io.BytesIO()
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=p["jpeg"], dpi=(DPI, DPI))
    return buf.getvalue()


def plan(rng: random.Random, n: int) -> list[dict]:
    """Per page: level, skew, turn, columns and table, balanced over the set and shuffled."""
    levels = [list(LEVELS)[i % 3] for i in range(n)]
    skews = [0.0 if i % 3 == 0 else round(rng.choice([-1, 1]) * rng.uniform(0.2, 1.5), 2) for i in range(n)]
    cols = [1 if i % 3 == 0 else 2 for i in range(n)]          # two-column pages are most pages
    tables = [i % 3 == 1 or i % 6 == 0 for i in range(n)]      # about a third to a half of the pages
    for xs in (levels, skews, cols, tables):
        rng.shuffle(xs)
    turns = [0] * n
    if n >= 2:
        a, b = rng.sample(range(n), 2)
        turns[a], turns[b] = rng.choice([90, 270]), 180
    return [dict(level=lv, skew=sk, turn=tu, ncols=nc, table=tb)
            for lv, sk, tu, nc, tb in zip(levels, skews, turns, cols, tables)]


def documents(rng: random.Random, n_pages: int, titles: list[str]) -> list[dict]:
    """Split n_pages into files: formats in turn, PDF and TIFF files of 2-4 pages, images of one."""
    docs, left = [], n_pages
    while left:
        fmt = FORMATS[len(docs) % len(FORMATS)]
        k = min(left, rng.randint(2, 4) if fmt in ("pdf", "tiff") else 1)
        family = rng.choice(list(FONTS))
        style = dict(regular=FONTS[family][0], bold=FONTS[family][1], px=round(rng.uniform(9, 12) * PT),
                     lead=rng.uniform(1.18, 1.35), gutter=round(rng.uniform(0.25, 0.4) * DPI),
                     justify=rng.random() < 0.5, para_gap=rng.choice([0.0, 0.5, 0.8]))
        name = f"plain{len(docs) + 1:02d}_{fmt}"
        docs.append(dict(name=name, file=f"{name}.{EXT[fmt]}", format=fmt, source="gen_scans_plain",
                         n=k, paper=rng.choice(list(PAPER)), font=family, style=style,
                         title=titles[len(docs) % len(titles)], header=rng.random() < 0.7,
                         folio=rng.choice(["word", "number", ""])))
        left -= k
    return docs


def write(doc: dict, images: list[bytes], path: Path) -> None:
    if doc["format"] == "jpeg":
        path.write_bytes(images[0])
    elif doc["format"] == "pdf":
        pdf = pymupdf.open()
        pdf.set_metadata({"title": doc["name"], "creator": "docpipe benchmarks/gen_scans_plain.py",
                          "creationDate": "D:20240301120000Z", "modDate": "D:20240301120000Z"})
        for jpeg, p in zip(images, doc["pages"]):
            page = pdf.new_page(width=p["width_px"] * 72 / DPI, height=p["height_px"] * 72 / DPI)
            page.insert_image(page.rect, stream=jpeg)
        pdf.save(path, garbage=3, deflate=True, no_new_id=True)
        pdf.close()
    else:
        frames = [Image.open(io.BytesIO(j)) for j in images]
        if doc["format"] == "png":
            frames[0].save(path, "PNG", dpi=(DPI, DPI))
        else:
            frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate",
                           dpi=(DPI, DPI))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--seed", type=int, default=101)
    ap.add_argument("--pages", type=int, default=28)
    args = ap.parse_args()
    started = time.perf_counter()
    args.outdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"plain-scans-{args.seed}")
    stream = plain_content.prose(rng)
    titles = [b.text for b in stream if b.kind == "heading" and len(b.text) > 12]
    rng.shuffle(titles)
    pages = plan(rng, args.pages)
    k = 0
    docs = documents(rng, args.pages, titles)
    for doc in docs:
        images = []
        doc["pages"] = []
        for pno in range(1, doc.pop("n") + 1):
            pp = pages[k]
            k += 1
            sheet = compose(rng, stream, doc, pno, pp["ncols"], pp["table"])
            images.append(scan(sheet.img, pp["level"], pp["skew"], pp["turn"], rng))
            w, h = sheet.img.size if pp["turn"] in (0, 180) else sheet.img.size[::-1]
            layout = f"{pp['ncols']}-column" + ("+table" if sheet.tables else "")
            doc["pages"].append(dict(page=pno, source_page=pno, layout=layout, level=pp["level"], skew=pp["skew"],
                                     turn=pp["turn"], width_px=w, height_px=h, n_tables=len(sheet.tables)))
            stem = args.outdir / f"{doc['name']}.p{pno}"
            Path(f"{stem}.txt").write_text("\n".join(sheet.truth) + "\n", encoding="utf-8")
            for t, grid in enumerate(sheet.tables, start=1):
                with open(f"{stem}.t{t}.csv", "w", newline="", encoding="utf-8") as fh:
                    csv.writer(fh).writerows(grid)
        write(doc, images, args.outdir / doc["file"])
        for key in ("style", "title", "header", "folio"):
            doc.pop(key)
    out = {"seed": args.seed, "pages": args.pages, "dpi": DPI, "levels": LEVELS, "documents": docs}
    (args.outdir / "manifest.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(f"wrote {len(docs)} files, {args.pages} scanned pages to {args.outdir} "
          f"in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
