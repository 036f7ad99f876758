"""/ask with the office's language model: the checked answer put into the /ask response, and the
event stream of /ask/stream (indexer.generation does the work; this is the HTTP side of it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from indexer.generation.answer import Generated, generate_answer, stream_answer
from indexer.generation.client import ChatClient
from search_api import schemas
from search_api.responses import to_citation
from search_api.settings import Settings


def llm_client(settings: Settings) -> ChatClient | None:
    """The configured model's client; None when ``llm_base_url`` or ``llm_model`` is not set."""
    if not settings.llm_base_url or not settings.llm_model:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return ChatClient(settings.llm_base_url, settings.llm_model, key, settings.llm_timeout)


def with_generated(response: schemas.AskResponse, hits: list[Any], settings: Settings) -> schemas.AskResponse:
    """``response`` (the extractive /ask answer) with the model's checked answer, or with why not.
    The no-answer decision comes first: when /ask found no answer the model is not called."""
    client = llm_client(settings)
    try:
        outcome = generate_answer(response.question, hits, client, answered=not response.no_answer,
                                  max_tokens=settings.llm_max_tokens)
    finally:
        if client is not None:
            client.close()
    return applied(response, outcome, settings.llm_model)


def applied(response: schemas.AskResponse, outcome: Generated, model: str | None) -> schemas.AskResponse:
    update: dict[str, Any] = {"mode": outcome.mode, "why": outcome.why, "why_message": outcome.message}
    if outcome.check is not None:
        sources = {s.number: s.hit for s in outcome.sources}
        update["generated"] = schemas.GeneratedAnswer(
            model=model or "",
            sentences=[
                schemas.CheckedSentence(text=s.text, markers=list(s.markers),
                                        citations=[to_citation(sources[n].chunk, sources[n].document) for n in s.markers])
                for s in outcome.check.kept
            ],
            dropped=[schemas.DroppedSentence(text=d.text, code=d.code, reason=d.reason) for d in outcome.check.dropped],
            kept_share=outcome.check.kept_share,
        )
    if outcome.mode == "generated":
        update["answer"] = outcome.answer
    return response.model_copy(update=update)


def event_stream(response: schemas.AskResponse, hits: list[Any], settings: Settings) -> Iterator[str]:
    """Server-sent events: ``passages`` (the extractive /ask response), ``delta`` for each piece of
    the model's text as it arrives (unchecked: a page shows it as provisional), then ``answer``, the
    /ask response with the checked sentences, which replaces everything shown before it."""
    yield _event("passages", response.model_dump(mode="json"))
    client = llm_client(settings)
    try:
        for item in stream_answer(response.question, hits, client, answered=not response.no_answer,
                                  max_tokens=settings.llm_max_tokens):
            if isinstance(item, str):
                yield _event("delta", {"text": item})
            else:
                yield _event("answer", applied(response, item, settings.llm_model).model_dump(mode="json"))
    finally:
        if client is not None:
            client.close()


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
