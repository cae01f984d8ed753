"""Generate born-digital PDFs with exact ground truth for docpipe quality checks.

    python benchmarks/gen_born_digital.py OUTDIR [--seed N] [--n N]

Everything is drawn with PyMuPDF, so the truth is known exactly. The documents are
made to be hard: multi-column reports whose content stream is NOT in reading order,
ruled tables with spans and multi-line cells, pages with /Rotate 90 and 270, sideways
text, accented Latin (Latin-1 and Latin Extended-A), mixed font sizes.

Written beside each NAME.pdf (pages numbered from 1):
  NAME.pN.txt      page N in reading order: header, title, column 1 top to bottom,
                   column 2, ..., footer; a table row by row, its cells joined by spaces.
  NAME.pN.tK.csv   table K of page N; a spanned cell's text sits in its top-left cell,
                   the cells it covers are empty.
  NAME.lines.json  {"N": [{"text", "bbox"}, ...]}: one box per written line as
                   [x0, y0, x1, y1] fractions of the page as displayed (after /Rotate),
                   origin top left; vertically baseline-ascender*size..baseline-descender*size.
  manifest.json    per document and page: size as displayed, /Rotate, layout, write order.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

FONT_NAMES = {"r": "helv", "b": "hebo", "i": "heit", "sr": "tiro", "sb": "tibo", "si": "tiit"}
# The base-14 names through pymupdf.Font embed MuPDF's Nimbus fonts as Type0/Identity-H,
# which cover Latin Extended-A (ł, ř, ő ...); page.insert_text("helv") would be WinAnsi only.
FONTS = {k: pymupdf.Font(v) for k, v in FONT_NAMES.items()}

# Content lives beside this script; the layout and the truth are made here.
from born_digital_text import FOOTNOTES, FOREIGN, FOREIGN_HEADINGS, TOPICS  # noqa: E402
from born_digital_tables import (  # noqa: E402
    TABLE_MAKERS, TableSpec, financial_table, ledger_table, regions_table, schedule_table,
)


# ------------------------------------------------------------------ page model


@dataclass
class Run:
    """One written text line; x and y (the baseline) are in its view's logical coordinates."""

    text: str
    x: float
    y: float
    font: str
    size: float
    group: str          # header | footer | title | body | caption | table ...
    key: tuple = ()     # (section, column, block) used by the write-order strategies
    view: str = "up"


@dataclass
class Page:
    width: float         # as displayed
    height: float
    rotation: int = 0
    views: dict = field(default_factory=dict)   # name -> (logical w, logical h, Matrix logical->display)
    runs: list = field(default_factory=list)    # reading order
    units: list = field(default_factory=list)   # reading-order text for NAME.pN.txt
    tables: list = field(default_factory=list)  # grids for NAME.pN.tK.csv
    rules: list = field(default_factory=list)   # (view, x0, y0, x1, y1, width)
    boxes: list = field(default_factory=list)   # (view, Rect) filled figure placeholders
    layout: str = ""

    def __post_init__(self) -> None:
        self.views.setdefault("up", (self.width, self.height, pymupdf.Matrix(1, 0, 0, 1, 0, 0)))

    def add_view(self, name: str) -> tuple[float, float]:
        """A logical canvas turned sideways on the display: ccw reads bottom-to-top, cw top-to-bottom."""
        w, h = self.height, self.width
        m = pymupdf.Matrix(0, -1, 1, 0, 0, w) if name == "ccw" else pymupdf.Matrix(0, 1, -1, 0, h, 0)
        self.views[name] = (w, h, m)
        return w, h

    def text(self, x, y, text, font, size, group, key=(), view="up", unit=True) -> Run:
        run = Run(text, x, y, font, size, group, key, view)
        self.runs.append(run)
        if unit:
            self.units.append(text)
        return run


@functools.lru_cache(maxsize=None)
def _advance(font: str, ch: str) -> float:
    return FONTS[font].glyph_advance(ord(ch))


