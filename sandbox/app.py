"""The ASGI app factory: composes the registry's providers, the control plane and the namespaces.

`create_app()` mounts each provider under its own prefix and the control plane under
`/_sandbox`, behind `NamespaceRouter`, which picks the sandbox a request belongs to:
`/ns/{name}/...` is namespace `name` (its base URL carries the prefix, so every URL the sandbox
hands out there does too), anything else the namespace `default`. The lifespan runs the
webhook courier, which also expires what came due once a tick in every namespace, so expiry
(and its webhook) happens on a running clock even when nobody asks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from sandbox import control, fixtures, pipeline, ui
from sandbox.contract import Call, Headers
from sandbox.cors import CORS
from sandbox.errors import PayloadTooLarge, Unavailable
from sandbox.namespaces import DEFAULT, PREFIX, Full, InvalidName, Limits, Namespaces
from sandbox.registry import PROVIDERS, ScenarioModel
from sandbox.responses import to_response
from sandbox.state import Sandbox, Settings

__all__ = ["ScenarioModel", "Settings", "create_app", "new_sandbox"]


def new_sandbox(settings: Settings | None = None) -> Sandbox:
    """A sandbox of every registered provider, its scenario's fixtures built (or ScenarioError)."""
    sandbox = Sandbox(settings or Settings(scenario=ScenarioModel()), PROVIDERS)
    fixtures.fresh(sandbox)
    return sandbox


