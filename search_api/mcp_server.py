"""The MCP server (official ``mcp`` SDK): search, ask, find_precedents and get_document for Cherry
Studio, Dify's agents or any MCP client, over stdio (`zhengce mcp`) or streamable HTTP (/mcp, beside
the API).

Each tool is the HTTP route of the same name run as is, so its answer (citations and all) and its
checks are the API's own. Nothing here writes. Over HTTP the API's key gate has already run
(``auth.AuthGate``: /mcp is a read, so a key is needed where reads need one) and the caller it found
is the one audited; over stdio the caller is the key the process was started with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import anyio
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

from indexer.errors import ZhengceError
from search_api import request_schemas
from search_api.auth import ANONYMOUS, SCOPE_KEY, Caller
from search_api.deps import find_document, get_searcher
from search_api.routes import documents, search
from search_api.service import Service

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
INSTRUCTIONS = (
    "政策检索 zhengce: search the office's indexed policy documents (公文). Every passage and answer sentence "
    "carries a citation (doc_id, title, 文号, issuer, date, page, char_start, char_end); get_document returns the "
    "text those offsets index. Quote citations as given."
)


def build_mcp(service_of: Callable[[Context], Service], caller_of: Callable[[Context], dict[str, Any]]) -> MCPServer:
    """The tools, reading the service and the caller of each call through the two functions given."""
    # MCPServer configures the root logger (INFO, rich) when it has no handler: it would change the whole
    # server's log; a handler present for the moment leaves the process's logging as the process set it
    root = logging.getLogger()
    placeholder = logging.NullHandler()
    root.addHandler(placeholder)
    try:
        server = MCPServer(name="zhengce", instructions=INSTRUCTIONS)
    finally:
        root.removeHandler(placeholder)

    async def call(ctx: Context, route: Callable[..., Any], *args: Any) -> dict[str, Any]:
        service, who = service_of(ctx), caller_of(ctx)

        def run() -> dict[str, Any]:
            try:
                return route(*args, service, who).model_dump(mode="json")
            except HTTPException as error:
                raise ToolError(str(error.detail)) from None
            except RequestValidationError as error:
                raise ToolError("; ".join(str(e.get("msg")) for e in error.errors())) from None
            except ZhengceError as error:
                raise ToolError(str(error)) from None

        return await anyio.to_thread.run_sync(run)  # ranking and the model never hold the event loop

    @server.tool(name="search", annotations=READ_ONLY)
    async def search_documents(ctx: Context, query: str, top_k: int = 10, by_document: bool = False) -> dict[str, Any]:
        """Ranked passages of the indexed policy documents for keywords, a question or a 文号, each with its citation."""
        body = _request(request_schemas.SearchRequest, query=query, top_k=top_k, by_document=by_document)
        return await call(ctx, lambda s, w: search.search(body, s, get_searcher(s), w))

    @server.tool(annotations=READ_ONLY)
    async def ask(ctx: Context, question: str, top_k: int = 5, generate: bool = False) -> dict[str, Any]:
        """The answer to a question quoted from the documents (or, with generate and a configured model, written by
        it with every sentence's citations checked); no_answer when nothing answers it reliably."""
        body = _request(request_schemas.AskRequest, question=question, top_k=top_k, generate=generate)
        return await call(ctx, lambda s, w: search.ask(body, s, get_searcher(s), w))

    @server.tool(annotations=READ_ONLY)
    async def find_precedents(ctx: Context, text: str, top_k: int = 10) -> dict[str, Any]:
        """Past documents most like a pasted proposal or draft reply, with the passages matching each part of it."""
        body = _request(request_schemas.SimilarRequest, text=text, top_k=top_k)
        return await call(ctx, lambda s, w: search.similar(body, s, get_searcher(s), w))

    @server.tool(annotations=READ_ONLY)
    async def get_document(ctx: Context, doc_id: str) -> dict[str, Any]:
        """A document's metadata and cleaned text; a citation's text[char_start:char_end] is its quote."""

        def read(service: Service, who: dict[str, Any]) -> Any:
            searcher = get_searcher(service)
            find_document(searcher, doc_id)
            service.audit_read(who, "get_document", doc_id, [doc_id])
            return documents.get_document(doc_id, searcher)

        return await call(ctx, read)

    return server


def _request(model: type[request_schemas.Request], **fields: Any) -> Any:
    try:
        return model(**fields)
    except ValueError as error:
        raise ToolError(str(error)) from None


def http_caller(ctx: Context) -> dict[str, Any]:
    """The caller ``auth.AuthGate`` identified for this HTTP request."""
    request = ctx.request_context.request
    caller: Caller = request.scope.get(SCOPE_KEY, ANONYMOUS) if request is not None else ANONYMOUS
    client = request.client.host if request is not None and request.client else None
    return {"key": caller.name, "client": f"mcp {client}" if client else "mcp"}


def http_service(ctx: Context) -> Service:
    request = ctx.request_context.request
    return request.app.state.service  # type: ignore[union-attr]
