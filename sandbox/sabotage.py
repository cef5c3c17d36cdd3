"""Wire sabotage for scenario faults: a connection dropped without an answer, or a body cut short.

The only place the sandbox reaches below ASGI: uvicorn's `receive` is a method of its request
cycle, which holds the transport, so closing the socket is `receive.__self__.transport.close()`.
In-process clients (the ASGI transport) have no socket: they get `DroppedConnection`, an httpx
`RemoteProtocolError`, which is what a real dropped connection raises in them.
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send


@functools.cache
def dropped_connection() -> type[Exception]:
    """The error raised to an in-process (ASGI transport) client, which has no socket to close:
    httpx clients catch it as the same `httpx.TransportError` a real dropped connection gives.

    Built on first use: only in-process clients ever see it, and they have httpx loaded already,
    while importing httpx for `sandbox serve` costs ~35 ms of its startup."""
    import httpx

    class DroppedConnection(httpx.RemoteProtocolError):
        """A connection the sandbox dropped on purpose (a scenario fault), seen in-process."""

    DroppedConnection.__qualname__ = "DroppedConnection"
    return DroppedConnection


def __getattr__(name: str) -> Any:
    # `from sandbox.sabotage import DroppedConnection` (PEP 562): the class, without httpx at import.
    if name == "DroppedConnection":
        return dropped_connection()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


async def _hang_up(receive: Receive, what: str) -> None:
    """Close the client's socket. uvicorn's `receive` is a method of its request cycle, which
    holds the transport; waiting for the disconnect it reports keeps uvicorn from answering
    a 500 in our place."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        raise dropped_connection()(f"sandbox fault: {what}")
    transport.close()
    while (await receive())["type"] != "http.disconnect":
        pass


class Dropped(Response):
    """No status line, no headers: the socket just closes."""

    def __init__(self) -> None:
        super().__init__(b"", 0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _hang_up(receive, "connection dropped")


class Truncated(Response):
    """The real status and headers (with the full Content-Length), half the body, then close."""

    def __init__(self, original: Response) -> None:
        super().__init__(b"", original.status_code)
        self.original = original
        self.raw_headers = original.raw_headers  # one list: headers added to this answer are the original's

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytes(self.original.body)
        start = {"type": "http.response.start", "status": self.original.status_code}
        await send({**start, "headers": self.original.raw_headers})
        await send({"type": "http.response.body", "body": body[: max(1, len(body) // 2)], "more_body": True})
        await _hang_up(receive, "response truncated mid-body")
