"""The exact requests docpipe sends to the VLM, for both ways of reaching it.

One page request = a system message carrying `/no_think` (Nemotron reasons
before answering unless told not to; extraction wants the answer only), the
page image as a data URL, a prompt, an explicit `max_tokens`, and the page
answer's JSON schema for constrained decoding. The same messages feed an
OpenAI-compatible server (`openai_kwargs`) and `ray.data.llm` (`ray_row`).
"""

from __future__ import annotations

import base64
import json
from typing import Literal, Optional

from docpipe.io.render import render_to_size

SYSTEM_MESSAGE = "/no_think"
TILE = 512  # Nemotron Nano VL (like InternVL) cuts images into 512x512 tiles

JsonMode = Literal["structured_outputs", "response_format", "none"]

PAGE_PROMPT = (
    "Read this document page. Return JSON with the page's blocks in reading order "
    "(title, heading, paragraph, list, table, figure, caption, header, footer, footnote, formula, code), "
    "each with its lines top to bottom, and every table with its cells (0-based row and col, "
    "row_span and col_span for merged cells). Copy the text exactly as printed. "
    "Boxes are [x0, y0, x1, y1] integers from 0 to 1000 across the width and down the height of the image."
)
HINTS_HEADER = (
    "Text another engine found on this page, line by line (it may contain errors or be out of order; "
    "the image is the truth):"
)


def tile_grid(width: float, height: float, max_tiles: int) -> tuple[int, int]:
    """(columns, rows) of tiles the model's processor picks for an image of this shape.

    InternVL's rule, which Nemotron Nano VL keeps: the grid of at most
    `max_tiles` tiles whose aspect ratio is closest to the image's, preferring
    the larger grid on a tie when the image has the pixels to fill it.
    """
    aspect = width / height
    grids = sorted({(c, r) for n in range(1, max_tiles + 1) for c in range(1, n + 1)
                    for r in range(1, n + 1) if c * r <= max_tiles}, key=lambda g: g[0] * g[1])
    best, best_diff = (1, 1), float("inf")
    for cols, rows in grids:
        diff = abs(aspect - cols / rows)
        if diff < best_diff:
            best, best_diff = (cols, rows), diff
        elif diff == best_diff and width * height > 0.5 * TILE * TILE * cols * rows:
            best = (cols, rows)
    return best


def image_size_for_tiles(width: float, height: float, max_tiles: int) -> tuple[int, int]:
    """Pixel size to render a page at so the model's tiling uses it as is (no second resampling)."""
    cols, rows = tile_grid(width, height, max_tiles)
    return cols * TILE, rows * TILE


def page_image(page_or_image, max_tiles: int) -> bytes:
    """PNG of a PDF page (as displayed) or an image frame, at the size the model's tiling uses as is.

    The size depends only on the page's shape (12 tiles are 3.1 megapixels at most).
    """
    if hasattr(page_or_image, "get_pixmap"):  # a PyMuPDF page: its size in points
        width, height = page_or_image.rect.width, page_or_image.rect.height
    else:  # a PIL image frame: its size in pixels
        width, height = page_or_image.width, page_or_image.height
    return render_to_size(page_or_image, *image_size_for_tiles(width, height, max_tiles))


def data_url(image: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(image).decode('ascii')}"


def page_prompt(hints: Optional[list[str]] = None) -> str:
    if not hints:
        return PAGE_PROMPT
    return f"{PAGE_PROMPT}\n\n{HINTS_HEADER}\n" + "\n".join(hints)


def chat_messages(images: list[tuple[bytes, str]], prompt: str) -> list[dict]:
    """OpenAI chat messages: the system message, then the images (bytes, mime) and the prompt."""
    content = [{"type": "image_url", "image_url": {"url": data_url(data, mime)}} for data, mime in images]
    content.append({"type": "text", "text": prompt})
    return [{"role": "system", "content": SYSTEM_MESSAGE}, {"role": "user", "content": content}]


def openai_kwargs(messages: list[dict], *, model: str, schema: dict, schema_name: str, max_tokens: int,
                  temperature: float, json_mode: JsonMode, max_tiles: Optional[int] = None) -> dict:
    """Keyword arguments for `client.chat.completions.create`.

    `structured_outputs` is vLLM's own field (since 0.12; `guided_json` is
    gone) and goes in the request body as is; `response_format` is the
    OpenAI standard that NIM and other gateways take. Token log-probabilities
    are asked for because they give each line its confidence.
    """
    kwargs: dict = {
        "model": model, "messages": messages, "max_tokens": max_tokens, "temperature": temperature,
        "logprobs": True,
    }
    if json_mode == "none":
        kwargs["messages"] = schema_in_prompt(messages, schema)
    elif json_mode == "structured_outputs":
        extra: dict = {"structured_outputs": {"json": schema}}
        if max_tiles:
            extra["mm_processor_kwargs"] = {"max_num_tiles": max_tiles}
        kwargs["extra_body"] = extra
    else:
        kwargs["response_format"] = {
            "type": "json_schema", "json_schema": {"name": schema_name, "schema": schema, "strict": True},
        }
    return kwargs


def schema_in_prompt(messages: list[dict], schema: dict) -> list[dict]:
    """The messages with the JSON schema appended to the user's text: for a server that constrains
    nothing, the schema can only be asked for (the answer is then parsed and repaired, or retried)."""
    *head, user = messages
    parts = [dict(part) for part in user["content"]]
    parts[-1]["text"] += f"\n\nAnswer with one JSON object only, valid under this JSON schema:\n{json.dumps(schema)}"
    return [*head, {**user, "content": parts}]


def ray_row(messages: list[dict], *, schema: dict, max_tokens: int, temperature: float,
            max_tiles: int) -> dict:
    """The columns `ray.data.llm`'s vLLM processor reads from a row (messages, sampling_params, ...)."""
    return {
        "messages": messages,
        "sampling_params": {
            "max_tokens": max_tokens, "temperature": temperature, "logprobs": 1,
            # Serialized: Arrow cannot hold an arbitrary JSON schema as a struct column.
            "structured_outputs": {"json": json.dumps(schema)},
        },
        "mm_processor_kwargs": {"max_num_tiles": max_tiles},
    }
