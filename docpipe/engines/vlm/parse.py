"""Turn a VLM's raw answer into a validated page answer: strict, and forgiving where it can be.

Strict: what comes out validates against the pydantic models the decoder was
held to. Forgiving: an answer cut off at `max_tokens` is closed at its last
complete element, a repetition loop is cut to one copy, boxes out of order
or out of range are fixed, and an element that cannot be fixed is dropped
rather than failing its page. Every repair is named, so the caller can retry
(truncation, loops) or record it.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field
from typing import Optional

from pydantic import BaseModel, ValidationError

from docpipe.engines.vlm.answer import BOX_SCALE, VlmBlock, VlmLine, VlmPage, VlmTable
from docpipe.errors import VlmAnswerError

LOOP_RUN = 3  # this many identical consecutive lines (or blocks) are a repetition loop
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$")
_THINK = re.compile(r"<think>.*?</think>", re.S)
_TEXT_VALUE = re.compile(r'"text"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclass
class ParsedPage:
    page: VlmPage
    repairs: list[str] = field(default_factory=list)

    @property
    def degraded(self) -> bool:
        """Cut off or looping: another try (at a higher temperature) may do better."""
        return any(r.startswith(("truncated", "loop")) for r in self.repairs)


def parse_page(text: Optional[str], finish_reason: Optional[str] = None,
               token_logprobs: Optional[list[tuple[str, float]]] = None) -> ParsedPage:
    data, repairs = load_json(text, finish_reason)
    if not isinstance(data, dict) or not isinstance(data.get("blocks"), list):
        if finish_reason == "length":  # what to change is --max-tokens, not the prompt or the model
            raise VlmAnswerError(f"answer cut off at max_tokens before its first block: {_snippet(text)}")
        raise VlmAnswerError(f"answer does not match the page schema (no 'blocks' list): {_snippet(text)}")
    blocks = _valid_items(data["blocks"], VlmBlock, _fix_block, repairs, "block")
    tables = _valid_items(data.get("tables") or [], VlmTable, _fix_table, repairs, "table")
    page = VlmPage(blocks=_drop_loops(blocks, repairs), tables=tables)
    if token_logprobs:
        _attach_confidences(page, text or "", token_logprobs)
    return ParsedPage(page=page, repairs=repairs)


def load_json(text: Optional[str], finish_reason: Optional[str] = None) -> tuple[object, list[str]]:
    """The JSON value in an answer, closing it if it was cut off; raises VlmAnswerError."""
    repairs: list[str] = []
    body = _FENCE.sub("", _THINK.sub("", text or "")).strip()
    if not body:
        raise VlmAnswerError("empty answer")
    try:
        return json.loads(body), repairs
    except json.JSONDecodeError as exc:
        error = exc
    if error.msg == "Invalid control character at":
        # A raw tab or newline inside a string: strict JSON forbids it, yet a grammar-constrained
        # answer can carry one (vLLM's xgrammar lets control characters into strings).
        try:
            value = json.loads(body, strict=False)
            repairs.append("raw control characters inside strings accepted")
            return value, repairs
        except json.JSONDecodeError as exc:
            error = exc
    start = body.find("{")
    if start < 0:
        raise VlmAnswerError(f"answer is not JSON ({error.msg}): {_snippet(body)}")
    closed = close_truncated(body[start:])
    try:
        value = json.loads(closed)
    except json.JSONDecodeError as exc:
        raise VlmAnswerError(f"answer is not JSON ({exc.msg}): {_snippet(body)}") from exc
    why = "max_tokens" if finish_reason == "length" else f"invalid JSON: {error.msg}"
    repairs.append(f"truncated ({why}); closed after the last complete element")
    return value, repairs


def close_truncated(text: str) -> str:
    """Cut `text` after its last complete element and close the open arrays and objects."""
    stack: list[str] = []
    in_string = escaped = False
    cut, open_at_cut = 0, []
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append(ch)
            cut, open_at_cut = i + 1, list(stack)
        elif ch in "}]":
            if stack:
                stack.pop()
            cut, open_at_cut = i + 1, list(stack)
            if not stack:
                return text[: i + 1]  # a complete value; anything after it is noise
        elif ch == ",":
            cut, open_at_cut = i, list(stack)
    body = text[:cut].rstrip()
    if body.endswith(":"):  # cut between a key and its value: drop the key
        body = body[: body.rfind(",")] if "," in body else body[: body.rfind("{") + 1]
    return body + "".join("}" if c == "{" else "]" for c in reversed(open_at_cut))


def _valid_items(items: list, model: type[BaseModel], fix, repairs: list[str], what: str) -> list:
    valid = []
    dropped = 0
    for item in items:
        try:
            valid.append(model.model_validate(fix(item, repairs)))
        except (ValidationError, TypeError, ValueError, AttributeError, KeyError):
            dropped += 1
    if dropped:
        repairs.append(f"dropped {dropped} {what}(s) that did not match the schema")
    return valid


def fix_box(box, repairs: list[str]) -> list[int]:
    """Boxes as four integers 0..1000, x0 <= x1 and y0 <= y1; 0..1 fractions are scaled up."""
    values = [float(v) for v in box]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ValueError("a box needs four numbers")
    if all(0.0 <= v <= 1.0 for v in values) and any(v != int(v) for v in values):
        values = [v * BOX_SCALE for v in values]
        repairs.append("box given as fractions; scaled to 0..1000")
    fixed = [int(round(min(BOX_SCALE, max(0.0, v)))) for v in values]
    x0, y0, x1, y1 = fixed
    fixed = [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]
    if fixed != [int(round(v)) for v in values]:
        repairs.append("box out of order or out of range; fixed")
    return fixed


def _fix_block(block: dict, repairs: list[str]) -> dict:
    block = dict(block, bbox=fix_box(block["bbox"], repairs))
    lines = _valid_items(block.get("lines") or [], VlmLine, _fix_line, repairs, "line")
    block["lines"] = [line.model_dump() for line in lines]
    return block


def _fix_line(line: dict, repairs: list[str]) -> dict:
    return dict(line, bbox=fix_box(line["bbox"], repairs))


def _fix_table(table: dict, repairs: list[str]) -> dict:
    table = dict(table, bbox=fix_box(table["bbox"], repairs))
    cells = [dict(c, bbox=fix_box(c["bbox"], repairs)) for c in table.get("cells") or []]
    seen, unique = set(), []
    for cell in cells:
        key = (cell.get("row"), cell.get("col"))
        if key not in seen:  # a looping table repeats its cells; the first copy stands
            seen.add(key)
            unique.append(cell)
    if len(unique) < len(cells):
        repairs.append(f"loop: {len(cells) - len(unique)} repeated table cell(s) dropped")
    table["cells"] = unique
    return table


def _drop_loops(blocks: list[VlmBlock], repairs: list[str]) -> list[VlmBlock]:
    """Cut runs of LOOP_RUN or more identical consecutive lines or blocks down to one."""
    removed = 0
    for block in blocks:
        kept = _collapse_runs(block.lines, key=lambda line: line.text.strip())
        removed += len(block.lines) - len(kept)
        block.lines = kept
    kept_blocks = _collapse_runs(blocks, key=lambda b: (b.kind, tuple(line.text for line in b.lines)))
    removed += len(blocks) - len(kept_blocks)
    if removed:
        repairs.append(f"loop: {removed} repeated line(s) or block(s) dropped")
    return kept_blocks


def _collapse_runs(items: list, key) -> list:
    out: list = []
    for value, group in itertools.groupby(items, key=key):
        group = list(group)
        out.extend(group[:1] if value and len(group) >= LOOP_RUN else group)
    return out


def _attach_confidences(page: VlmPage, text: str, token_logprobs: list[tuple[str, float]]) -> None:
    """Each line's confidence: the geometric mean probability of the tokens that wrote its text."""
    ends, position = [], 0
    for token, _ in token_logprobs:
        position += len(token)
        ends.append(position)
    spans = []
    for match in _TEXT_VALUE.finditer(text):
        try:
            spans.append((json.loads(f'"{match.group(1)}"'), match.start(1), match.end(1)))
        except json.JSONDecodeError:
            continue
    lines = [line for block in page.blocks for line in block.lines]
    cursor = 0
    for line in lines:
        # Lines come in the order they were written; find this one's text from where the last ended.
        while cursor < len(spans) and spans[cursor][0] != line.text:
            cursor += 1
        if cursor == len(spans):
            return
        _, start, end = spans[cursor]
        cursor += 1
        logprobs = [lp for (tok, lp), stop in zip(token_logprobs, ends) if stop > start and stop - len(tok) < end]
        if logprobs:
            line.confidence = round(math.exp(sum(logprobs) / len(logprobs)), 4)


def _snippet(text: Optional[str], size: int = 120) -> str:
    text = (text or "").strip().replace("\n", " ")
    return text if len(text) <= size else text[:size] + "…"
