"""Builds the HTTP service: settings, middleware, error translation and the routers; nothing else.

The routes live in ``search_api.routes`` (one router per resource), what they share in
``deps``, the loaded index in ``service``. Routes are plain ``def`` functions, so FastAPI runs
them in its thread pool and embedding never blocks the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from search_api import errors
from search_api.guards import BodySizeLimit
from search_api.routes import documents, search, status
from search_api.service import load_service
from search_api.settings import Settings
from search_api.web import router as web_router


def create_app(settings: Settings | None = None, *, embedder: Any = None) -> FastAPI:
    """The service for ``settings``; ``embedder`` (the index's model) is loaded when not given."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = await run_in_threadpool(load_service, settings, embedder)
        yield

    # /docs and /redoc load Swagger UI and ReDoc from this package, not a CDN: intranets are offline.
    app = FastAPIOffline(
        title="zhengce 政策检索",
        version="0.1.0",
        description="Semantic search, extractive answers and precedent search over Chinese policy "
        "documents. Every quote carries a citation whose offsets index GET /documents/{doc_id} text.",
        lifespan=lifespan,
        responses={422: {"description": "invalid request: the message says which field and why"}},
    )
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "X-API-Key"],
        )
    errors.install(app)
    # every router is included here, in one place (the staff web page adds its own)
    for router in (status.router, search.router, documents.router, web_router):
        app.include_router(router)
    return app
