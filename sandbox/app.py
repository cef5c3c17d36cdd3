"""The ASGI app factory: composes the registry's providers, the control plane and one sandbox.

`create_app()` mounts each provider under its own prefix and the control plane under
`/_sandbox`; the lifespan runs the webhook dispatcher, which also expires what came due once a
tick, so expiry (and its webhook) happens on a running clock even when nobody asks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount

from sandbox import control, fixtures, pipeline
from sandbox.cors import CORS
from sandbox.errors import PayloadTooLarge
from sandbox.registry import PROVIDERS, ScenarioModel
from sandbox.state import Sandbox, Settings

__all__ = ["ScenarioModel", "Settings", "create_app", "new_sandbox"]


def new_sandbox(settings: Settings | None = None) -> Sandbox:
    """A sandbox of every registered provider, its scenario's fixtures built (or ScenarioError)."""
    sandbox = Sandbox(settings or Settings(scenario=ScenarioModel()), PROVIDERS)
    fixtures.fresh(sandbox)
    return sandbox


def create_app(settings: Settings | None = None) -> Starlette:
    sandbox = new_sandbox(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        current = app.state.sandbox
        task = asyncio.create_task(current.dispatcher.run(lambda: app.state.sandbox, current.settings.tick_seconds))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    mounts: list[BaseRoute] = [Mount("/_sandbox", routes=control.ROUTES)]
    mounts += [Mount(f"/{name}", routes=pipeline.routes(provider)) for name, provider in PROVIDERS.items()]
    app = Starlette(
        routes=mounts,
        lifespan=lifespan,
        middleware=[Middleware(CORS)],  # the browser SDKs call the API cross-origin (cors.py)
        exception_handlers={404: _not_found, PayloadTooLarge: _too_large},
    )
    app.state.sandbox = sandbox
    return app


async def _too_large(request: Request, exc: Exception) -> JSONResponse:
    """A control-plane body over the limit (provider routes answer in their own envelope first)."""
    message = exc.message if isinstance(exc, PayloadTooLarge) else str(exc)
    return JSONResponse({"error": "payload_too_large", "message": message}, 413)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    """Outside every provider's prefix: say where the providers are."""
    prefixes = [f"/{name}" for name in PROVIDERS] + ["/_sandbox"]
    return JSONResponse({"error": "not_found", "message": f"no route; providers live under {prefixes}"}, 404)
