"""The HTTP connection of `zhengce serve`: uvicorn's h11 protocol with a deadline on request headers.

Uvicorn times out only idle keep-alive connections: a client that opens a connection and sends its
request line and headers a byte at a time (slowloris) holds the connection, and a socket, forever.
Here every request's headers must be complete within ``header_timeout_s`` of their first byte (or of
the connection's opening); a connection that misses it gets 408 and is closed. The body has its own
deadlines (``guards.BodyDeadline``).
"""

from __future__ import annotations

import asyncio
import functools

from uvicorn.protocols.http.h11_impl import H11Protocol

TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
LINGER_S = 1.0  # after the 408, what the client still sends is read and dropped this long before the socket closes


@functools.cache
def header_timeout_s() -> float:
    """The setting in force in this process (read once: every connection asks)."""
    from search_api.settings import Settings

    return Settings().header_timeout_s


class HeaderDeadlineH11(H11Protocol):
    """h11 with the header deadline; used by `zhengce serve` (``http=`` of uvicorn's config)."""

    _header_timer: asyncio.TimerHandle | None = None
    _timed_out = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._timed_out:
            return  # lingering after the 408: read and dropped
        if not self._in_request():
            self._arm()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)
        if self._in_request():
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _in_request(self) -> bool:
        """Whether a request's headers have arrived and its response is not finished."""
        return self.cycle is not None and not self.cycle.response_complete

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(header_timeout_s(), self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self._in_request() and not self.transport.is_closing():
            self._timed_out = True
            self.transport.write(TIMEOUT_RESPONSE)
            if not self.transport.can_write_eof():
                self.transport.close()
                return
            # a socket closed with unread input is reset, and a reset can destroy the 408 before the
            # client reads it: half-close after the 408, drop what still arrives, then close
            self.transport.write_eof()
            self.loop.call_later(LINGER_S, self.transport.close)
