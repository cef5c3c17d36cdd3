"""Shared fixtures: an app on a manual clock and a fixed seed, reached over real HTTP.

`client` is httpx on the ASGI app (no socket, fast); `live_url` is a real uvicorn server on a
free loopback port in a thread, for tests where the wire matters (browser, dropped
connections). Both build the app with `make_app()`, so settings are set the same way.
`receiver` is a merchant's webhook endpoint on a live server: (the `Receiver`, its URL).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from receiver import Receiver
from starlette.applications import Starlette

from sandbox.app import create_app
from sandbox.registry import ScenarioModel
from sandbox.state import Settings
from sandbox.threaded import free_port, serve_in_thread

__all__ = ["client_for", "free_port", "make_app", "serve_in_thread"]
pytest_plugins = ["pytester"]

START = "2026-01-01T00:00:00Z"
PEER = ("198.51.100.10", 50000)  # the socket peer every in-process request comes from


def make_app(*, seed: int = 7, start: str = START, manual: bool = True, **scenario: Any) -> Starlette:
    """An app with a manual clock at `start`; `scenario` holds extra scenario sections (e.g. providers)."""
    model = ScenarioModel.model_validate({"clock": {"start": start, "manual": manual}, **scenario})
    return create_app(Settings(scenario=model, seed=seed))


def client_for(app: Starlette, peer: tuple[str, int] = PEER) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=peer), base_url="http://sandbox.test")


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
def live_url(app: Starlette) -> Iterator[str]:
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hooks = Receiver()
    with serve_in_thread(hooks.app) as url:
        yield hooks, f"{url}/hooks"
