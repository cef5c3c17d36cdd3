"""The one ordered request flow every provider operation goes through.

    read body (size cap) -> expire what came due -> auth -> rate limits -> scenario fault
    (before commit) -> idempotency replay -> handler (validation + state machine, sync)
    -> journal (and idempotency record) -> response -> scenario fault (after commit)

The flow's synchronous core is `admit` (expiry, auth, limits), `commit` (idempotency and the
handler) and `finish` (the journal), on a request-independent `Call` (contract.py): fixtures
and anything else that runs an operation without a socket call `execute`, which is those
three in order. The async adapter `run` adds what needs the wire: reading the body and the
scenario's faults, which may wait, drop the connection or cut the body short. `routes()` turns
a provider's table into Starlette routes, so the table is also the catalogue tests loop over.
Handlers are sync and never await, so each transition is atomic on the one event loop. Every
error, including an unmatched path or method under a provider's prefix, is rendered by that
provider's `render_error` and nothing else.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from starlette.datastructures import URL
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match, Mount, Route
from starlette.types import Receive, Scope, Send

from sandbox import cors, jsonwire, rawheaders
from sandbox.contract import MALFORMED, Call, Headers, Operation, ProviderSpec, Reply, Services
from sandbox.coverage import Coverage
from sandbox.errors import MethodNotAllowed, NotFound, PayloadTooLarge, SandboxError
from sandbox.faults import Faults
from sandbox.journal import Entry, Journal
from sandbox.machine import Transition
from sandbox.ratelimit import RateLimiter
from sandbox.responses import to_response
from sandbox.store import Remembered

AnyRoute = TypeVar("AnyRoute", Route, Mount)
log = logging.getLogger("sandbox")


class Runtime(Services, Protocol):
    """What the flow itself touches beyond a handler's services: limits, journal, faults, deadlines."""

    limiter: RateLimiter
    journal: Journal
    faults: Faults
    coverage: Coverage

    @property
    def body_limit(self) -> int: ...

    @property
    def idempotency_ttl(self) -> float: ...

    def expire_due(self, now: datetime | None = None) -> list[Transition]: ...


# the synchronous core ---------------------------------------------------------------------------


def admit(runtime: Runtime, call: Call, op: Operation) -> None:
    """Expire what came due, then authenticate and spend rate limits (a SandboxError says no)."""
    runtime.expire_due(call.now)
    if op.auth is not None:
        call.merchant = call.provider.authenticate(call, op.auth)
    if op.limits is not None:
        for rule in op.limits(call):
            runtime.limiter.hit(call.provider.name, call.merchant.id if call.merchant else "", rule, call.now)


def commit(runtime: Runtime, call: Call, op: Operation) -> Reply:
    """Run the handler, or replay what the same idempotency key answered before."""
    key = op.idempotency_key(call) if op.idempotency_key else None
    if key is None:
        return op.handler(call)
    merchant = call.owner().id
    fingerprint = _fingerprint(call, op)
    ttl = timedelta(seconds=runtime.idempotency_ttl)
    seen = runtime.store.recall(call.provider.name, merchant, key, call.now, ttl)
    if seen is not None:
        if seen.fingerprint != fingerprint:
            mismatch = SandboxError("idempotency key reused with a different request", reason="idempotency_mismatch")
            return call.render(mismatch)
        call.notes.append(f"idempotent replay of key {key}")
        body = jsonwire.loads(seen.body) if seen.body else None
        return Reply(seen.status, body, dict(seen.headers), encoded=seen.body)
    try:
        reply = op.handler(call)
    except SandboxError as error:
        reply = call.render(error)
    if reply.html is None and reply.body is not None:
        reply.encoded = jsonwire.dumps(reply.body)  # once: sent as it is, and kept here (trimmed)
    if reply.status < 500:
        stored = jsonwire.trimmed(reply.encoded or b"") if reply.html is None else reply.html.encode()
        remembered = Remembered(fingerprint, reply.status, stored, dict(reply.headers), call.now)
        runtime.store.remember(call.provider.name, merchant, key, remembered)
    return reply


def finish(runtime: Runtime, call: Call, reply: Reply, op: Operation | None = None) -> Reply:
    """Journal the exchange (credentials are masked when the journal is read) and count it for
    contract coverage (`op`: the table row that answered, None for an unmatched path)."""
    runtime.coverage.request(call.provider.name, call.operation, op, reply.status, call.error)
    request_body: Any = call.body
    if request_body is MALFORMED:
        request_body = call.raw[:512].decode(errors="replace")
    runtime.journal.record(
        Entry(  # positional, in the field order (journal.Entry): keywords cost 0.5 µs more per request
            0,  # the id: the journal numbers it
            call.now,
            call.provider.name,
            call.operation,
            call.method,
            call.path,
            reply.status,
            call.merchant.id if call.merchant else None,
            call.client_ip,
            call.headers.raw,
            request_body,
            reply.body if reply.html is None else "<html>",
            call.notes,
        )
    )
    return reply


