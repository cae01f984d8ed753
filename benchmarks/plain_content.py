"""Words and tables for gen_scans_plain.py: real English prose and small ruled tables.

The prose is Python's own language reference as shipped in the standard library
(pydoc_data.topics, PSF licence): headings and paragraphs, reST markup and code removed,
kept only when every character is one the Tesseract `eng` model knows well (ASCII letters,
digits, common punctuation). The text differs a little between Python versions, so a seed
reproduces the same pages on the same Python minor version.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from pydoc_data.topics import topics

_UNDERLINE = re.compile(r"^([*=\-^~])\1{3,}$")
_ALLOWED = re.compile(r"^[A-Za-z0-9 .,;:'()?!\-]+$")
_ASCII = {"\u2019": "'", "\u2018": "'", "\u201c": "", "\u201d": "", "\u2013": "-", "\u2014": "-"}


@dataclass
class Block:
    kind: str   # heading | para | item (a list item; text starts with its marker)
    text: str


def _clean(text: str) -> str:
    for a, b in _ASCII.items():
        text = text.replace(a, b)
    text = re.sub(r"\[\d+\]", "", text)          # footnote marks
    text = text.replace('"', "").replace("*", "")  # code quotes and *emphasis*
    text = re.sub(r"(\w)- (\w)", r"\1-\2", text)  # a compound word split over two source lines
    text = re.sub(r"(?<!\w)'|'(?!\w)", "", text)  # quotes around a literal; apostrophes stay
    return re.sub(r"\s+", " ", text).strip()


def _usable(text: str, min_words: int) -> bool:
    return len(text.split()) >= min_words and bool(_ALLOWED.match(text)) and "--" not in text


def topic_blocks(key: str) -> list[Block]:
    """A topic's headings, paragraphs and bullet items (code blocks and markup-heavy text dropped)."""
    lines = topics[key].splitlines()
    chunks: list[list[str]] = [[]]
    for line in lines:
        if not line.strip():
            chunks.append([])
        else:
            chunks[-1].append(line)
    out: list[Block] = []
    for chunk in chunks:
        if not chunk or chunk[0].startswith("   "):   # an indented block is code or grammar
            continue
        if len(chunk) == 2 and _UNDERLINE.match(chunk[1].strip()):
            head = _clean(chunk[0])
            if _usable(head, 1) and len(head) < 50:
                out.append(Block("heading", head))
            continue
        kind = "item" if chunk[0].startswith("* ") else "para"
        text = _clean(" ".join(s.strip() for s in chunk).removeprefix("* "))
        if _usable(text, 6 if kind == "item" else 14):
            out.append(Block(kind, text))
    return out


def prose(rng: random.Random) -> list[Block]:
    """All usable blocks, topics in a seeded order; bullet items become numbered or dashed lists."""
    keys = sorted(topics)
    rng.shuffle(keys)
    out: list[Block] = []
    for key in keys:
        blocks = topic_blocks(key)
        if sum(b.kind == "para" for b in blocks) < 2:
            continue
        style = rng.choice(["num", "dash"])
        n = 0
        for i, b in enumerate(blocks):
            if b.kind == "heading" and (i + 1 == len(blocks) or blocks[i + 1].kind == "heading"):
                continue  # a heading with no text of its own under it
            if b.kind == "item":
                n += 1
                b.text = (f"{n}. " if style == "num" else "- ") + b.text
            elif b.kind == "heading":
                n = 0
            out.append(b)
    return out


# ------------------------------------------------------------------ tables

WORDS = ["alpha", "beta", "delta", "north", "south", "east", "west", "paper", "steel", "glass", "cotton",
         "copper", "timber", "grain", "coffee", "salt", "wool", "lamps", "tools", "bread", "maps", "rope"]
CITIES = ["Leeds", "Lyon", "Porto", "Turin", "Ghent", "Bergen", "Malmo", "Cork", "Graz", "Basel", "Delft",
          "Bonn", "Split", "Tartu", "Kaunas", "Brno"]


def _number(rng: random.Random, kind: str) -> str:
    if kind == "int":
        return f"{rng.randint(3, 98000):,}"
    if kind == "dec":
        return f"{rng.uniform(0.1, 999):.2f}"
    if kind == "pct":
        return f"{rng.uniform(0.5, 99):.1f}%"
    return str(rng.randint(1, 480))


def table(rng: random.Random) -> dict:
    """A ruled table: {"grid": rows of cell text (a spanned cell's text in its top-left cell,
    the cells it covers empty), "spans": [(row, col, rowspan, colspan)], "header_rows", "align"}."""
    n_cols, n_rows = rng.randint(3, 6), rng.randint(4, 12)
    first = rng.choice(["City", "Item", "Material", "Site"])
    names = CITIES if first in ("City", "Site") else WORDS
    kinds = [rng.choice(["int", "dec", "pct", "small"]) for _ in range(n_cols - 1)]
    heads = {"int": ["Units", "Total", "Count", "Stock"], "dec": ["Price", "Weight", "Cost", "Rate"],
             "pct": ["Share", "Growth", "Yield"], "small": ["Days", "Staff", "Orders", "Lots"]}
    header = [first]
    for k in kinds:
        free = [h for h in heads[k] if h not in header]
        header.append(rng.choice(free) if free else f"{heads[k][0]} {len(header)}")
    spans: list[tuple[int, int, int, int]] = []
    grid = [header]
    header_rows = 1
    if n_cols >= 5 and rng.random() < 0.4:  # a group header over columns 1-2; the other header cells span both rows
        grid = [[first, f"Year {rng.randint(2015, 2024)}", ""] + header[3:], ["", *header[1:3]] + [""] * (n_cols - 3)]
        spans += [(0, 1, 1, 2)] + [(0, c, 2, 1) for c in [0, *range(3, n_cols)]]
        header_rows = 2
    words = rng.sample(names, min(n_rows, len(names)))
    for r in range(n_rows):
        grid.append([words[r % len(words)].capitalize()] + [_number(rng, k) for k in kinds])
    if n_rows >= 6 and rng.random() < 0.35:  # a label cell spanning two body rows
        r = rng.randint(header_rows, header_rows + n_rows - 2)
        grid[r + 1][0] = ""
        spans.append((r, 0, 2, 1))
    return {"grid": grid, "spans": spans, "header_rows": header_rows,
            "align": ["l"] + ["r"] * (n_cols - 1)}
