"""The OpenAPI schema with the limits this deployment's settings put on requests.

Limits come from settings, so the request models cannot state them; they are written into the
generated schema here, so clients (and schemathesis) see what the server really accepts: maxima,
defaults no larger than them, how many files an upload may carry, and the statuses that the
middleware (not the routes) answers: 413 for a body over its limit, 408 for a stalled one, 400
for multipart that cannot be parsed,
401/403 for reads when keys are required for them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from search_api.settings import Settings

ERROR = {"$ref": "#/components/schemas/Error"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def openapi_schema(app: FastAPI, settings: Settings) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        limits = {"top_k": {"maximum": settings.max_top_k}, "limit": {"maximum": settings.max_top_k},
                  "query": {"maxLength": settings.max_query_chars}, "question": {"maxLength": settings.max_query_chars},
                  "text": {"maxLength": settings.max_similar_chars}}
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("Error", {"type": "object", "properties": {"detail": {"type": "string"}},
                                        "required": ["detail"], "title": "Error"})
        for name, model in components.items():
            if name.endswith("Request"):
                for field, extra in limits.items():
                    if field in model.get("properties", {}):
                        _bound(model["properties"][field], extra)
            elif name.startswith("Body_upload_documents"):
                model["properties"]["files"].update(minItems=1, maxItems=settings.max_upload_files)
        _reply_limits(components, settings)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for parameter in operation.get("parameters", []):
                    if parameter["name"] in ("top_k", "limit"):
                        _bound(parameter["schema"], limits[parameter["name"]])
                responses = operation["responses"]
                if "requestBody" in operation:
                    responses.setdefault("413", _error("the body is larger than the server's limit"))
                    responses.setdefault("408", _error("the body stopped arriving"))
                    if "multipart/form-data" in operation["requestBody"].get("content", {}):
                        responses.setdefault("400", _error("the multipart body cannot be parsed"))
                if settings.require_key_for_read:
                    responses.setdefault("401", _error("missing or wrong X-API-Key header"))
                    responses.setdefault("403", _error("the key's role does not allow this"))
        _link(schema)
        app.openapi_schema = schema
    return app.openapi_schema


# where an answer names something another operation reads: (from, status, to, parameter, expression)
LINKS = (
    ("post", "/documents", "202", "get", "/jobs/{job_id}", "job_id", "$response.body#/job_id"),
    ("get", "/documents", "200", "get", "/documents/{doc_id}", "doc_id", "$response.body#/documents/0/doc_id"),
    ("get", "/documents", "200", "get", "/documents/{doc_id}/similar", "doc_id", "$response.body#/documents/0/doc_id"),
    ("get", "/documents", "200", "delete", "/documents/{doc_id}", "doc_id", "$response.body#/documents/0/doc_id"),
    ("post", "/search", "200", "get", "/documents/{doc_id}", "doc_id", "$response.body#/passages/0/citation/doc_id"),
    ("delete", "/documents/{doc_id}", "200", "get", "/documents/{doc_id}", "doc_id", "$response.body#/doc_id"),
)


def _link(schema: dict[str, Any]) -> None:
    """OpenAPI links: an upload's 202 leads to its job (the document exists only once the job is
    done), listed and found documents to their reads and deletion."""
    paths = schema.get("paths", {})
    for method, path, status, to_method, to_path, name, expression in LINKS:
        if path in paths and to_path in paths:
            target = paths[to_path][to_method]["operationId"]
            links = paths[path][method]["responses"][status].setdefault("links", {})
            links[f"{target}.{name}"] = {"operationId": target, "parameters": {name: expression}}


def _bound(field: dict[str, Any], extra: dict[str, int]) -> None:
    """Add the maximum; a default above it is lowered to it, as the routes do (``deps.count_of``)."""
    field.update(extra)
    if "maximum" in extra and isinstance(field.get("default"), int):
        field["default"] = min(field["default"], extra["maximum"])


def _reply_limits(components: dict[str, Any], settings: Settings) -> None:
    """/replies/*: as many parts, of as many characters, as the JSON limit leaves room for."""
    from search_api.reply_schemas import part_limits

    parts, chars = part_limits(settings)
    if "ReplyRequest" in components:
        for name in ("asks", "ticked", "sections"):
            _array(components["ReplyRequest"]["properties"][name]).update(maxItems=parts)
        _array(components["ReplyRequest"]["properties"]["asks"])["items"]["maxLength"] = chars
    if "SectionIn" in components:
        components["SectionIn"]["properties"]["text"]["maxLength"] = chars
    codes = _result_codes()
    if codes and "ReplyRequest" in components:  # the office's 办理结果 codes when the schema was made
        options = components["ReplyRequest"]["properties"]["result_code"].get("anyOf", [])
        for option in options:
            if option.get("type") == "string":
                option["enum"] = codes


def _result_codes() -> list[str] | None:
    from indexer.drafting.office import office_settings
    from indexer.errors import BadInput

    try:
        return list(office_settings().result_codes)
    except BadInput:  # broken office settings: every /replies request says why; the schema stays open
        return None


def _array(field: dict[str, Any]) -> dict[str, Any]:
    """The array schema of a field that may also be null (anyOf)."""
    return next((option for option in field.get("anyOf", [field]) if option.get("type") == "array"), field)
