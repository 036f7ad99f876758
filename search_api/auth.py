"""Named API keys with roles, checked before a request body is read.

Roles are ordered: read < write (uploads) < admin (deletions). ``ZHENGCE_API_KEY`` is the admin
key named "default"; ``ZHENGCE_API_KEYS`` adds named keys. Reads need no key unless
``require_key_for_read`` is set; a staff mark (a judgment) always names its key. A caller is
the X-API-Key header's key, or the key a web page session was signed in with (``sessions``); a
page that needs a key and has none is sent to the sign-in page.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fastapi import HTTPException
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from search_api import sessions, words
from search_api.settings import ROLES, Settings

# no data behind these: health, the API's description, the page's scripts and styles, the sign-in
OPEN_PATHS = ("/healthz", "/readyz", "/docs", "/redoc", "/openapi.json", "/static", "/web/static/", "/web/signin",
              "/web/signout")
IDENTIFIED_PATHS = ("/web/api/judgments",)  # a mark belongs to a key: never anonymous
SCOPE_KEY = "zhengce.caller"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Caller:
    name: str  # the key's name, or "anonymous"
    role: str | None  # None: no key given


ANONYMOUS = Caller("anonymous", None)


def required_role(method: str, path: str, settings: Settings, query: str = "") -> str | None:
    """The least role a request needs; None when it is open to anyone. An upload with replace=true
    removes the document it replaces, which only admin may do."""
    if path.startswith(OPEN_PATHS) or path == "/retrieval":  # /retrieval: Dify's Bearer key, checked by routes/dify.py
        return None
    if method == "DELETE" and path.startswith("/documents/"):
        return "admin"
    if method == "POST" and path == "/documents" and _asks_replace(query):
        return "admin"
    if method in ("PUT", "PATCH") and path.startswith("/documents/"):  # metadata corrections
        return "write"
    if (method == "POST" and path == "/documents") or path.startswith("/jobs"):
        return "write"
    if path.startswith(IDENTIFIED_PATHS):
        return "read"
    return "read" if settings.require_key_for_read else None


def _asks_replace(query: str) -> bool:
    from urllib.parse import parse_qsl

    return any(name == "replace" and value.lower() not in ("false", "0", "off", "no", "")
               for name, value in parse_qsl(query, keep_blank_values=True))


def identify(settings: Settings, given: str | None) -> Caller | None:
    """The key's owner, compared in constant time against every configured key; None: no match."""
    found = None
    presented = (given or "").encode("utf-8", "replace")
    for name, (secret, role) in sessions.configured_keys(settings).items():
        if hmac.compare_digest(presented, secret.encode("utf-8")) and given:
            found = Caller(name, role)
    return found


def authorize(settings: Settings, given: str | None, role: str | None, session: Caller | None = None) -> Caller:
    """The caller, or an HTTPException: 403 when no key is configured for writes, 401 when the key is
    missing or wrong, 403 when the key's role is below ``role``. ``session``: the caller a signed-in
    page's cookie names, used when no key is given."""
    caller = identify(settings, given) if given else session
    if role is None:
        return caller or ANONYMOUS
    if role != "read" and settings.api_key is None and not settings.api_keys:
        raise HTTPException(403, "uploads and deletions are disabled: the server has no ZHENGCE_API_KEY set")
    if caller is None:
        raise HTTPException(401, words.NEEDS_KEY, headers={"WWW-Authenticate": "X-API-Key"})
    if ROLES.index(caller.role or "read") < ROLES.index(role):
        raise HTTPException(403, f"key {caller.name!r} has role {caller.role}; this needs {role}")
    return caller


def is_page(method: str, path: str) -> bool:
    """A page of the staff web page (HTML), as opposed to the API and the page's own JSON calls."""
    return method in SAFE_METHODS and (path == "/" or path.startswith("/web/")) and not path.startswith("/web/api/")


def cross_site(headers: dict[bytes, bytes]) -> bool:
    """Whether a browser says the request comes from a page of another origin."""
    origin = headers.get(b"origin")
    if origin is None or origin == b"null":
        return origin == b"null"
    return urlsplit(origin.decode("latin-1")).netloc != headers.get(b"host", b"").decode("latin-1")


class AuthGate:
    """Answers 401/403 before the body is read: a 45 MB upload without a key costs nothing. A page that
    needs a key and has none is redirected to the sign-in page; a write by a signed-in page's cookie
    must come from this server's own pages (SameSite=Strict already keeps other sites' cookies out)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            given = headers.get(b"x-api-key")
            signed_in = sessions.verify(self.settings, sessions.cookie_of(headers.get(b"cookie")))
            session = Caller(*signed_in) if signed_in and given is None else None
            method, path = scope["method"], scope["path"]
            try:
                if session is not None and method not in SAFE_METHODS and cross_site(headers):
                    raise HTTPException(403, words.CROSS_SITE)
                caller = authorize(self.settings, given.decode("latin-1") if given is not None else None,
                                   required_role(method, path, self.settings, scope.get("query_string", b"").decode("latin-1")),
                                   session)
            except HTTPException as refused:
                if refused.status_code == 401 and is_page(method, path):
                    target = path + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else "")
                    await RedirectResponse(f"/web/signin?next={quote(target, safe='')}", 303)(scope, receive, send)
                    return
                response = JSONResponse(words.error_body(refused.status_code, refused.detail), refused.status_code,
                                        headers=refused.headers)
                await response(scope, receive, send)
                return
            scope[SCOPE_KEY] = caller
        await self.app(scope, receive, send)