def tlen(text: str, font: str, size: float) -> float:
    """Same as Font.text_length (no kerning is applied), but cached per glyph: 20x faster."""
    return size * sum(_advance(font, ch) for ch in text)


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; no hyphenation, so the truth never has a split word."""
    lines, cur = [], ""
    for word in text.split():
        trial = f"{cur} {word}" if cur else word
        if cur and tlen(trial, font, size) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    return lines + [cur] if cur else lines


# ------------------------------------------------------------------ content


class Prose:
    """Paragraphs for one document.

    Sentences come from a per-page deck (the topic's own first, then the other topics'),
    so no sentence repeats on a page: a repeated sentence would let a wrong reading order
    score as right.
    """

    def __init__(self, rng: random.Random, topic: str, foreign: bool = False) -> None:
        self.rng, self.topic, self.foreign = rng, topic, foreign
        self.heading_no = 0
        self.lang = None
        self.new_page()

    def new_page(self) -> None:
        own = list(TOPICS[self.topic]["sentences"])
        other = [x for k, t in TOPICS.items() if k != self.topic for x in t["sentences"]]
        self.rng.shuffle(own)
        self.rng.shuffle(other)
        self.deck = other + own  # pop() takes from the end: own sentences first
        self.foreign_decks = {k: self.rng.sample(v, len(v)) for k, v in FOREIGN.items()}

    def paragraph(self) -> str:
        n = min(self.rng.choice([1, 2, 3, 3, 4, 5]), len(self.deck))
        return " ".join(self.deck.pop() for _ in range(n)) or "End of section."

    def heading(self) -> str:
        self.heading_no += 1
        self.lang = None
        if self.foreign and self.rng.random() < 0.6:
            self.lang = list(FOREIGN)[self.rng.randrange(len(FOREIGN))]
            return f"{self.heading_no} {FOREIGN_HEADINGS[self.lang]}"
        names = TOPICS[self.topic]["headings"]
        return f"{self.heading_no} {names[(self.heading_no - 1) % len(names)]}"

    def blocks(self):
        """Endless (kind, text) stream: a heading, then 1-3 paragraphs or lists (foreign under a foreign heading)."""
        while True:
            yield "h", self.heading()
            for _ in range(self.rng.randint(1, 3)):
                deck = self.foreign_decks.get(self.lang, [])
                if not self.lang and len(self.deck) > 3 and self.rng.random() < 0.15:
                    yield "l", self.paragraph()  # a bulleted list, one sentence per item
                    continue
                if len(deck) >= 2:
                    yield "p", " ".join(deck.pop() for _ in range(self.rng.randint(2, min(3, len(deck)))))
                else:
                    yield "p", self.paragraph()



# ------------------------------------------------------------------ drawing into the page model


def draw_table(page: Page, spec: TableSpec, x0: float, y0: float, width: float, size: float,
               style: str, view: str = "up", key=()) -> float:
    """Lay out and record a ruled table; returns the y below it. style: grid | open (no outer frame)."""
    pad, lead = 3.0, size * 1.22
    font_of = lambda r: "b" if r < spec.header_rows else "r"  # noqa: E731
    widths = [0.0] * spec.n_cols
    for r, c, rs, cs, text in spec.cells:
        if cs == 1:
            natural = tlen(text, font_of(r), size) + 2 * pad
            widths[c] = max(widths[c], min(natural, 120) if c in spec.wrap_cols else natural)
    extra = width - sum(widths)
    if extra > 0:  # spread spare width evenly, as a word processor's "fit to width" would
        widths = [w + extra / spec.n_cols for w in widths]
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    # wrap each cell at its width; row heights follow the tallest single-row cell
    wrapped = {}
    heights = [0.0] * spec.n_rows
    for r, c, rs, cs, text in spec.cells:
        lines = wrap(text, font_of(r), size, xs[c + cs] - xs[c] - 2 * pad) if text else []
        wrapped[(r, c)] = lines
        if rs == 1:
            heights[r] = max(heights[r], max(1, len(lines)) * lead + 2 * pad)
    for r, c, rs, cs, text in spec.cells:
        need = max(1, len(wrapped[(r, c)])) * lead + 2 * pad
        have = sum(heights[r:r + rs])
        if need > have:
            heights[r + rs - 1] += need - have
    ys = [y0]
    for h in heights:
        ys.append(ys[-1] + h)
    grid = [[""] * spec.n_cols for _ in range(spec.n_rows)]
    row_text = [[] for _ in range(spec.n_rows)]
    segs = set()
    for r, c, rs, cs, text in sorted(spec.cells):
        grid[r][c] = text
        if text:
            row_text[r].append(text)
        left, right, top, bottom = xs[c], xs[c + cs], ys[r], ys[r + rs]
        lines = wrapped[(r, c)]
        block_h = len(lines) * lead
        # header cells are centred vertically (spanned headers look like that), body cells sit on top
        ty = top + (bottom - top - block_h) / 2 if r < spec.header_rows else top + pad
        for i, line in enumerate(lines):
            f = font_of(r)
            lx = right - pad - tlen(line, f, size) if spec.align[c] == "r" and r >= spec.header_rows else left + pad
            page.text(lx, ty + i * lead + size * 0.95, line, f, size, "table", key + (r, c), view, unit=False)
        for seg in ((left, top, right, top), (left, bottom, right, bottom), (left, top, left, bottom),
                    (right, top, right, bottom)):
            segs.add(tuple(round(v, 2) for v in seg))
    x_end, y_end = xs[-1], ys[-1]
    for sx0, sy0, sx1, sy1 in sorted(segs):
        outer = (sy0 == sy1 and sy0 in (round(y0, 2), round(y_end, 2))) or \
                (sx0 == sx1 and sx0 in (round(x0, 2), round(x_end, 2)))
        if style == "open" and outer:
            continue
        thick = 1.0 if sy0 == sy1 == round(ys[spec.header_rows], 2) else 0.5
        page.rules.append((view, sx0, sy0, sx1, sy1, thick))
    page.units += [" ".join(t) for t in row_text if t]
    page.tables.append(grid)
    return y_end


def paragraph_lines(page: Page, x: float, y: float, width: float, text: str, font: str, size: float,
                    group: str, key=(), view: str = "up", lead: float = 1.28) -> float:
    for line in wrap(text, font, size, width):
        page.text(x, y + size, line, font, size, group, key, view)
        y += size * lead
    return y


def flow_columns(page: Page, prose, ncols: int, x0: float, x1: float, y0: float, y1: float,
                 size: float, section: int, rng: random.Random, serif: bool, view: str = "up") -> None:
    """Fill ncols columns between y0 and y1 with headings and paragraphs, column after column.

    Text runs on from the foot of one column to the top of the next, as in a journal;
    what does not fit in the last column is simply not written.
    """
    gutter = rng.uniform(10, 22)
    cw = (x1 - x0 - gutter * (ncols - 1)) / ncols
    body, bold = ("sr", "sb") if serif else ("r", "b")
    indent = 12 if rng.random() < 0.4 else 0  # first-line indent instead of paragraph spacing
    lead = size * rng.uniform(1.2, 1.32)
    hsize = size + rng.choice([1, 1.5, 2])
    pending: list = []  # (line, font, size, step, dx) of the block being placed
    block = 0
    for col in range(ncols):
        x, y = x0 + col * (cw + gutter), y0
        while True:
            if not pending:
                kind, text = next(prose)
                block += 1
                if kind == "h":
                    pending = [(line, bold, hsize, hsize * 1.3, 0) for line in wrap(text, bold, hsize, cw)]
                    gap = size * 0.9
                elif kind == "l":  # bullets with a hanging indent; each item is a sentence
                    pending = []
                    for item in re.split(r"(?<=\.) (?=[A-Z])", text):
                        lines = wrap(item, body, size, cw - 12)
                        pending += [("\u2022 " + ln if i == 0 else ln, body, size, lead, 4 if i == 0 else 12)
                                    for i, ln in enumerate(lines)]
                    gap = size * 0.5
                else:
                    first = wrap(text, body, size, cw - indent)[:1]
                    rest = wrap(text[len(first[0]):], body, size, cw) if first else []
                    pending = [(line, body, size, lead, indent if i == 0 else 0) for i, line in enumerate(first + rest)]
                    gap = 0 if indent else size * 0.5
                if y > y0:
                    y += gap
                if kind == "h" and y + hsize * 1.3 + 3 * lead > y1:
                    break  # keep a heading with its paragraph: move it to the next column
            line, font, fs, step, dx = pending[0]
            if y + step > y1:
                break
            pending.pop(0)
            page.text(x + dx, y + fs, line, font, fs, "body", (section, col, block), view)
            y += step


def header(page: Page, doc: dict, pno: int, n_pages: int, view: str = "up") -> float:
    """Running header and its rule; returns the body top. Page number outside: right on odd, left on even pages."""
    w = page.views[view][0]
    ml, mr = doc["margins"]
    hs, y = doc["hf_size"], doc["top"] - 22
    label = f"Page {pno} of {n_pages}" if doc["pagelabel"] else f"{pno}"
    left, right = (doc["running"], label) if pno % 2 else (label, doc["running"])
    page.text(ml, y, left, "r", hs, "header", (), view)
    page.text(w - mr - tlen(right, "r", hs), y, right, "r", hs, "header", (), view)
    page.rules.append((view, ml, y + 5, w - mr, y + 5, 0.4))
    return doc["top"]


def footer(page: Page, doc: dict, view: str = "up") -> None:
    """Written last into the truth (reading order), whatever the content stream says."""
    h = page.views[view][1]
    page.text(doc["margins"][0], h - doc["bottom"] + 28, doc["footer"], "i", doc["hf_size"] - 0.5, "footer", (), view)


def body_bottom(page: Page, doc: dict, view: str = "up") -> float:
    return page.views[view][1] - doc["bottom"]


def figure(page: Page, x0: float, x1: float, y: float, height: float, caption: str, size: float,
           view: str = "up") -> float:
    page.boxes.append((view, pymupdf.Rect(x0, y, x1, y + height)))
    return paragraph_lines(page, x0, y + height + 4, x1 - x0, caption, "i", size - 1, "caption", (), view)


# ------------------------------------------------------------------ page kinds


def report_page(rng, doc, pno, n_pages, prose, counters, ncols: int) -> Page:
    w, h = doc["size"]
    page = Page(w, h, layout=f"{ncols}-column")
    ml, mr = doc["margins"]
    y, bottom = header(page, doc, pno, n_pages), body_bottom(page, doc)
    size, serif = doc["body_size"], doc["serif"]
    if pno == 1:
        ts = rng.choice([18, 20, 22, 24])
        y = paragraph_lines(page, ml, y, w - ml - mr, doc["title"], "sb" if serif else "b", ts, "title", lead=1.18)
        y = paragraph_lines(page, ml, y + 4, w - ml - mr, doc["byline"], "i", size, "title")
        y = paragraph_lines(page, ml, y + size, w - ml - mr, "Abstract", "b", size + 1, "abstract")
        y = paragraph_lines(page, ml, y, w - ml - mr, prose.paragraph() + " " + prose.paragraph(),
                            "sr" if serif else "r", size, "abstract")
        y += size * 1.5
    note = rng.choice(FOOTNOTES) if rng.random() < 0.3 else ""
    if note:
        bottom -= 30  # room for a full-width footnote under the columns
    blocks = prose.blocks()
    if rng.random() < 0.6 and bottom - y > 420:  # a full-width float between two column sections
        split = y + (bottom - y) * rng.uniform(0.25, 0.35)
        flow_columns(page, blocks, ncols, ml, w - mr, y, split, size, 0, rng, serif)
        y = split + size
        if rng.random() < 0.5:
            counters["fig"] += 1
            what = rng.choice(["Monthly volumes", "Share of demand", "Distribution of outcomes", "Trend since 2019"])
            by = rng.choice(["region", "quarter", "site", "service"])
            caption = f"Figure {counters['fig']}. {what} by {by}; the shaded band shows the 2022 range."
            y = figure(page, ml, w - mr, y, rng.uniform(110, 170), caption, size)
            page.layout += "+figure"
        else:
            counters["tab"] += 1
            spec = rng.choice([financial_table, regions_table, schedule_table])(rng)
            y = paragraph_lines(page, ml, y, w - ml - mr, spec.caption.format(n=counters["tab"]), "b", size - 1,
                                "caption", (1,))
            y = draw_table(page, spec, ml, y + 3, w - ml - mr, size - 1.5, rng.choice(["grid", "grid", "open"]),
                           key=(1,))
            page.layout += "+table"
        y += size * 1.5
        flow_columns(page, blocks, ncols, ml, w - mr, y, bottom, size, 2, rng, serif)
    else:
        flow_columns(page, blocks, ncols, ml, w - mr, y, bottom, size, 0, rng, serif)
    if note:
        page.rules.append(("up", ml, bottom + 6, ml + 110, bottom + 6, 0.4))
        paragraph_lines(page, ml, bottom + 9, w - ml - mr, note, "r", 7.5, "footnote", (8,))
    footer(page, doc)
    return page


def tables_page(rng, doc, pno, n_pages, prose, counters) -> Page:
    w, h = doc["size"]
    page = Page(w, h, layout="tables")
    ml, mr = doc["margins"]
    y, bottom = header(page, doc, pno, n_pages), body_bottom(page, doc)
    size = doc["body_size"]
    y = paragraph_lines(page, ml, y, w - ml - mr, prose.heading(), "b", size + 3, "body", (0,))
    y = paragraph_lines(page, ml, y + 2, w - ml - mr, prose.paragraph(), "r", size, "body", (0,))
    for k in range(rng.randint(1, 2)):
        spec = rng.choice(TABLE_MAKERS)(rng)
        counters["tab"] += 1
        y = paragraph_lines(page, ml, y + size, w - ml - mr, spec.caption.format(n=counters["tab"]), "b", size,
                            "caption", (k + 1,))
        tw = (w - ml - mr) * rng.choice([1.0, 0.85, 0.7])
        y = draw_table(page, spec, ml, y + 4, tw, size - rng.choice([1, 1.5, 2]), rng.choice(["grid", "grid", "open"]),
                       key=(k + 1,))
        if spec.note:
            y = paragraph_lines(page, ml, y + 3, w - ml - mr, spec.note, "i", size - 2, "caption", (k + 1,))
        if y > bottom - 300:
            break
    if y < bottom - 80:
        paragraph_lines(page, ml, y + size, w - ml - mr, prose.paragraph(), "r", size, "body", (9,))
    footer(page, doc)
    return page


def landscape_page(rng, doc, pno, n_pages, prose, counters) -> Page:
    """/Rotate 90 or 270 on a portrait MediaBox, drawn so that it reads upright in landscape."""
    pw, ph = doc["size"]
    page = Page(ph, pw, rotation=90 if pno % 2 else 270, layout="landscape")
    ml, mr = doc["margins"]
    y = header(page, doc, pno, n_pages)
    size = doc["body_size"]
    ncols = rng.choice([2, 3])
    split = y + rng.uniform(130, 170)
    flow_columns(page, prose.blocks(), ncols, ml, page.width - mr, y, split, size, 0, rng, doc["serif"])
    counters["tab"] += 1
    spec = rng.choice([ledger_table, regions_table, schedule_table])(rng)
    y = paragraph_lines(page, ml, split + size, page.width - ml - mr, spec.caption.format(n=counters["tab"]), "b",
                        size, "caption", (1,))
    draw_table(page, spec, ml, y + 4, page.width - ml - mr, size - 1.5, "grid", key=(1,))
    page.layout += f"+{ncols}col+table"
    footer(page, doc)
    return page


def sideways_page(rng, doc, pno, n_pages, prose, counters, rotation: int) -> Page:
    """Content that reads sideways on the display.

    rotation 0: a landscape table turned counter-clockwise on a portrait page (text runs
    bottom to top) under an upright running header and footer. rotation 90: a portrait page
    whose /Rotate was set without turning the content, so all of it runs top to bottom.
    """
    pw, ph = doc["size"]
    ml, mr = doc["margins"]
    size = doc["body_size"]
    if rotation == 0:
        page = Page(pw, ph, layout="sideways-table")
        header(page, doc, pno, n_pages)
        lw, lh = page.add_view("ccw")
        spec = rng.choice([ledger_table, regions_table, financial_table])(rng)
        counters["tab"] += 1
        y = paragraph_lines(page, 70, 80, lw - 140, spec.caption.format(n=counters["tab"]), "b", size, "caption",
                            (1,), "ccw")
        y = draw_table(page, spec, 70, y + 4, lw - 140, size - 1, "grid", "ccw", key=(1,))
        paragraph_lines(page, 70, y + 6, lw - 140, spec.note or prose.paragraph(), "i", size - 1.5, "caption",
                        (1,), "ccw")
        footer(page, doc)
        return page
    page = Page(ph, pw, rotation=90, layout="sideways-rotate90")
    lw, lh = page.add_view("cw")
    y = header(page, doc, pno, n_pages, view="cw")
    flow_columns(page, prose.blocks(), 2, ml, lw - mr, y, lh - doc["bottom"], size, 0, rng, doc["serif"], "cw")
    footer(page, doc, view="cw")
    return page


def line_boxes(page: Page) -> list:
    """Each run's box on the display (points, origin top left): ascender to descender, start to end."""
    out = []
    for run in page.runs:
        f = FONTS[run.font]
        r = pymupdf.Rect(run.x, run.y - f.ascender * run.size, run.x + tlen(run.text, run.font, run.size),
                         run.y - f.descender * run.size)
        out.append(r * page.views[run.view][2])
    return out


