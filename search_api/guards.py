"""Request guards that run before a route: the body-size limit, applied while the body streams in."""

from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import JSONResponse
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
