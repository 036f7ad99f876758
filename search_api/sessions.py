"""Signing in to the web page: an API key exchanged once for a session cookie.

A browser sends no X-API-Key header with a page, a script or a fetch, so with
``require_key_for_read`` the page could not load at all. ``POST /web/signin`` checks a key and sets
a cookie (HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it) that names
the key and its expiry, signed with HMAC-SHA256 under that key's own secret: nothing is stored on the
server, every worker process verifies it alike, and changing or removing the key ends its sessions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from search_api.settings import Settings

COOKIE = "zhengce_session"


def configured_keys(settings: Settings) -> dict[str, tuple[str, str]]:
    """name -> (secret, role) of every key the server accepts."""
    keys: dict[str, tuple[str, str]] = {name: (k.key.get_secret_value(), k.role) for name, k in settings.api_keys.items()}
    if settings.api_key is not None:
        keys["default"] = (settings.api_key.get_secret_value(), "admin")
    return keys


def issue(settings: Settings, name: str, now: float | None = None) -> str:
    """The cookie value of a session of key ``name`` (which must be configured)."""
    secret, _ = configured_keys(settings)[name]
    expires = int((now or time.time()) + settings.session_hours * 3600)
    payload = _b64(json.dumps({"k": name, "e": expires}, separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret, payload)}"


def verify(settings: Settings, value: str | None, now: float | None = None) -> tuple[str, str] | None:
    """(key name, role) of a valid, unexpired session cookie; None for anything else."""
    if not value or value.count(".") != 1:
        return None
    payload, signature = value.split(".")
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        name, expires = str(claims["k"]), int(claims["e"])
    except (ValueError, KeyError, TypeError):
        return None
    key = configured_keys(settings).get(name)
    if key is None or not hmac.compare_digest(signature, _sign(key[0], payload)) or expires < (now or time.time()):
        return None
    return name, key[1]


def set_cookie_header(value: str, max_age: int) -> str:
    """The Set-Cookie header of a session (or, with ``max_age`` 0, of signing out)."""
    return f"{COOKIE}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Strict"


def cookie_of(header: bytes | None) -> str | None:
    """The session cookie's value in a Cookie header."""
    for part in (header or b"").decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None


def _sign(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), b"zhengce-session:" + payload.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
