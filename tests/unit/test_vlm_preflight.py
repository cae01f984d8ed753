"""check_server: the run stops up front when a VLM server cannot answer pages, and only then."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from docpipe.config import VlmConfig
from docpipe.engines.vlm.server import check_server
from docpipe.errors import VlmUnavailable
from support.raycluster import free_port
from support.vlm_server import MODEL, send_json


class Server:
    """Answers GET /v1/models and POST /v1/chat/completions with the given (status, body)."""

    def __init__(self, models: tuple[int, dict], chat: tuple[int, dict]):
        self.chat_calls = 0
        replies = {"GET": models, "POST": chat}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self):
                if self.command == "POST":
                    self.rfile.read(int(self.headers["Content-Length"]))
                    server.chat_calls += 1
                send_json(self, *replies[self.command])

            do_GET = do_POST = _reply

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


LISTED = (200, {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "x"}]})
ANSWER = (200, {"id": "c", "object": "chat.completion", "created": 0, "model": MODEL, "choices": [
    {"index": 0, "message": {"role": "assistant", "content": "p"}, "finish_reason": "length"}]})
NO_DB = (400, {"error": {"message": "No connected db.", "type": "no_db_connection", "code": "400"}})


def _check(models, chat, **vlm) -> Server:
    server = Server(models, chat)
    try:
        check_server(VlmConfig(url=server.url, timeout_s=10, **vlm))
    finally:
        server.close()
    return server


def test_a_server_that_lists_the_model_passes_without_a_chat_request():
    assert _check(LISTED, NO_DB).chat_calls == 0


def test_a_model_the_server_does_not_serve_is_named():
    with pytest.raises(VlmUnavailable, match="does not serve 'other/model'.*pass --model"):
        _check(LISTED, ANSWER, model="other/model")


def test_a_refused_key_names_the_variable():
    with pytest.raises(VlmUnavailable, match="refused the API key; set DOCPIPE_VLM_API_KEY"):
        _check((401, {"error": {"message": "bad key"}}), ANSWER)


def test_a_gateway_that_refuses_with_400_stops_the_run_with_its_reason():
    # LiteLLM's proxy answers an unknown key with 400 "No connected db." on every route.
    with pytest.raises(VlmUnavailable, match=r"refused a test request \(400: No connected db.\).*DOCPIPE_VLM_API_KEY"):
        _check(NO_DB, NO_DB)


def test_a_server_without_a_model_list_is_asked_once_and_passes():
    assert _check((404, {"error": {"message": "not found"}}), ANSWER).chat_calls == 1


def test_a_busy_server_does_not_stop_the_run():
    assert _check((404, {"error": {"message": "not found"}}), (503, {"error": {"message": "loading"}})).chat_calls >= 1


def test_an_unreachable_server_says_so():
    with pytest.raises(VlmUnavailable, match="cannot reach the VLM server"):
        check_server(VlmConfig(url=f"http://127.0.0.1:{free_port()}/v1", timeout_s=5))