def create_app(
    settings: Settings | None = None, limits: Limits | None = None, state_dir: str | None = None
) -> NamespaceRouter:
    """The app; with `state_dir`, every namespace stored there is loaded (StateDirError if it cannot be)."""
    namespaces = Namespaces(settings or Settings(scenario=ScenarioModel()), PROVIDERS, limits)
    storage = None
    if state_dir is not None:
        # Imported only here: persistence (sqlite3, the pickler, persist.py's codecs) is startup
        # time a server without --state-dir would spend for nothing.
        from sandbox.statedir import StateDir

        storage = StateDir(state_dir)
        storage.open(namespaces)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tick = namespaces.settings.tick_seconds
        tasks = [asyncio.create_task(namespaces.courier.run(namespaces.sandboxes, tick))]
        if storage is not None:
            tasks.append(asyncio.create_task(storage.run(namespaces)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if storage is not None:  # a graceful stop loses nothing
                await storage.flush(namespaces, final=True)
                storage.close()

    mounts: list[BaseRoute] = [pipeline.any_path(Mount("/_sandbox", routes=control.ROUTES))]
    mounts += [Route("/", _landing, methods=_ANY), Route("/favicon.ico", ui.favicon, methods=["GET"])]
    mounts += [
        pipeline.any_path(Mount(f"/{name}", routes=pipeline.routes(provider))) for name, provider in PROVIDERS.items()
    ]
    app = Starlette(
        routes=mounts,
        lifespan=lifespan,
        middleware=[Middleware(CORS)],  # the browser SDKs call the API cross-origin (cors.py)
        exception_handlers={404: _not_found, 405: _not_allowed, PayloadTooLarge: _too_large},
    )
    app.state.namespaces = namespaces
    app.state.storage = storage
    app.state.sandbox = namespaces.default  # the default namespace, for tools that hold the app
    return NamespaceRouter(app, namespaces)


class NamespaceRouter:
    """Puts the request's sandbox in `scope["sandbox"]`; `/ns/{name}` becomes the root path."""

    def __init__(self, app: Starlette, namespaces: Namespaces) -> None:
        self.app = app
        self.namespaces = namespaces
        self.table = pipeline.Table(PROVIDERS)
        self.matched = pipeline.serve_matched  # a provider operation: no router, CORS's headers added by it
        self.state = app.state  # as Starlette's, for tests and tools that reach the app's state
        self._refusals: Sandbox | None = None  # renders refusals in a provider's envelope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            if scope["type"] == "http":
                scope["sandbox"] = default = self.namespaces.used(DEFAULT)
                default.dirty = True
                try:
                    await self._dispatch(scope, "", scope["path"], receive, send)
                finally:  # and again when done: a flush may have run while it awaited
                    default.dirty = True
                return
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        name, slash, rest = path[len(PREFIX) :].partition("/")
        raw = scope.get("raw_path")
        if isinstance(raw, bytes) and not raw.startswith(f"{PREFIX}{name}/".encode()) and raw != path.encode():
            name = "\0"  # a percent-encoded name (an encoded slash, say) is refused, never decoded into another
        try:
            sandbox = self.namespaces.get(name)
        except InvalidName as error:
            await _refuse(400, "invalid_namespace", str(error))(scope, receive, send)
            return
        except Full as error:
            await self._full(scope, rest, str(error))(scope, receive, send)
            return
        root = f"{scope.get('root_path', '')}{PREFIX}{name}"
        inner = {**scope, "root_path": root, "sandbox": sandbox}
        if not slash:  # /ns/{name} itself: the namespace's root
            inner["path"] = root + "/"
        sandbox.dirty = True
        try:
            await self._dispatch(inner, root, f"/{rest}", receive, send)
        finally:
            sandbox.dirty = True

    async def _dispatch(self, scope: Scope, root: str, route_path: str, receive: Receive, send: Send) -> None:
        """A provider operation straight to the pipeline (pipeline.Table); anything else to Starlette."""
        found = self.table.match(scope["method"], route_path)
        if found is None:
            await self.app(scope, receive, send)
            return
        provider, op, params = found
        scope["operation"] = (provider, op)
        scope["path_params"] = params
        scope["app_root_path"] = root  # what Starlette's mount would have set: URLs handed out carry it
        scope["root_path"] = f"{root}/{provider.name}"
        await self.matched(scope, receive, send)

    def _full(self, scope: Scope, rest: str, message: str) -> Response:
        """No room for another namespace: the provider's own 503, or the sandbox's below /_sandbox."""
        provider = PROVIDERS.get(rest.split("/", 1)[0])
        if provider is None:
            return _refuse(503, "too_many_namespaces", message)
        if self._refusals is None:
            self._refusals = Sandbox(self.namespaces.settings, PROVIDERS)
        call = Call(
            self._refusals,
            provider,
            "namespace_refused",
            scope["method"],
            scope["path"],
            scope["path"],
            {},
            Headers(scope["headers"]),
            pipeline.client_ip(scope),
            pipeline.base_url(scope),
            self._refusals.clock.now(),
        )
        reply = provider.render_error(Unavailable(message), call)
        reply.headers.setdefault("X-Sandbox-Reason", message)
        return to_response(reply)


def _refuse(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": code, "message": message}, status)


async def _too_large(request: Request, exc: Exception) -> JSONResponse:
    """A control-plane body over the limit (provider routes answer in their own envelope first)."""
    message = exc.message if isinstance(exc, PayloadTooLarge) else str(exc)
    return JSONResponse({"error": "payload_too_large", "message": message}, 413)


_ANY = ["GET", "POST", "PUT", "PATCH", "DELETE"]


async def _landing(request: Request) -> Response:
    """`/` (and `/ns/{name}/`): the landing page for a browser; API clients keep the JSON 404."""
    if ui.wants_html(request):
        return await ui.landing(request)
    return await _not_found(request, None)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    """A control route asked with another method: 405 with every method its path takes in `Allow`
    (a path may have a route per method, and Starlette names only the first's), or, for a plain
    OPTIONS, 204 with the same `Allow` (a CORS preflight never gets here: cors.py answers it)."""
    allowed = pipeline.allowed_methods(control.ROUTES, request.scope)
    if request.method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": ", ".join([*allowed, "OPTIONS"])})
    message = f"{request.method} is not allowed here; allowed: {', '.join(allowed)}"
    return JSONResponse({"error": "method_not_allowed", "message": message}, 405, headers={"Allow": ", ".join(allowed)})


async def _not_found(request: Request, exc: Exception | None) -> JSONResponse:
    """Outside every provider's prefix: say where the providers are."""
    prefixes = [f"/{name}" for name in PROVIDERS] + ["/_sandbox"]
    return JSONResponse({"error": "not_found", "message": f"no route; providers live under {prefixes}"}, 404)
