"""An OpenAI-compatible chat server on 127.0.0.1 that answers the way `vllm serve` does.

It stands in for the model on machines without a GPU. By default it reads
the page image it is sent with Tesseract (tesserocr directly, not docpipe's
OCR code) and answers in docpipe's page schema, so a run through it has real
text and real boxes to check; token log-probabilities carry Tesseract's line
confidences. Tests can script other answers (`responder`) and read every
request it received (`requests`).
"""

from __future__ import annotations

import base64
import io
import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional

MODEL = "nvidia/NVIDIA-Nemotron-Nano-12B-v2-VL-FP8"

# (status, content or error body, finish_reason); content None -> a choice with null content
Reply = tuple[int, Optional[str], str]

# A well-formed page answer of one line, for tests that are about the traffic, not the reading.
ONE_LINE_TEXT = "An answered page"
ONE_LINE_ANSWER = json.dumps({"blocks": [{"kind": "paragraph", "bbox": [100, 100, 900, 140],
                                          "lines": [{"text": ONE_LINE_TEXT, "bbox": [100, 100, 900, 140]}]}],
                              "tables": []})


def page_images(request: dict) -> list[bytes]:
    images = []
    for message in request["messages"]:
        content = message["content"]
        for part in content if isinstance(content, list) else []:
            if part.get("type") == "image_url":
                images.append(base64.b64decode(part["image_url"]["url"].split(",", 1)[1]))
    return images


def tesseract_answer(request: dict) -> Reply:
    """Read the (first) image with Tesseract; blocks and lines in the page schema, boxes 0..1000."""
    import tesserocr
    from PIL import Image

    from docpipe.engines.ocr.tesseract import find_tessdata  # only where the language data lives

    image = Image.open(io.BytesIO(page_images(request)[0]))
    width, height = image.size
    scale = lambda x0, y0, x1, y1: [round(x0 * 1000 / width), round(y0 * 1000 / height),  # noqa: E731
                                    round(x1 * 1000 / width), round(y1 * 1000 / height)]
    blocks = []
    with tesserocr.PyTessBaseAPI(path=find_tessdata(), psm=tesserocr.PSM.AUTO) as api:
        api.SetImage(image)
        api.Recognize()
        iterator = api.GetIterator()
        level = tesserocr.RIL.TEXTLINE
        for line in tesserocr.iterate_level(iterator, level):
            text = (line.GetUTF8Text(level) or "").strip()
            box = line.BoundingBox(level)
            if not text or box is None:
                continue
            if line.IsAtBeginningOf(tesserocr.RIL.BLOCK) or not blocks:
                blocks.append({"kind": "paragraph", "bbox": scale(*box), "lines": []})
            blocks[-1]["lines"].append({"text": text, "bbox": scale(*box), "conf": line.Confidence(level) / 100})
    for block in blocks:
        xs = [b for line in block["lines"] for b in (line["bbox"][0], line["bbox"][2])]
        ys = [b for line in block["lines"] for b in (line["bbox"][1], line["bbox"][3])]
        block["bbox"] = [min(xs), min(ys), max(xs), max(ys)]
    return 200, json.dumps({"blocks": blocks, "tables": []}), "stop"


def split_confidences(content: str) -> tuple[str, dict[str, float]]:
    """Take the `conf` the Tesseract answer put on each line out of the content (the schema has none)."""
    try:
        data = json.loads(content)
    except json.JSONDecodeError:
        return content, {}
    confidences = {}
    for block in data.get("blocks", []) if isinstance(data, dict) else []:
        for line in block.get("lines", []) if isinstance(block, dict) else []:
            if isinstance(line, dict) and "conf" in line:
                confidences[json.dumps(line["text"])[1:-1]] = max(1e-6, line.pop("conf"))
    return json.dumps(data), confidences


def _tokens(content: str, confidences: dict[str, float]) -> list[dict]:
    """Content cut into 4-character tokens; a line's text tokens carry log(its confidence)."""
    spans = []
    for escaped, confidence in confidences.items():
        start = content.find(f'"text": "{escaped}"')
        if start >= 0:
            spans.append((start + 9, start + 9 + len(escaped), math.log(confidence)))
    tokens = []
    for position in range(0, len(content), 4):
        piece = content[position: position + 4]
        logprob = next((lp for s, e, lp in spans if s <= position < e), 0.0)
        tokens.append({"token": piece, "logprob": logprob, "bytes": list(piece.encode()), "top_logprobs": []})
    return tokens


def send_json(handler: BaseHTTPRequestHandler, status: int, body: dict) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class FakeVllmServer:
    def __init__(self, responder: Callable[[dict], Reply] = tesseract_answer, model: str = MODEL):
        self.responder, self.model = responder, model
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, body: dict) -> None:
                send_json(self, status, body)

            def do_GET(self):
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [
                        {"id": server.model, "object": "model", "created": int(time.time()), "owned_by": "vllm"}]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.requests.append(request)
                try:
                    status, content, finish = server.responder(request)
                except Exception as exc:  # a broken responder is a 500, as a crashing server's would be
                    status, content, finish = 500, f"{type(exc).__name__}: {exc}", "error"
                if status != 200:
                    self._send(status, {"object": "error", "message": content or "error", "code": status})
                    return
                confidences = {}
                if content and content.lstrip().startswith("{"):
                    content, confidences = split_confidences(content)
                logprobs = {"content": _tokens(content, confidences)} if content and request.get("logprobs") else None
                self._send(200, {
                    "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion",
                    "created": int(time.time()), "model": request["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content,
                                                         "reasoning_content": None, "tool_calls": []},
                                 "logprobs": logprobs, "finish_reason": finish, "stop_reason": None}],
                    "usage": {"prompt_tokens": 1000, "completion_tokens": len(content or "") // 4,
                              "total_tokens": 1000 + len(content or "") // 4},
                })

        return Handler