def execute(runtime: Runtime, call: Call, op: Operation) -> Reply:
    """The whole flow without the wire (no body to read, no scenario fault): for fixtures."""
    try:
        admit(runtime, call, op)
        reply = commit(runtime, call, op)
    except SandboxError as error:
        reply = call.render(error)
    return finish(runtime, call, reply, op)


def _fingerprint(call: Call, op: Operation) -> str:
    """What "the same request" means for a replay: the same operation on the same path
    parameters with the same JSON. Parsed, not raw: a client that re-serializes a retry (other
    key order or spacing) still sends the same request, and an operation served under two
    prefixes (CubePay's `/api/v1`) is one operation."""
    params = jsonwire.canonical(dict(call.path_params))
    body = call.raw if call.body is MALFORMED else jsonwire.canonical(call.body)
    return hashlib.sha256(op.name.encode() + b"\0" + params + b"\0" + body).hexdigest()


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return jsonwire.loads(raw)
    except (ValueError, RecursionError):
        return MALFORMED


# the HTTP adapter -------------------------------------------------------------------------------


def client_ip(scope: Scope) -> str:
    """The socket peer, or the first X-Forwarded-For hop (a sandbox convenience, documented)."""
    forwarded = rawheaders.get(scope, b"x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[0].strip()
    peer = scope.get("client")
    host: str = peer[0] if peer else "127.0.0.1"
    return host


def base_url(scope: Scope) -> str:
    """The sandbox's origin as the client reached it: Starlette's `request.base_url`, less its
    slash, remembered per distinct (scheme, Host, server, root) so a request pays one header scan."""
    server = scope.get("server")
    return _origin(
        scope.get("scheme", "http"),
        rawheaders.get(scope, b"host"),
        server if server is None or type(server) is tuple else tuple(server),  # hashable, for the cache
        scope.get("app_root_path", scope.get("root_path", "")),
    )


@functools.lru_cache(maxsize=256)
def _origin(scheme: str, host: str | None, server: tuple[str, int] | None, root: str) -> str:
    headers = [] if host is None else [(b"host", host.encode("latin-1"))]
    path = root if root.endswith("/") else root + "/"
    scope = {"type": "http", "scheme": scheme, "server": server, "path": path, "query_string": b"", "headers": headers}
    return str(URL(scope=scope)).rstrip("/")


async def read_body(request: Request, limit: int) -> bytes:
    return await receive_body(request.scope, request.receive, limit)


async def receive_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request body, refused past `limit` (declared or sent). Straight from the ASGI
    messages: Starlette's `Request.stream()` is an async generator and a Request object per
    call, the same bytes for more instructions on every request."""
    declared = rawheaders.get(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request bodies are limited to {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request bodies are limited to {limit} bytes")
        if not message.get("more_body", False):
            return chunk if not chunks else b"".join([*chunks, chunk])
        chunks.append(chunk)


def start_call(runtime: Runtime, scope: Scope, provider: ProviderSpec, operation: str) -> Call:
    path = scope["path"]
    raw_path = scope.get("raw_path")
    return Call(  # positional: this runs on every request, and keywords cost more
        runtime,
        provider,
        operation,
        scope["method"],
        path,
        raw_path.decode("latin-1") if isinstance(raw_path, bytes) else path,
        scope.get("path_params", {}),
        Headers(scope["headers"]),
        client_ip(scope),
        base_url(scope),
        runtime.clock.now(),
        scope.get("query_string", b""),
        scope.get("app_root_path", ""),
    )


def runtime_of(request: Request) -> Runtime:
    """The sandbox of the request's namespace (app.NamespaceRouter put it in the scope)."""
    found: Runtime = request.scope["sandbox"]
    return found


async def run(runtime: Runtime, scope: Scope, receive: Receive, call: Call, op: Operation | None) -> Response:
    """Run one request through the flow; `op` is None for an unmatched path or method."""
    response = await _flow(runtime, scope, receive, call, op)
    if not runtime.faults.rules:  # no scenario fault armed (the usual case): nothing to try
        return response
    return await runtime.faults.after_commit(call, response)  # scenario fault, after commit


async def _flow(runtime: Runtime, scope: Scope, receive: Receive, call: Call, op: Operation | None) -> Response:
    try:
        call.raw = await receive_body(scope, receive, runtime.body_limit)
        call.body = parse_json(call.raw)
        if op is None:
            raise _unmatched(call, scope)
        admit(runtime, call, op)
        if runtime.faults.rules:
            injected = await runtime.faults.before_commit(call, op)  # scenario fault, before commit
            if injected is not None:
                return to_response(finish(runtime, call, injected, op))
        reply = commit(runtime, call, op)
    except SandboxError as error:
        reply = call.render(error)
        if isinstance(error, MethodNotAllowed) and error.allow:  # RFC 9110 15.5.6: a 405 lists what is allowed
            reply.headers["Allow"] = ", ".join(error.allow)
    except Exception:  # a bug, not bad input: log it and answer in the provider's own envelope
        log.exception("unhandled error in %s %s", call.provider.name, call.operation)
        reply = call.render(SandboxError("internal error"))
    return to_response(finish(runtime, call, reply, op))


def _unmatched(call: Call, scope: Scope) -> SandboxError:
    """Unknown path under the provider's prefix: 405 (with the methods that would match) if
    another method would match, else 404."""
    allowed = allowed_methods(routes_of(call.provider), scope)
    if allowed:
        refused = MethodNotAllowed("Method Not Allowed")
        refused.allow = tuple(allowed)
        return refused
    return NotFound("Not Found")


class Table:
    """Every provider operation, matched without Starlette's router and middleware stack.

    A request for a provider path is matched here against the same `Route` objects
    `routes_of()` makes, in the same order, with the same result: the first route whose path and
    method both match. Only that case is answered here (by `NamespaceRouter` in app.py); anything
    else (an unknown path, a method no route takes, a CORS preflight) goes through the Starlette
    app, whose catch-all answers it in the provider's own envelope. It saves ~20 % of a request's
    instructions: two middleware layers, two routers and a mount, each with its own scope copy.
    A matched request is no CORS preflight (no operation takes OPTIONS), so `serve_matched` adds
    the CORS layer's headers itself. A provider's routes are made on its first request, not at
    startup: each compiles a regex, ~60 of them in all, time a server spends before its first
    answer for providers a run may never call.
    """

    def __init__(self, providers: Mapping[str, ProviderSpec]) -> None:
        self._routes: dict[str, list[tuple[Route, Operation]]] = {}
        self._providers = providers

    def match(self, method: str, route_path: str) -> tuple[ProviderSpec, Operation, dict[str, Any]] | None:
        """(provider, operation, path parameters) for `route_path` (the path below the namespace's root)."""
        _, name, rest = route_path.split("/", 2) if route_path.count("/") >= 2 else ("", "", "")
        routes = self._routes.get(name)
        if routes is None:
            provider = self._providers.get(name)
            if provider is None:
                return None
            routes = self._routes[name] = list(zip(routes_of(provider), provider.operations, strict=True))
        inner = "/" + rest
        for route, op in routes:
            found = route.path_regex.match(inner)
            if found is not None and route.methods is not None and method in route.methods:
                params = {key: route.param_convertors[key].convert(value) for key, value in found.groupdict().items()}
                return self._providers[name], op, params
        return None


async def serve_matched(scope: Scope, receive: Receive, send: Send) -> None:
    """An ASGI app for a request `Table.match` matched: `scope["operation"]` says which."""
    provider, op = scope["operation"]
    runtime: Runtime = scope["sandbox"]
    response = await run(runtime, scope, receive, start_call(runtime, scope, provider, op.name), op)
    cors.decorate(rawheaders.first(scope["headers"], b"origin"), response.raw_headers)
    await response(scope, receive, send)


def allowed_methods(table: list[Route], scope: Scope) -> list[str]:
    """The methods the routes of `table` whose path matches the request's accept (HEAD with GET,
    as Starlette answers it), in a fixed order; empty when no path matches."""
    methods: set[str] = set()
    for route in table:
        match, _ = route.matches({**scope, "method": "__none__"})
        if match is Match.PARTIAL and route.methods:
            methods |= route.methods
    return sorted(methods)


def any_path(route: AnyRoute) -> AnyRoute:
    """The route, its path matched across any character: an id with an encoded newline (`%0A`)
    still reaches it, and so the provider's own 404, not the app's (Starlette's `.` stops at `\n`)."""
    route.path_regex = re.compile(route.path_regex.pattern, re.DOTALL)
    return route


def routes_of(provider: ProviderSpec) -> list[Route]:
    return [Route(op.path, _endpoint(provider, op), methods=[op.method], name=op.name) for op in provider.operations]


def routes(provider: ProviderSpec) -> list[Route]:
    """The provider's Starlette route: a catch-all that renders 404/405 its way and answers a
    plain OPTIONS (not a CORS preflight, which cors.py answers) with `Allow`.

    The operations' own routes are not in it: `Table` answers every request one of them takes,
    before Starlette, so they would only ever be skipped here, and each compiles a regex at
    startup. A method no route takes (TRACE) found them as its first partial match, and so
    Starlette's 405, which `_not_allowed` (app.py) renders the same as the catch-all's own."""

    async def unmatched(request: Request) -> Response:
        runtime = runtime_of(request)
        if request.method == "OPTIONS":
            allowed = allowed_methods(routes_of(provider), request.scope)
            if allowed:
                return Response(status_code=204, headers={"Allow": ", ".join([*allowed, "OPTIONS"])})
        call = start_call(runtime, request.scope, provider, "unmatched")
        return await run(runtime, request.scope, request.receive, call, None)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return [any_path(Route("/{rest:path}", unmatched, methods=methods))]


def _endpoint(provider: ProviderSpec, op: Operation) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        runtime = runtime_of(request)
        call = start_call(runtime, request.scope, provider, op.name)
        return await run(runtime, request.scope, request.receive, call, op)

    return endpoint
