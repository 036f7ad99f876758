"""Named API keys with roles, checked before a request body is read.

Roles are ordered: read < write (uploads) < admin (deletions). ``ZHENGCE_API_KEY`` is the admin
key named "default"; ``ZHENGCE_API_KEYS`` adds named keys. Reads need no key unless
``require_key_for_read`` is set.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from search_api.messages import error_body
from search_api.settings import ROLES, Settings

OPEN_PATHS = ("/healthz", "/readyz", "/docs", "/redoc", "/openapi.json", "/static")
SCOPE_KEY = "zhengce.caller"


@dataclass(frozen=True)
class Caller:
    name: str  # the key's name, or "anonymous"
    role: str | None  # None: no key given


ANONYMOUS = Caller("anonymous", None)


def required_role(method: str, path: str, settings: Settings) -> str | None:
    """The least role a request needs; None when it is open to anyone."""
    if path.startswith(OPEN_PATHS) or path == "/retrieval":  # /retrieval: Dify's Bearer key, checked by routes/dify.py
        return None
    if method == "DELETE" and path.startswith("/documents/"):
        return "admin"
    if method in ("PUT", "PATCH") and path.startswith("/documents/"):  # metadata corrections
        return "write"
    if (method == "POST" and path == "/documents") or path.startswith("/jobs"):
        return "write"
    return "read" if settings.require_key_for_read else None


def identify(settings: Settings, given: str | None) -> Caller | None:
    """The key's owner, compared in constant time against every configured key; None: no match."""
    keys = {name: (k.key.get_secret_value(), k.role) for name, k in settings.api_keys.items()}
    if settings.api_key is not None:
        keys["default"] = (settings.api_key.get_secret_value(), "admin")
    found = None
    presented = (given or "").encode("utf-8", "replace")
    for name, (secret, role) in keys.items():
        if hmac.compare_digest(presented, secret.encode("utf-8")) and given:
            found = Caller(name, role)
    return found


def authorize(settings: Settings, given: str | None, role: str | None) -> Caller:
    """The caller, or an HTTPException: 403 when no key is configured for writes, 401 when the key is
    missing or wrong, 403 when the key's role is below ``role``."""
    caller = identify(settings, given) if given else None
    if role is None:
        return caller or ANONYMOUS
    if role != "read" and settings.api_key is None and not settings.api_keys:
        raise HTTPException(403, "uploads and deletions are disabled: the server has no ZHENGCE_API_KEY set")
    if caller is None:
        raise HTTPException(401, "missing or wrong X-API-Key header", headers={"WWW-Authenticate": "X-API-Key"})
    if ROLES.index(caller.role or "read") < ROLES.index(role):
        raise HTTPException(403, f"key {caller.name!r} has role {caller.role}; this needs {role}")
    return caller


class AuthGate:
    """Answers 401/403 before the body is read: a 45 MB upload without a key costs nothing."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            given = headers.get(b"x-api-key")
            try:
                caller = authorize(
                    self.settings, given.decode("latin-1") if given is not None else None,
                    required_role(scope["method"], scope["path"], self.settings),
                )
            except HTTPException as refused:
                response = JSONResponse(error_body(refused.status_code, refused.detail), refused.status_code,
                                        headers=refused.headers)
                await response(scope, receive, send)
                return
            scope[SCOPE_KEY] = caller
        await self.app(scope, receive, send)