def check(page: Page) -> str:
    """Why a laid-out page is unusable (text off the page, colliding lines, a table over the footer), or ''."""
    boxes = line_boxes(page)
    for run, b in zip(page.runs, boxes):
        if b.x0 < 0 or b.y0 < 0 or b.x1 > page.width or b.y1 > page.height:
            return f"off the page: {run.text[:40]!r}"
    tup = [tuple(b) for b in boxes]
    for i, a in enumerate(tup):
        for j in range(i + 1, len(tup)):
            b = tup[j]
            ix, iy = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
            if ix <= 0 or iy <= 0:
                continue
            # lines stacked at normal leading share a sliver of ascender/descender; more is a collision
            sideways = page.runs[i].view != "up"
            depth = ix if sideways else iy
            thick = min(a[2] - a[0], b[2] - b[0]) if sideways else min(a[3] - a[1], b[3] - b[1])
            if page.runs[i].view != page.runs[j].view or depth > 0.35 * thick:
                return f"collision: {page.runs[i].text[:30]!r} / {page.runs[j].text[:30]!r}"
    foot = [r for r in page.runs if r.group == "footer"]
    if foot:
        limit = foot[0].y - foot[0].size * 1.5
        if any(v == foot[0].view and max(y0, y1) > limit for v, x0, y0, x1, y1, _ in page.rules):
            return "a table runs into the footer"
    return ""


