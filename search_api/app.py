"""Builds the HTTP service: settings, middleware, error translation and the routers; nothing else.

The routes live in ``search_api.routes`` (one router per resource), what they share in
``deps``, the loaded index in ``service``. Routes are plain ``def`` functions, so FastAPI runs
them in its thread pool and embedding never blocks the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from search_api import errors
from search_api.audit import AuditLog
from search_api.auth import AuthGate
from search_api.guards import BodyDeadline, BodySizeLimit, HeavyLane, SecurityHeaders
from search_api.jobs import Jobs
from search_api.mcp_server import build_mcp, http_caller, http_service
from search_api.openapi import openapi_schema
from search_api.routes import dify, documents, generation, jobs, metadata, originals, replies, search, status
from search_api.service import Service, load_service
from search_api.settings import Settings
from search_api.upload_job import run_upload_job
from search_api.web import router as web_router

log = logging.getLogger("zhengce.api")


def create_app(settings: Settings | None = None, *, embedder: Any = None) -> FastAPI:
    """The service for ``settings``; ``embedder`` (the index's model) is loaded when not given."""
    settings = settings or Settings()

    # MCP over streamable HTTP at /mcp, beside the API and behind its key gate (search_api/mcp_server.py)
    mcp = build_mcp(http_service, http_caller)
    mcp_routes = mcp.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, host=settings.host).routes

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = await run_in_threadpool(start_service, settings, embedder)
        app.state.service = service
        async with mcp.session_manager.run():
            yield
        service.stop()
        service.jobs.stop()

    # /docs and /redoc load Swagger UI and ReDoc from this package, not a CDN: intranets are offline.
    app = FastAPIOffline(
        title="zhengce 政策检索",
        version="0.1.0",
        description="Semantic search, extractive answers and precedent search over Chinese policy "
        "documents. Every quote carries a citation whose offsets index GET /documents/{doc_id} text.",
        lifespan=lifespan,
        responses={422: {"description": "invalid request: the message says which field and why"}},
    )
    # the last added runs first: keys are checked before any body is read
    app.add_middleware(BodyDeadline, seconds=settings.body_timeout_s, whole_s=settings.body_deadline_s)
    app.add_middleware(HeavyLane, limit=settings.max_heavy_requests)  # a body's deadline runs once it is its turn
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    app.add_middleware(AuthGate, settings=settings)
    app.add_middleware(SecurityHeaders)  # outermost: refusals carry the headers too
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "X-API-Key"],
        )
    errors.install(app)
    # every router is included here, in one place (the staff web page adds its own)
    for router in (status.router, search.router, generation.router, dify.router, replies.router, documents.router,
                   originals.router, metadata.router, jobs.router, web_router):
        app.include_router(router)
    app.router.routes.extend(mcp_routes)
    app.openapi = lambda: openapi_schema(app, settings)  # type: ignore[method-assign]
    return app


def start_service(settings: Settings, embedder: Any) -> Service:
    """Load the index, finish what a previous process left (jobs, orphaned uploads), start the
    upload worker and the thread that follows CURRENT."""
    service = load_service(settings, embedder)
    service.audit = AuditLog(settings.audit_dir or settings.upload_dir.parent / "audit", settings.audit_keep_days)
    service.jobs = Jobs(settings.upload_dir, lambda job, paths, options: run_upload_job(service, job, paths, options))
    settled = service.jobs.recover(
        indexed=service.uses_upload, gone=lambda doc_id: not service.is_served(doc_id),
        audit=lambda who, action, outcome, documents: service.audit_write(who, action, outcome, documents,
                                                                           recovered=True))
    if settled:
        log.warning("settled %d upload jobs or deletions a previous run left unfinished", len(settled))
    service.janitor()
    service.audit.prune()
    service.jobs.start()
    service.watch()
    return service
