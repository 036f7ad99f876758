"""Dependencies of the routes: the service, the generation a request reads, the API key, limits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.security import APIKeyHeader
from pydantic import BaseModel

from indexer.errors import NotFound
from search_api.auth import ANONYMOUS, SCOPE_KEY, authorize, required_role
from search_api.errors import invalid
from search_api.service import Service
from search_api.settings import Settings

API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="required for uploads and deletions")
DOC_ID = Annotated[str, PathParam(min_length=1, max_length=200, description="document id from a citation")]


def get_service(request: Request) -> Service:
    return request.app.state.service


def get_searcher(service: Annotated[Service, Depends(get_service)]) -> Any:
    """The index generation current when the request arrived; later swaps do not affect it."""
    searcher = service.searcher
    if searcher is None:
        raise HTTPException(503, service.load_error or "the index is not loaded yet")
    return searcher


def caller(request: Request, service: Annotated[Service, Depends(get_service)],
           given: Annotated[str | None, Depends(API_KEY_HEADER)]) -> dict[str, Any]:
    """Who sends the request (checked already by ``auth.AuthGate``, before the body was read: the key
    or the signed-in page's session), as the audit log records it."""
    who = request.scope.get(SCOPE_KEY)
    if who is None:  # no gate in front (never in the app): check here
        who = authorize(service.settings, given, required_role(request.method, request.url.path, service.settings,
                                                               request.url.query))
    return {"key": who.name, "client": request.client.host if request.client else None, "role": who.role}


def reader(request: Request) -> dict[str, Any]:
    """Who sends a read, as ``auth.AuthGate`` identified them (no key: "anonymous"); unlike ``caller``
    it declares no key in the schema, since reads are open unless ``require_key_for_read``."""
    who = request.scope.get(SCOPE_KEY, ANONYMOUS)
    return {"key": who.name, "client": request.client.host if request.client else None, "role": who.role}


ServiceDep = Annotated[Service, Depends(get_service)]
ReaderDep = Annotated[dict[str, Any], Depends(reader)]
SearcherDep = Annotated[Any, Depends(get_searcher)]
CallerDep = Annotated[dict[str, Any], Depends(caller)]


def check_top_k(value: int, settings: Settings, location: tuple[str, ...] = ("body", "top_k")) -> None:
    if not 1 <= value <= settings.max_top_k:
        raise invalid(location, f"top_k must be between 1 and {settings.max_top_k}", value)


def count_of(request: BaseModel, name: str, settings: Settings, location: tuple[str, ...]) -> int:
    """``request.<name>`` (top_k, limit) checked against ``max_top_k``; a default the client did not
    send is lowered to the maximum instead, as the schema states (``openapi.openapi_schema``)."""
    value = getattr(request, name)
    if name not in request.model_fields_set:
        return min(value, settings.max_top_k)
    check_top_k(value, settings, location)
    return value


def check_length(value: str, limit: int, location: tuple[str, ...]) -> None:
    if len(value) > limit:
        raise invalid(location, f"{location[-1]} is {len(value)} characters; the limit is {limit}", len(value))


def find_document(searcher: Any, doc_id: str) -> Any:
    document = searcher.index.documents.get(doc_id)
    if document is None:
        raise NotFound(f"no document with doc_id {doc_id!r} in the index")
    return document
