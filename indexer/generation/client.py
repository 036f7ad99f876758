"""A client of the OpenAI chat completions API, the one vLLM, Ollama, Xinference, LM Studio and
``transformers serve`` all speak.

Everything goes through the streaming call, so one deadline bounds the whole answer: a server that
accepts the connection and then trickles tokens is cut off as surely as one that never answers.
Every failure is a ``ModelUnavailable`` with its kind, which the caller turns into the extractive
answer; nothing here retries (a retry doubles the wait of a person looking at the page).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from indexer.errors import ModelUnavailable

MAX_TOKENS = 400  # a short answer: three sentences of Chinese with their markers fit easily


class ChatClient:
    """``base_url`` as the servers print it, ending in /v1 (http://127.0.0.1:8000/v1)."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout), transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def stream(self, messages: list[dict[str, str]], max_tokens: int = MAX_TOKENS) -> Iterator[str]:
        """The answer's text as the model writes it, piece by piece; ModelUnavailable when the
        server cannot be reached, answers an error, or has not finished within ``timeout`` seconds."""
        deadline = time.monotonic() + self.timeout
        body = {"model": self.model, "messages": messages, "stream": True, "max_tokens": max_tokens,
                "temperature": 0}
        try:
            with self._http.stream("POST", self.url, json=body) as response:
                if response.status_code != 200:
                    response.read()
                    raise ModelUnavailable("model_error", f"HTTP {response.status_code} from {self.url}: "
                                           f"{response.text[:200]}")
                for line in response.iter_lines():
                    if time.monotonic() > deadline:
                        raise ModelUnavailable("timeout", f"no complete answer within {self.timeout:g} s")
                    piece = _delta(line)
                    if piece is None:
                        return
                    if piece:
                        yield piece
        except httpx.TimeoutException as error:
            raise ModelUnavailable("timeout", f"{type(error).__name__} after {self.timeout:g} s") from None
        except httpx.HTTPError as error:
            raise ModelUnavailable("unreachable", f"{self.url}: {type(error).__name__}: {error}") from None

    def complete(self, messages: list[dict[str, str]], max_tokens: int = MAX_TOKENS) -> str:
        return "".join(self.stream(messages, max_tokens))


def _delta(line: str) -> str | None:
    """The text of one server-sent line ("" for lines without text); None at the end ([DONE])."""
    if not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    try:
        event: Any = json.loads(data)
        choice = event["choices"][0] if event.get("choices") else {}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ModelUnavailable("model_error", f"not a chat completion chunk: {data[:200]}") from None
    return (choice.get("delta") or {}).get("content") or ""
