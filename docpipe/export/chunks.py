"""Retrieval chunks (OUT/chunks): a document cut along its structure, each piece under a token budget.

- A heading (or title) starts a chunk; `heading` is the path of headings above the chunk's text,
  outermost first, the one that starts it included. Its own line is the chunk's first line.
- Text is added a line at a time (the lines the page's blocks came from) while the chunk stays
  within `max_tokens`; a line longer than that alone is cut between words.
- A table stays whole, with a caption right before or after it, as a Markdown table (HTML when
  cells span): it is the one piece that may be over the budget.
- A chunk never crosses a document; it may cross pages (`pages` lists them).
- Running headers and footers, figures without a caption and failed pages give no text.
`boxes` hold every line, block or table the chunk came from, clipped to the page (0..1).

Tokens are estimated without a tokenizer: max(words * 4/3, characters / 4), the usual rules of
thumb for English with subword tokenizers (about 0.75 words or 4 characters a token); the
character rule keeps text without spaces (CJK, long identifiers) from counting as one word.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from docpipe.export import markdown
from docpipe.export.read import Document
from docpipe.export.structure import Item, document_items
from docpipe.records import Chunk, ChunkBox

_SKIPPED = ("page", "page_error", "header", "footer", "page_number")


def estimate_tokens(text: str) -> int:
    return math.ceil(max(len(text.split()) * 4 / 3, len(text) / 4))


@dataclass
class _Atom:
    """The smallest piece a chunk is built of: a line, a heading, or a table with its caption."""

    text: str
    boxes: list[tuple[int, list[float]]]
    joiner: str  # how it joins what comes before it in a chunk: "\n" in a block, "\n\n" between blocks


@dataclass
class _Builder:
    document: Document
    max_tokens: int
    chunks: list[Chunk] = field(default_factory=list)
    path: list[tuple[int, str]] = field(default_factory=list)  # (level, heading text)
    atoms: list[_Atom] = field(default_factory=list)
    lead: int = 0  # heading lines the chunk starts with (headings alone are no content)

    def text(self, extra: _Atom | None = None) -> str:
        atoms = self.atoms + ([extra] if extra else [])
        return "".join((a.joiner if i else "") + a.text for i, a in enumerate(atoms))

    def heading(self, level: int, text: str, boxes) -> None:
        if len(self.atoms) > self.lead:  # headings with nothing under them yet stay with the next one
            self.flush()
        while self.path and self.path[-1][0] >= level:
            self.path.pop()
        self.path.append((level, text))
        self.atoms.append(_Atom(text, boxes, "\n\n"))
        self.lead += 1

    def add(self, atom: _Atom) -> None:
        if len(self.atoms) > self.lead and estimate_tokens(self.text(atom)) > self.max_tokens:
            self.flush()
        self.atoms.append(atom)

    def flush(self) -> None:
        if not self.atoms:
            return
        text = self.text()
        boxes = [ChunkBox(page=page, bbox=[min(1.0, max(0.0, v)) for v in bbox])
                 for atom in self.atoms for page, bbox in atom.boxes]
        row, ordinal = self.document.row, len(self.chunks)
        self.chunks.append(Chunk(
            chunk_id=f"{row.doc_id}-{ordinal}", doc_id=row.doc_id, source=row.source, ordinal=ordinal,
            text=text, heading=[h for _, h in self.path], pages=sorted({b.page for b in boxes}), boxes=boxes,
            n_tokens=estimate_tokens(text)))
        self.atoms, self.lead = [], 0


def _words_within(text: str, max_tokens: int) -> list[str]:
    """A line cut between words into parts within the budget (a single over-long word stays whole)."""
    parts: list[str] = []
    for word in text.split():
        if parts and estimate_tokens(parts[-1] + " " + word) <= max_tokens:
            parts[-1] += " " + word
        else:
            parts.append(word)
    return parts


def _joiner(kind: str, line: str, n_line: int, n_part: int) -> str:
    """Blocks are apart by a blank line; a list item or a line of code starts a line; wrapped text joins."""
    if n_line == 0 and n_part == 0:
        return "\n\n"
    if n_part == 0 and (kind == "code" or (kind == "list" and markdown.is_list_item(line))):
        return "\n"
    return " "


def _caption_for_tables(items: list[Item]) -> dict[int, Item]:
    """Index of a table -> the caption right before or after it on its page (taken from the text flow)."""
    found: dict[int, Item] = {}
    for i, item in enumerate(items):
        if item.kind != "table":
            continue
        for j in (i - 1, i + 1):
            near = items[j] if 0 <= j < len(items) else None
            taken = any(c is near for c in found.values())
            if near is not None and near.kind == "caption" and near.page == item.page and not taken:
                found[i] = near
                break
    return found


def document_chunks(document: Document, max_tokens: int = 512) -> list[Chunk]:
    if not document.row.doc_id:
        return []
    items = [i for i in document_items(document) if i.kind not in _SKIPPED]
    captions = _caption_for_tables(items)
    used = {id(c) for c in captions.values()}
    build = _Builder(document, max_tokens)
    for index, item in enumerate(items):
        if id(item) in used:
            continue
        boxes = [(item.page, bbox) for _, bbox in item.lines]
        if item.kind in ("title", "heading"):
            build.heading(item.level, " ".join(item.text.split()), boxes)
        elif item.kind == "table" and item.table is not None:
            caption = captions.get(index)
            parts = [markdown.table(item.table)]
            if caption is not None:
                parts.insert(0 if items.index(caption) < index else 1, caption.text)
                boxes += [(caption.page, bbox) for _, bbox in caption.lines]
            build.add(_Atom("\n".join(parts), boxes, "\n\n"))
        elif item.kind == "figure":
            texts = [t.text for t in (item.caption, item) if t is not None and t.text.strip()]
            if texts:
                lines = item.caption.lines if item.caption is not None else []
                build.add(_Atom("\n".join(texts), boxes + [(item.page, b) for _, b in lines], "\n\n"))
        else:
            for n, (text, bbox) in enumerate(item.lines):
                for k, part in enumerate(_words_within(text, max_tokens)):
                    build.add(_Atom(part, [(item.page, bbox)], _joiner(item.kind, text, n, k)))
    build.flush()
    return build.chunks
