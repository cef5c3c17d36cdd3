"""Live updates: the Server-Sent Events stream, the narration route, and change notification
for the control plane's mutating routes.

`GET /_sandbox/ui/stream` (per namespace) sends `event: change` with the sandbox's version
(changes.py) whenever it moves, at most one event per `MIN_GAP` seconds (a burst of requests is
one refresh), and a comment line every `KEEPALIVE` seconds so proxies keep the connection. It
waits on an `asyncio.Event` the sandbox sets: an idle dashboard costs no CPU, and there is no
polling loop. Streams are bounded: `Changes.max_listeners` per namespace and `MAX_STREAMS` in the
whole server; past either the answer is a 503, and the page's script tries again later.

`POST /_sandbox/narration` `{"step", "name", "note"}` is what `sandbox run` says it is playing,
shown by every open dashboard of that namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from sandbox import jsonwire, pipeline
from sandbox.state import Sandbox

KEEPALIVE = 15.0  # seconds between comment lines on a quiet stream
MIN_GAP = 0.25  # seconds between two change events of one stream
MAX_STREAMS = 64  # open streams over every namespace of the server
NOTE_LIMIT = 2_000  # characters of a narration note kept

_open = 0  # streams open now, server-wide (one event loop: no lock needed)
# Each open stream's loop and wake-up, so a server shutting down can end them (close_streams).
_streams: dict[asyncio.Event, asyncio.AbstractEventLoop] = {}
_closing = False


def _json(body: object, status: int = 200) -> Response:
    return Response(jsonwire.dumps(body), status, media_type="application/json")


class Stream:
    """The SSE endpoint, as a plain ASGI app: it watches for the client's disconnect itself."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        global _open
        sandbox: Sandbox = scope["sandbox"]
        wake = asyncio.Event()
        if _open >= MAX_STREAMS or not sandbox.changes.listen(wake.set):
            busy = _json({"error": "too_many_streams", "message": "too many open dashboards; try again later"}, 503)
            await busy(scope, receive, send)
            return
        _open += 1
        _streams[wake] = asyncio.get_running_loop()
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            headers = [
                (b"content-type", b"text/event-stream; charset=utf-8"),
                (b"cache-control", b"no-store"),
                (b"x-accel-buffering", b"no"),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await _event(send, f"retry: 2000\nevent: change\ndata: {sandbox.changes.version}\n\n")
            while not gone.done():
                waiter = asyncio.ensure_future(wake.wait())
                await asyncio.wait({waiter, gone}, timeout=KEEPALIVE, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if gone.done() or _closing:
                    break
                if not wake.is_set():
                    await _event(send, ": keep-alive\n\n")
                    continue
                wake.clear()
                await _event(send, f"event: change\ndata: {sandbox.changes.version}\n\n")
                await asyncio.wait({gone}, timeout=MIN_GAP)  # coalesce a burst into one refresh
        except OSError:  # the client went away mid-write
            pass
        finally:
            _open -= 1
            _streams.pop(wake, None)
            sandbox.changes.unlisten(wake.set)
            gone.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await gone


def close_streams() -> None:
    """End every open stream (the server is stopping): uvicorn's graceful shutdown waits for open
    responses, and a dashboard's stream never ends by itself. Safe from a signal handler."""
    global _closing
    _closing = True
    for wake, loop in list(_streams.items()):
        loop.call_soon_threadsafe(wake.set)


async def _event(send: Send, text: str) -> None:
    await send({"type": "http.response.body", "body": text.encode(), "more_body": True})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def narration(request: Request) -> Response:
    sandbox: Sandbox = request.scope["sandbox"]
    raw = await pipeline.read_body(request, sandbox.body_limit)  # over the cap: 413 (app.py)
    try:
        body = jsonwire.loads(raw) if raw.strip() else {}
    except ValueError:
        body = None
    fields = ("step", "name", "note")
    if not isinstance(body, dict) or any(not isinstance(body.get(key), str | int | None) for key in fields):
        return _json({"error": "invalid_request", "message": 'body must be {"step", "name", "note"}'}, 400)
    told = {key: None if body.get(key) is None else str(body[key])[:NOTE_LIMIT] for key in fields}
    sandbox.changes.narration = told if any(told.values()) else None  # {} clears it
    sandbox.changes.bump()
    return _json({"narration": sandbox.changes.narration})


Handler = Callable[[Request], Awaitable[Response]]


def _notifying(handler: Handler) -> Handler:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        finally:
            sandbox: Sandbox = request.scope["sandbox"]
            sandbox.changes.bump()

    return run


def notifying(routes: list[Route]) -> list[Route]:
    """The same routes, the non-GET ones bumping the sandbox's version when they are done
    (a reset, a clock move, a scenario load: changes no state change or journal entry reports)."""
    return [
        route
        if route.methods is None or not route.methods & {"POST", "PUT", "PATCH", "DELETE"}
        else Route(route.path, _notifying(route.endpoint), methods=sorted(route.methods - {"HEAD"}), name=route.name)
        for route in routes
    ]
