"""Connections that never finish a request: a deadline for their headers, and one quiet line
when the process runs out of file descriptors.

uvicorn times a connection out only between requests (its keep-alive timer, armed after an
answer). A client that connects and sends nothing, or half a request line, held its socket for
good: ten thousand of them filled the process's descriptor table, after which the server
answered no one and asyncio logged a traceback for every refused accept (73 MB of them in a
minute). Here a connection whose headers have not all arrived within :data:`HEADER_SECONDS`
gets a 408 and is closed, and those accept errors become one line every
:data:`_ACCEPT_ERROR_EVERY` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

#: Seconds a client may take from connecting (or from the end of its previous answer, on a
#: kept-alive connection) to the blank line that ends its request's headers.
HEADER_SECONDS = 20

_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s"
)


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, with a deadline on each request's headers."""

    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # the request line or headers are still coming
            self._arm_header_deadline()
        else:  # they have all arrived (the body has its own limit: serve.BODY_SECONDS)
            self._disarm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # uvicorn's keep-alive timer covers the wait that follows
        self._disarm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(HEADER_SECONDS, self._headers_too_late)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_late(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.our_state is h11.IDLE:  # nothing answered on this cycle yet: say why
            body = (
                b'{"error": "the request\'s headers took longer than %d s to arrive; '
                b'send the request again."}' % HEADER_SECONDS
            )
            self.transport.write(_TIMED_OUT % (len(body), body))
        self.transport.close()


class AcceptErrorsOnceInAWhile(logging.Filter):
    """asyncio's "socket.accept() out of system resource" (descriptors run out): one line, with
    no traceback, every :data:`_ACCEPT_ERROR_EVERY` seconds instead of one traceback per
    refused connection."""

    def __init__(self) -> None:
        super().__init__()
        self._last = -float("inf")

    def filter(self, record: logging.LogRecord) -> bool:
        if "socket.accept() out of system resource" not in str(record.msg):
            return True
        now = time.monotonic()
        if now - self._last < _ACCEPT_ERROR_EVERY:
            return False
        self._last = now
        error = record.exc_info[1] if record.exc_info else None
        record.msg = (
            f"lrnn serve: cannot accept more connections ({error or 'out of resources'}): "
            "too many are open at once; new ones wait until some close"
        )
        record.args, record.exc_info, record.exc_text = (), None, None
        return True


_ACCEPT_ERROR_EVERY = 10.0


def uvicorn_options() -> dict[str, Any]:
    """uvicorn's options for this protocol; sets the filter on asyncio's log as it goes."""
    log = logging.getLogger("asyncio")
    if not any(isinstance(f, AcceptErrorsOnceInAWhile) for f in log.filters):
        log.addFilter(AcceptErrorsOnceInAWhile())
    return {"http": HeaderDeadlineProtocol}
