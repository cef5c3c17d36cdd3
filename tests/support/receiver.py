"""A merchant's webhook endpoint for tests: a real HTTP server that records what it receives.

`status` is what it answers; `received` holds (headers, raw body) in arrival order.
`assert_attempts` plays a retry schedule on the sandbox clock against it.
"""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.control import Control


class Receiver:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.app = Starlette(routes=[Route("/hooks", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        return Response(b"ok", self.status)


async def assert_attempts(client: httpx.AsyncClient, hooks: Receiver, steps: list[tuple[int, int]]) -> None:
    """Advance the sandbox clock by each step's seconds; after each, `hooks` has had that many POSTs."""
    control = Control(client)
    for seconds, expected in steps:
        await control.advance(seconds)
        assert len(hooks.received) == expected, seconds
