"""A page request's prompt, templated once per run instead of once per page.

Every page request is the same chat but for its user text (the prompt and the
page's hints): the system message, one image, the text. Ray Data's multimodal
and chat-template stages would template it again for every page, in two actor
processes of their own that each import vLLM and transformers and take CPU
turns with the engine (21.6 of 119.7 CPU s on 400 pages, docs/benchmarks.md).
So the chat is templated once here, as those stages do it (vLLM's message
parsing, which writes the model's own image placeholder, then the checkpoint's
chat template), with a sentinel for the text; a page's prompt is its text set
between the two halves. vllm and transformers are imported here only when a
frame is made, in the driver of an in-process run.
"""

from __future__ import annotations

import io
from typing import Optional

from pydantic import BaseModel

from docpipe.engines.vlm.request import chat_messages
from docpipe.errors import VlmUnavailable

# Text no page prompt contains: where it lands in the templated chat, each page's text goes.
_SENTINEL = "\x00docpipe-page-text\x00"


class ChatFrame(BaseModel):
    """The templated page chat around its user text."""

    prefix: str
    suffix: str

    def prompt(self, text: str) -> str:
        return self.prefix + text + self.suffix


def templated_chat(model: str, messages: list[dict]) -> str:
    """The prompt Ray Data's multimodal and chat-template stages (Ray 2.60) make of these messages.

    Their content format ("string": the model's image placeholder written into
    the text) and their generation prompt; the template is the tokenizer's,
    else the processor's (loading a VLM's processor costs seconds, its
    tokenizer milliseconds).
    """
    from transformers import AutoProcessor, AutoTokenizer
    from vllm.config import ModelConfig
    from vllm.entrypoints.chat_utils import parse_chat_messages

    try:
        # float32: as Ray's stage, so that no device is probed for a dtype.
        config = ModelConfig(model=model, trust_remote_code=True, dtype="float32")
        templater = AutoTokenizer.from_pretrained(model, trust_remote_code=True)
        if not getattr(templater, "chat_template", None):
            templater = AutoProcessor.from_pretrained(model, trust_remote_code=True)
    except Exception as exc:  # a missing or unreadable checkpoint: the engine could not load it either
        raise VlmUnavailable(f"could not read the model at {model}: {type(exc).__name__}: {exc}. "
                             "Check --model (a checkpoint folder or a Hugging Face model id)") from exc
    conversation, _, _ = parse_chat_messages(messages, config, "string")
    return templater.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)


def page_chat_frame(model: str) -> Optional[ChatFrame]:
    """The frame of this model's page chat; None when its template does not keep the text as given
    (the sentinel altered, dropped or repeated): then Ray Data's stages template every page."""
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(png, "PNG")
    prompt = templated_chat(model, chat_messages([(png.getvalue(), "image/png")], _SENTINEL))
    if prompt.count(_SENTINEL) != 1:
        return None
    prefix, suffix = prompt.split(_SENTINEL)
    return ChatFrame(prefix=prefix, suffix=suffix)
