"""Apps and clients for tests: an app on a manual clock and a fixed seed, and httpx on it with no socket.

`make_app()` builds every app the tests use (the conftest fixtures too), so settings are set the same way;
`client_for(app)` is httpx on the ASGI app, its requests coming from the socket peer `PEER`.
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

import httpx
from starlette.applications import Starlette

from sandbox.app import create_app
from sandbox.registry import ScenarioModel
from sandbox.state import Settings

START = "2026-01-01T00:00:00Z"
PEER = ("198.51.100.10", 50000)  # the socket peer every in-process request comes from


def make_app(
    *, seed: int = 7, start: str = START, manual: bool = True, max_sessions: int = 100_000, **scenario: Any
) -> Starlette:
    """An app with a manual clock at `start`; `scenario` holds extra scenario sections (e.g. providers)."""
    model = ScenarioModel.model_validate({"clock": {"start": start, "manual": manual}, **scenario})
    return create_app(Settings(scenario=model, seed=seed, max_sessions=max_sessions))


def client_for(app: Starlette, peer: tuple[str, int] = PEER) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=peer), base_url="http://sandbox.test")


def wait_until_answers(url: str, process: subprocess.Popen[str], seconds: float = 30) -> None:
    """Until the server `process` started answers `/_sandbox/health` at `url`; fails with its
    stderr if it exits first, or after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(f"{url}/_sandbox/health", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, f"{url} did not answer"
            time.sleep(0.05)
