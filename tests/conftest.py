"""Shared fixtures: an app on a manual clock and a fixed seed, reached over real HTTP.

`client` is httpx on the ASGI app (no socket, fast); `live_url` is a real uvicorn server on a
free loopback port in a thread, for tests where the wire matters (browser, dropped
connections). Both build the app with `make_app()` (tests/support/apps.py), so settings are set the same way.
`control` is the control API (`/_sandbox/...`) on `client`.
`receiver` is a merchant's webhook endpoint on a live server: (the `Receiver`, its URL).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette

from sandbox.threaded import serve_in_thread
from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.receiver import Receiver

pytest_plugins = ["pytester"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def app() -> Starlette:
    return make_app()


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http


@pytest.fixture
def control(client: httpx.AsyncClient) -> Control:
    return Control(client)


@pytest.fixture
def live_url(app: Starlette) -> Iterator[str]:
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hooks = Receiver()
    with serve_in_thread(hooks.app) as url:
        yield hooks, f"{url}/hooks"
