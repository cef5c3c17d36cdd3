"""A synchronous `httpx.Client` on an ASGI app with no socket: the pytest plugin's in-process mode.

Why not `starlette.testclient.TestClient`: since Starlette 1.x it warns (StarletteDeprecationWarning,
"Using `httpx` with `starlette.testclient` is deprecated; install `httpx2` instead") into every
user's test output, and with httpx2 installed it is an httpx2 client, not the `httpx.Client` the
handle promises. This is the same idea in a few lines of public API: an anyio blocking portal
(an event loop on a thread) runs the app's lifespan (the webhook courier) and each request
through `httpx.ASGITransport`, and the sync client waits for the answer. Exceptions the app
raises (a scenario's dropped connection is an httpx.TransportError) reach the caller as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, ExitStack, contextmanager
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

CLIENT = ("127.0.0.1", 50000)  # the peer the app sees, as a local client would be


class PortalTransport(httpx.BaseTransport):
    def __init__(self, app: Any, portal: BlockingPortal) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=CLIENT)
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the body as bytes, which the async transport can stream as well

        async def send() -> httpx.Response:
            response = await self._asgi.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return self._portal.call(send)


@contextmanager
def client(app: Any, base_url: str, lifespan: AbstractAsyncContextManager[Any] | None) -> Iterator[httpx.Client]:
    """A client on `app` for the duration of the block, its lifespan (if given) running meanwhile."""
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal())
        if lifespan is not None:
            stack.enter_context(portal.wrap_async_context_manager(lifespan))
        yield stack.enter_context(httpx.Client(transport=PortalTransport(app, portal), base_url=base_url))
