"""The one place where the error kinds of ``indexer.errors`` become HTTP statuses and words.

Routes raise ``BadInput``, ``NotFound``, ``IndexBusy`` ... and never build an error response
themselves; anything that is not one of those kinds is a bug: a 500 with a log line.
"""

from __future__ import annotations

import errno
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from indexer.errors import BadInput, IndexBusy, IndexMismatch, NotFound, UnreadableFile, ZhengceError
from search_api import words

log = logging.getLogger("zhengce.api")

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ECHO_CHARS = 200  # how much of a rejected input a 422 repeats back
# most specific first; the base class last: an expected failure without a kind of its own
STATUS_OF = ((BadInput, 422), (UnreadableFile, 422), (NotFound, 404), (IndexBusy, 409), (IndexMismatch, 409),
             (ZhengceError, 503))


def status_of(error: ZhengceError) -> int:
    return next(status for kind, status in STATUS_OF if isinstance(error, kind))


DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)
# numpy writes arrays with fwrite and reports a short write without an errno: "8192 requested and 0 written"
SHORT_WRITE = re.compile(r"\d+ requested and \d+ written")
WORDS = {507: words.DISK_FULL, 503: words.READ_ONLY}  # what staff read of a failed write (search_api.words)


def fault_status(error: OSError) -> int | None:
    """507 for a full disk, 503 for a folder the server may not write; None: not a storage fault."""
    if error.errno in DISK_FULL or (error.errno is None and SHORT_WRITE.search(str(error))):
        return 507
    if error.errno in READ_ONLY:
        return 503
    return None


def failure_message(error: BaseException) -> str:
    """What a person is told about a failed write."""
    status = fault_status(error) if isinstance(error, OSError) else None
    if isinstance(error, OSError) and status is not None:
        return WORDS[status].format(where=error.filename or words.STORAGE, why=error.strerror or error)
    return str(error)


def invalid(field_path: tuple[str, ...], message: str, value: Any = None) -> RequestValidationError:
    """A 422 in FastAPI's own error format, for limits that depend on the settings."""
    return RequestValidationError([{"type": "value_error", "loc": field_path, "msg": message, "input": value}])


def printable(value: Any) -> Any:
    """An error detail safe to send back: long echoed inputs cut, unpaired surrogates replaced."""
    if isinstance(value, dict):
        return {k: printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    if isinstance(value, str):
        text = value if len(value) <= ECHO_CHARS else value[:ECHO_CHARS] + "…"
        return text.encode("utf-8", "replace").decode("utf-8")
    return value


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route serves at the request's path (the Allow header of a 405)."""
    return [method for method in METHODS if any(
        route.matches({**request.scope, "method": method})[0] == Match.FULL for route in app.router.routes)]


def install(app: FastAPI) -> None:
    """Register the translations on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        detail = [printable(e) for e in jsonable_encoder(error.errors())]
        log.info("422 on %s %s: %s", request.method, request.url.path, detail)
        return JSONResponse(words.error_body(422, detail), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 405:  # Starlette names only the first matching route's methods
            error.headers = {**(error.headers or {}), "Allow": ", ".join(allowed_methods(app, request))}
        if error.status_code < 400:
            return await http_exception_handler(request, error)
        log.info("%d on %s %s: %s", error.status_code, request.method, request.url.path, error.detail)
        return JSONResponse(words.error_body(error.status_code, error.detail), status_code=error.status_code,
                            headers=error.headers)

    @app.exception_handler(ZhengceError)
    async def expected(request: Request, error: ZhengceError) -> JSONResponse:
        status = status_of(error)
        headers = {"Retry-After": "5"} if isinstance(error, IndexBusy) else None
        log.info("%d on %s %s: %s", status, request.method, request.url.path, error)
        return JSONResponse({"detail": str(error), "message": words.for_error(error, status)}, status_code=status,
                            headers=headers)

    @app.exception_handler(OSError)
    async def storage(request: Request, error: OSError) -> JSONResponse:
        status = fault_status(error)
        if status is None:
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            return JSONResponse(words.error_body(500, "internal error; the server log has the details"), status_code=500)
        log.error("storage fault on %s %s: %s", request.method, request.url.path, error)
        return JSONResponse(words.error_body(status, failure_message(error)), status_code=status)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(words.error_body(500, "internal error; the server log has the details"), status_code=500)
