"""/ask/stream: the /ask answer as server-sent events, the model's text as it is written, then checked."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from search_api import request_schemas, schemas
from search_api.deps import ReaderDep, SearcherDep, ServiceDep, count_of
from search_api.generation import event_stream
from search_api.guards import StrictRoute
from search_api.responses import to_filters
from search_api.routes import search

router = APIRouter(route_class=StrictRoute)
EVENT = {  # one server-sent event; its data is JSON (an AskResponse, or {text} for a delta)
    "type": "object", "required": ["event", "data"],
    "properties": {"event": {"enum": ["passages", "delta", "answer"]}, "data": {"type": "string"}},
}
STREAM: dict[int | str, dict[str, Any]] = {200: {"content": {"text/event-stream": {"schema": EVENT}},
                "description": "events: passages (the extractive /ask response), delta {text} for each piece the "
                               "model writes (unchecked), answer (the /ask response with the checked sentences)"}}


@router.post("/ask/stream", response_class=StreamingResponse, responses={**STREAM, **schemas.error_responses(404, 503)},
             tags=["search"])
def ask_stream(body: request_schemas.AskRequest, service: ServiceDep, searcher: SearcherDep, who: ReaderDep) -> StreamingResponse:
    """/ask with the configured language model, streamed; ``generate`` is implied."""
    response = search.ask(body.model_copy(update={"generate": False}), service, searcher, who)
    top_k = count_of(body, "top_k", service.settings, ("body", "top_k"))
    # the same search /ask made (the question's vector is cached): the passages the model is shown
    hits = searcher.search(body.question, top_k=top_k, mode="hybrid", filters=to_filters(body.filters))
    return StreamingResponse(event_stream(response, hits, service.settings), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
