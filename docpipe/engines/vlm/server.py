"""A thin adapter over an OpenAI-compatible server (`vllm serve`, NIM, any gateway).

The official `openai` client does the transport: it retries 408/409/429 and
5xx answers and timeouts with exponential backoff (honouring Retry-After), so
docpipe does not write its own retry loop for the network. Clients are made
per worker, never at import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from docpipe.config import VlmConfig
from docpipe.errors import VlmUnavailable


@dataclass
class Completion:
    text: Optional[str]
    finish_reason: Optional[str]
    token_logprobs: Optional[list[tuple[str, float]]] = None


def make_client(vlm: VlmConfig):
    import openai

    # vllm serve without --api-key accepts anything, but the client insists on a value.
    api_key = os.environ.get(vlm.api_key_env) or "not-needed"
    return openai.OpenAI(base_url=vlm.url, api_key=api_key, max_retries=vlm.http_retries, timeout=vlm.timeout_s)


def check_server(vlm: VlmConfig) -> None:
    """Fail the run up front when the server cannot be reached or refuses the key."""
    import openai

    client = make_client(vlm).with_options(max_retries=1, timeout=min(vlm.timeout_s, 30.0))
    try:
        served = [m.id for m in client.models.list()]
    except openai.APIConnectionError as exc:
        raise VlmUnavailable(f"cannot reach the VLM server at {vlm.url} ({exc}); is it running?") from exc
    except openai.AuthenticationError as exc:
        raise VlmUnavailable(
            f"the VLM server at {vlm.url} refused the API key; set {vlm.api_key_env}") from exc
    except openai.APIStatusError:
        # Some gateways do not list models (or answer 400 to a key they do not know):
        # one tiny request says whether pages would get answers at all.
        _check_chat(client, vlm)
        return
    if served and vlm.model not in served:
        raise VlmUnavailable(f"the server at {vlm.url} does not serve {vlm.model!r} (it serves: "
                             f"{', '.join(served)}); pass --model")


def _check_chat(client, vlm: VlmConfig) -> None:
    """A one-token request; a refusal (4xx other than 429) fails the run, a busy server does not."""
    import openai

    try:
        client.chat.completions.create(model=vlm.model, max_tokens=1,
                                       messages=[{"role": "user", "content": "ping"}])
    except openai.APIStatusError as exc:
        if exc.status_code == 429 or exc.status_code >= 500:
            return  # busy or failing for now: page requests retry with backoff
        raise VlmUnavailable(
            f"the VLM server at {vlm.url} refused a test request ({exc.status_code}: {_reason(exc)}); "
            f"check --vlm-url, --model ({vlm.model}) and the API key in ${vlm.api_key_env}") from exc


def _reason(exc) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body)
    return str(error.get("message") if isinstance(error, dict) and error.get("message") else exc.message)


def complete(client, kwargs: dict) -> Completion:
    response = client.chat.completions.create(**kwargs)
    if not response.choices:
        return Completion(None, None)
    choice = response.choices[0]
    tokens = None
    if choice.logprobs is not None and choice.logprobs.content:
        tokens = [(item.token, item.logprob) for item in choice.logprobs.content]
    return Completion(choice.message.content, choice.finish_reason, tokens)