# ------------------------------------------------------------------ write order and rendering


def write_order(rng: random.Random, runs: list) -> tuple[str, list]:
    """A content-stream order that is NOT the reading order (the point of this benchmark)."""
    strategy = rng.choice(["columns-reversed", "shuffled", "row-major", "blocks-shuffled"])
    idx = list(range(len(runs)))
    rank = {"footer": 0, "header": 9}
    if strategy == "shuffled":
        rng.shuffle(idx)
    elif strategy == "row-major":  # line by line across the columns, as naive y-sorting would read
        idx.sort(key=lambda i: (rank.get(runs[i].group, 1), round(runs[i].y), runs[i].x))
    elif strategy == "columns-reversed":  # footer, right column before left, header last
        column = lambda i: runs[i].key[1] if len(runs[i].key) > 1 else 0  # noqa: E731
        idx.sort(key=lambda i: (rank.get(runs[i].group, 1), runs[i].key[:1], -column(i), i))
    else:
        blocks: dict = {}
        for i in idx:
            blocks.setdefault((runs[i].group, runs[i].key), []).append(i)
        order = list(blocks.values())
        rng.shuffle(order)
        idx = [i for b in order for i in b]
    if idx == sorted(idx):
        idx.reverse()
    return strategy, idx


def render(pdf: pymupdf.Document, page: Page, rng: random.Random) -> tuple[str, list]:
    if page.rotation:
        mw, mh = page.height, page.width
    else:
        mw, mh = page.width, page.height
    p = pdf.new_page(width=mw, height=mh)
    p.set_rotation(page.rotation)
    to_unrot = p.derotation_matrix  # display -> unrotated MediaBox coordinates
    p.set_rotation(0)  # draw on the unrotated page, then set /Rotate (TextWriter wants rotation 0)
    flip = pymupdf.Matrix(1, 0, 0, -1, 0, mh)  # MuPDF (y down) <-> PDF (y up)
    shape = p.new_shape()
    for view, x0, y0, x1, y1, width in page.rules:
        m = page.views[view][2] * to_unrot
        shape.draw_line(pymupdf.Point(x0, y0) * m, pymupdf.Point(x1, y1) * m)
        shape.finish(color=(0, 0, 0), width=width)
    for view, rect in page.boxes:
        shape.draw_rect(rect * (page.views[view][2] * to_unrot))
        shape.finish(color=(0.55, 0.55, 0.55), fill=(0.9, 0.9, 0.92), width=0.6)
    shape.commit()
    strategy, order = write_order(rng, page.runs)
    writers: dict = {}
    for i in order:  # each append goes into the content stream in this order
        run = page.runs[i]
        tw = writers.setdefault(run.view, pymupdf.TextWriter(p.rect))
        tw.append((run.x, run.y), run.text, font=FONTS[run.font], fontsize=run.size)
    for view, tw in writers.items():
        tw.write_text(p, matrix=flip * page.views[view][2] * to_unrot * flip)
    p.set_rotation(page.rotation)
    lines = []
    for run, r in zip(page.runs, line_boxes(page)):
        bbox = [round(min(max(v / d, 0.0), 1.0), 5) for v, d in zip(r, (page.width, page.height) * 2)]
        lines.append({"text": run.text, "bbox": bbox})
    return strategy, lines


