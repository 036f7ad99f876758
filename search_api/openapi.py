"""The OpenAPI schema with the limits this deployment's settings put on requests.

Limits come from settings, so the request models cannot state them; they are written into the
generated schema here, so clients (and schemathesis) see what the server really accepts.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from search_api.settings import Settings


def openapi_schema(app: FastAPI, settings: Settings) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        limits = {"top_k": {"maximum": settings.max_top_k}, "limit": {"maximum": settings.max_top_k},
                  "query": {"maxLength": settings.max_query_chars}, "question": {"maxLength": settings.max_query_chars},
                  "text": {"maxLength": settings.max_similar_chars}}
        for name, model in schema.get("components", {}).get("schemas", {}).items():
            if name.endswith("Request"):
                for field, extra in limits.items():
                    if field in model.get("properties", {}):
                        model["properties"][field].update(extra)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for parameter in operation.get("parameters", []):
                    if parameter["name"] in ("top_k", "limit"):
                        parameter["schema"].update(limits[parameter["name"]])
        app.openapi_schema = schema
    return app.openapi_schema
