"""Request guards that bound what a request may cost before a route runs: body size (declared or
streamed), a deadline for a body that stops arriving, and strict, bounded JSON parsing."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised while a body streams in. FastAPI re-raises an HTTPException from reading the body
    (any other error there becomes a 400), so the app answers it with this 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than the limit of {limit} bytes")


class BodySizeLimit:
    """Refuses request bodies over ``limit`` bytes with 413, declared or streamed (chunked).

    FastAPI's own ``max_body_size`` is not used: it answers a declared length over the limit with
    plain text "Content Too Large", replacing any JSON detail that names the limit.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            refused = BodyTooLarge(self.limit)
            await JSONResponse({"detail": refused.detail}, status_code=refused.status_code)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited_receive, send)


class BodyTimeout(HTTPException):
    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"the request body stopped arriving for {seconds:g} s; send the whole body at once")


class BodyDeadline:
    """Refuses with 408 a body that stops arriving for ``seconds`` (a Content-Length longer than what
    is sent), or that is still arriving ``whole_s`` after the request began (a trickle of a byte a second)."""

    def __init__(self, app: ASGIApp, seconds: float, whole_s: float) -> None:
        self.app = app
        self.seconds = seconds
        self.whole_s = whole_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.whole_s

        read = False  # once the whole body is in, receive() only waits for the client to leave

        async def timed_receive() -> Message:
            nonlocal read
            if read:  # a streamed response (/ask/stream, /mcp) listens for a disconnect as long as it runs
                return await receive()
            left = deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, min(self.seconds, left)))
            except asyncio.TimeoutError:
                raise BodyTimeout(self.seconds if left > self.seconds else self.whole_s) from None
            if message["type"] == "http.request" and message.get("more_body") and \
                    asyncio.get_running_loop().time() > deadline:
                raise BodyTimeout(self.whole_s)
            read = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed_receive, send)


class HeavyLane:
    """At most ``limit`` requests of the expensive kinds (/similar: a whole proposal embedded and
    compared part by part) run at once in this process; more wait their turn without a thread. The
    cores left over stay free for searches, which never queue here."""

    HEAVY = (("POST", "/similar"), ("GET", "/documents/", "/similar"), ("POST", "/web/api/precedents.docx"))

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._lane: asyncio.Semaphore | None = None

    def heavy(self, scope: Scope) -> bool:
        method, path = scope.get("method"), scope.get("path", "")
        return any(method == kind[0] and path.startswith(kind[1]) and path.endswith(kind[-1]) for kind in self.HEAVY)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.heavy(scope):
            await self.app(scope, receive, send)
            return
        if self._lane is None:
            self._lane = asyncio.Semaphore(self.limit)
        async with self._lane:
            await self.app(scope, receive, send)


class JSONRefused(HTTPException):
    """A JSON body refused before validation, in FastAPI's 422 error format."""

    def __init__(self, message: str) -> None:
        super().__init__(422, [{"type": "json_invalid", "loc": ["body"], "msg": message}])


class JSONTooLarge(HTTPException):
    """A JSON body over ``max_json_bytes``: 413, like any body over its limit."""

    def __init__(self, limit: int, size: int | None = None) -> None:
        has = "" if size is None else f"; this one has {size}"
        super().__init__(413, f"a JSON body may have at most {limit} bytes{has}")


def strict_json(body: bytes, max_bytes: int, max_keys: int, max_containers: int) -> Any:
    """JSON as RFC 8259 has it: UTF-8, finite numbers only, and bounded in size, keys and nesting."""
    if len(body) > max_bytes:
        raise JSONTooLarge(max_bytes, len(body))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise JSONRefused(f"the body is not valid UTF-8 (byte {error.start}); send JSON encoded as UTF-8") from None
    containers = text.count("{") + text.count("[")
    if containers > max_containers:
        raise JSONRefused(f"at most {max_containers} objects and arrays per body; this one has up to {containers}")
    keys = 0

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal keys
        keys += len(items)
        if keys > max_keys:
            raise JSONRefused(f"at most {max_keys} object keys per body")
        return dict(items)

    def finite(number: str) -> float:
        value = float(number)
        if not math.isfinite(value):
            raise JSONRefused(f"number {number[:40]} is out of range")
        return value

    def constant(name: str) -> Any:
        raise JSONRefused(f"{name} is not JSON; numbers must be finite")

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_float=finite, parse_constant=constant)
    except json.JSONDecodeError as error:
        raise JSONRefused(f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from None
    except RecursionError:
        raise JSONRefused("the JSON is nested too deeply") from None


async def read_bounded(request: Request, limit: int) -> bytes:
    """The body, read only while it stays within ``limit`` bytes (chunked bodies declare no length)."""
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise JSONTooLarge(limit)
        parts.append(part)
    request._body = b"".join(parts)  # what Request.body() returns from now on
    return request._body


def query_names(route: APIRoute) -> set[str]:
    """The query parameters a route declares (a model's fields for ``Annotated[Model, Query()]``)."""
    from pydantic import BaseModel

    names: set[str] = set()
    dependants = [route.dependant]
    while dependants:
        dependant = dependants.pop()
        dependants.extend(dependant.dependencies)
        for param in dependant.query_params:
            kind = param.field_info.annotation
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                names.update(f.alias or name for name, f in kind.model_fields.items())
            else:
                names.add(param.alias)
    return names


CARRIES_RESULT = "_zhengce_carries_result"


def carries_result(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Marks an endpoint whose body is one of the service's own answers sent back (an export): its
    JSON may hold the keys of a whole result, still bounded by ``max_result_json_*``."""
    setattr(endpoint, CARRIES_RESULT, True)
    return endpoint


class StrictRoute(APIRoute):
    """Routes that refuse undeclared query parameters (a typo is an error, not an ignored filter)
    and parse JSON bodies by ``strict_json`` with the service's limits."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        parameters = query_names(self)

        async def strict(request: Request) -> Response:
            unknown = sorted(set(request.query_params) - parameters)
            if unknown:
                raise RequestValidationError([{
                    "type": "extra_forbidden", "loc": ["query", unknown[0][:100]], "input": None,
                    "msg": f"unknown query parameter; this operation takes {', '.join(sorted(parameters)) or 'none'}",
                }])
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if request.method in ("POST", "PUT", "PATCH") and (not kind or kind.endswith("json")):
                settings = request.app.state.service.settings
                declared = request.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > settings.max_json_bytes:  # refused unread
                    raise JSONTooLarge(settings.max_json_bytes, int(declared))
                body = await read_bounded(request, settings.max_json_bytes)
                keys, containers = (settings.max_result_json_keys, settings.max_result_json_containers) \
                    if getattr(self.endpoint, CARRIES_RESULT, False) else (settings.max_json_keys, settings.max_json_containers)
                parsed = body and strict_json(body, settings.max_json_bytes, keys, containers)
                if body:
                    request._json = parsed  # what Request.json() returns from now on
            return await handler(request)

        return strict


class SecurityHeaders:
    """Headers every response carries: no other site may frame it (the pages' CSP also says
    frame-ancestors 'none', for browsers that read only one), sniff its type or read where it came from."""

    HEADERS = ((b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"))

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in self.HEADERS if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
