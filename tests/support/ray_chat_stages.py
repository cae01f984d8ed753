"""Run in .venv-vllm: a page request as docpipe's templated-once frame makes it, and as Ray Data's own
multimodal and chat-template stages (Ray 2.60) make it from the same messages.

    python ray_chat_stages.py MODEL

prints a line "case {JSON}" per case: {"frame": ..., "ray": ..., "same_image": ...}
"""

from __future__ import annotations

import asyncio
import io
import json
import sys

from PIL import Image
from ray.llm._internal.batch.stages.chat_template_stage import ChatTemplateUDF
from ray.llm._internal.batch.stages.prepare_multimodal_stage import PrepareMultimodalUDF

from docpipe.config import VlmConfig
from docpipe.engines.vlm.chat_frame import page_chat_frame
from docpipe.engines.vlm.inprocess import to_request
from docpipe.engines.vlm.tasks import page_messages

# Hints as OCR hands them over: template syntax, markup, tabs, non-ASCII, an empty line.
HINTS = (None, ["Invoice {{ number }} {% raw %}", "<b>Total</b>\t12,50 €", "", "naïve “quotes”"])


async def through_ray(model: str, messages: list[dict]) -> tuple[str, Image.Image]:
    idx = PrepareMultimodalUDF.IDX_IN_BATCH_COLUMN
    multimodal = PrepareMultimodalUDF("__data", ["messages"], {"model": model, "trust_remote_code": True}, "string")
    [parsed] = [row async for row in multimodal.udf([{"messages": messages, idx: 0}])]
    template = ChatTemplateUDF("__data", ["messages"], model, trust_remote_code=True)
    [templated] = [row async for row in template.udf([parsed])]
    images = parsed["multimodal_data"]["image"]
    return templated["prompt"], images[0] if isinstance(images, list) else images


def main(model: str) -> None:
    frame = page_chat_frame(model)
    page = io.BytesIO()
    Image.new("RGB", (96, 64), (200, 30, 30)).save(page, "PNG")
    for hints in HINTS:
        row = {"kind": "vlm", "image": page.getvalue(), "hints": hints}
        ours = to_request(row, VlmConfig(model=model), attempt=0, frame=frame)
        prompt, image = asyncio.run(through_ray(model, page_messages(row)))
        ours_image = ours["multimodal_data"]["image"]
        print("case", json.dumps({"frame": ours["prompt"], "ray": prompt, "same_image": (
            ours_image.mode == image.mode and ours_image.tobytes() == image.tobytes())}))


if __name__ == "__main__":
    main(sys.argv[1])