# ------------------------------------------------------------------ documents

KINDS = ["report2", "report3", "tables", "rotated", "multilingual", "report2", "sideways", "tables",
         "report3", "rotated", "multilingual", "report2"]


def make_document(rng: random.Random, kind: str) -> list[Page]:
    topic = rng.choice(list(TOPICS))
    t = TOPICS[topic]
    doc = dict(size=rng.choice([(595.0, 842.0), (612.0, 792.0)]), margins=(rng.uniform(46, 68), rng.uniform(46, 68)),
               top=rng.uniform(64, 76), bottom=rng.uniform(56, 70), hf_size=rng.choice([7.5, 8, 8.5]),
               body_size=rng.choice([9, 9.5, 10, 10.5, 11]), serif=rng.random() < 0.35, title=rng.choice(t["titles"]),
               running=f"{t['org']} · {t['short']}", pagelabel=rng.random() < 0.5,
               footer=f"© 2024 {t['org']} — {rng.choice(['Confidential', 'For internal use only', 'Public'])}"
                      f" · Ref. {t['org'][:2].upper()}-{rng.randint(100, 999)}",
               byline=rng.choice(["Prepared by the Analysis Group · Version 1.2 · 14 March 2024",
                                  "Authors: E. Núñez, K. Wójcik, T. Brandão · Draft for review",
                                  "Internal working paper · Released 2 February 2024"]))
    prose = Prose(rng, topic, foreign=(kind == "multilingual"))
    counters = {"tab": 0, "fig": 0}
    n_pages = 3 if kind in ("rotated", "sideways") else rng.randint(3, 4)
    pages = []
    for pno in range(1, n_pages + 1):
        args = (rng, doc, pno, n_pages, prose, counters)
        for _attempt in range(20):  # random layouts sometimes collide; draw again (still deterministic)
            saved = (dict(counters), prose.heading_no)
            prose.new_page()
            if kind == "tables":
                page = tables_page(*args)
            elif kind == "rotated" and pno < 3:
                page = landscape_page(*args)
            elif kind == "sideways" and pno > 1:
                page = sideways_page(*args, rotation=0 if pno == 2 else 90)
            else:
                page = report_page(*args, ncols=3 if kind == "report3" else 2)
            problem = check(page)
            if not problem:
                break
            counters.update(saved[0])
            prose.heading_no = saved[1]
        else:
            raise RuntimeError(f"{kind} page {pno}: {problem}")
        pages.append(page)
    return pages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--n", type=int, default=12, help="number of documents")
    args = ap.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    manifest = []
    for i in range(args.n):
        kind = KINDS[i % len(KINDS)]
        rng = random.Random(f"{args.seed}-{i}")  # one stream per document: --n does not change earlier ones
        name = f"bd{i + 1:02d}_{kind}"
        pages = make_document(rng, kind)
        pdf = pymupdf.open()
        pdf.set_metadata({"title": name, "creator": "docpipe benchmarks/gen_born_digital.py",
                          "creationDate": "D:20240301120000Z", "modDate": "D:20240301120000Z"})
        all_lines, info = {}, []
        for pno, page in enumerate(pages, start=1):
            strategy, lines = render(pdf, page, rng)
            all_lines[str(pno)] = lines
            (args.outdir / f"{name}.p{pno}.txt").write_text("\n".join(page.units) + "\n", encoding="utf-8")
            for k, grid in enumerate(page.tables, start=1):
                with open(args.outdir / f"{name}.p{pno}.t{k}.csv", "w", newline="", encoding="utf-8") as fh:
                    csv.writer(fh).writerows(grid)
            info.append(dict(page=pno, width=page.width, height=page.height, rotation=page.rotation,
                             layout=page.layout, write_order=strategy, n_lines=len(lines), n_tables=len(page.tables)))
        pdf.save(args.outdir / f"{name}.pdf", garbage=3, deflate=True, no_new_id=True)
        (args.outdir / f"{name}.lines.json").write_text(json.dumps(all_lines, ensure_ascii=False, indent=0),
                                                        encoding="utf-8")
        manifest.append(dict(name=name, kind=kind, pages=info))
    (args.outdir / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    n_pages = sum(len(d["pages"]) for d in manifest)
    print(f"wrote {len(manifest)} documents, {n_pages} pages to {args.outdir}")


if __name__ == "__main__":
    main()
