"""The one ordered request flow every provider operation goes through.

    read body (size cap) -> expire what came due -> auth -> rate limits -> scenario fault
    (before commit) -> idempotency replay -> handler (validation + state machine, sync)
    -> response -> journal (and idempotency record) -> scenario fault (after commit)

A provider is data plus a few functions (the `Provider` protocol); an `Operation` is one row
of its table: method, real path, handler, which credential it takes, its rate limits and how
to find its idempotency key. `routes()` turns the table into Starlette routes, so the table is
also the catalogue tests loop over. Handlers are sync and never await, so each transition is
atomic on the one event loop. Every error, including an unmatched path or method under a
provider's prefix, is rendered by that provider's `render_error` and nothing else.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from sandbox import jsonwire, rawheaders
from sandbox.errors import MalformedBody, MethodNotAllowed, NotFound, PayloadTooLarge, SandboxError
from sandbox.journal import Entry
from sandbox.machine import Lifecycle
from sandbox.ratelimit import Limit
from sandbox.store import Remembered

if TYPE_CHECKING:
    from sandbox.app import Sandbox

log = logging.getLogger("sandbox")

MALFORMED = object()  # `Call.body` when the bytes are not JSON


@dataclass(frozen=True, slots=True)
class Merchant:
    """Whoever the credential names: the tenant that owns records, limits and webhooks."""

    id: str
    kind: str  # provider's word for the credential: "public", "secret", "jwt", "api_key", "session_token"


@dataclass(slots=True)
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    html: str | None = None


@dataclass(slots=True)
class Call:
    """One request, as handlers see it."""

    sandbox: Sandbox
    provider: Provider
    operation: str
    request: Request
    now: datetime
    client_ip: str
    raw: bytes = b""
    body: Any = None
    merchant: Merchant | None = None
    notes: list[str] = field(default_factory=list)
    fault: int | None = None  # the scenario fault rule answering this call (faults.py)

    @property
    def path_params(self) -> Mapping[str, str]:
        return self.request.path_params

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query_params

    @property
    def base_url(self) -> str:
        """The sandbox's own origin as the client reached it, for URLs we hand out."""
        return str(self.request.base_url).rstrip("/")

    def owner(self) -> Merchant:
        if self.merchant is None:  # an operation without auth asked for its merchant: a table bug
            raise RuntimeError(f"{self.operation} has no authenticated merchant")
        return self.merchant

    def json_object(self) -> dict[str, Any]:
        if self.body is MALFORMED or not isinstance(self.body, dict):
            raise MalformedBody("the request body must be a JSON object")
        return self.body


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str
    handler: Handler
    auth: str | None = "any"  # passed to Provider.authenticate; None: no credential (payer-side pages)
    limits: Callable[[Call], Iterable[Limit]] | None = None
    idempotency_key: Callable[[Call], str | None] | None = None


class Provider(Protocol):
    """What a provider gives the core. Data members are read-only, so a class attribute of a
    narrower type (a tuple of operations, a dict of actions) satisfies them."""

    @property
    def name(self) -> str: ...  # also the mount prefix: /payviox/...

    @property
    def title(self) -> str: ...

    @property
    def base_path(self) -> str: ...  # the base URL path a client is given: /payviox, /cdp/platform

    @property
    def lifecycle(self) -> Lifecycle: ...

    @property
    def settings_model(self) -> type[BaseModel]: ...

    @property
    def operations(self) -> Sequence[Operation]: ...

    @property
    def actions(self) -> Mapping[str, Handler]: ...  # control API: POST /_sandbox/{name}/sessions/{id}/actions/{action}

    def authenticate(self, call: Call, need: str) -> Merchant: ...

    def render_error(self, error: SandboxError, call: Call) -> Reply: ...

    def describe(self, record: Any) -> dict[str, Any]: ...


def client_ip(request: Request) -> str:
    """The socket peer, or the first X-Forwarded-For hop (a sandbox convenience, documented)."""
    forwarded = rawheaders.get(request.scope, b"x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[0].strip()
    peer = request.scope.get("client")  # what `request.client` wraps in an Address, unwrapped
    host: str = peer[0] if peer else "127.0.0.1"
    return host


async def read_body(request: Request, limit: int) -> bytes:
    declared = rawheaders.get(request.scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request bodies are limited to {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request bodies are limited to {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return jsonwire.loads(raw)
    except (ValueError, RecursionError):
        return MALFORMED


def to_response(reply: Reply) -> Response:
    if reply.html is not None:
        return Response(reply.html, reply.status, reply.headers, media_type="text/html; charset=utf-8")
    if reply.body is None:
        return Response(None, reply.status, reply.headers)
    return Response(jsonwire.dumps(reply.body), reply.status, reply.headers, media_type="application/json")


def start_call(request: Request, provider: Provider, operation: str) -> Call:
    sandbox: Sandbox = request.app.state.sandbox
    return Call(sandbox, provider, operation, request, sandbox.clock.now(), client_ip(request))


async def run(call: Call, op: Operation | None) -> Response:
    """Run one request through the flow; `op` is None for an unmatched path or method."""
    response = await _flow(call, op)
    if not call.sandbox.faults.rules:  # no scenario fault armed (the usual case): nothing to try
        return response
    return await call.sandbox.faults.after_commit(call, response)  # scenario fault, after commit


async def _flow(call: Call, op: Operation | None) -> Response:
    sandbox = call.sandbox
    try:
        call.raw = await read_body(call.request, sandbox.settings.body_limit)
        call.body = parse_json(call.raw)
        if op is None:
            raise _unmatched(call)
        sandbox.expire_due(call.now)
        if op.auth is not None:
            call.merchant = call.provider.authenticate(call, op.auth)
        if op.limits is not None:
            for rule in op.limits(call):
                sandbox.limiter.hit(call.provider.name, call.merchant.id if call.merchant else "", rule, call.now)
        if sandbox.faults.rules:
            injected = await sandbox.faults.before_commit(call, op)  # scenario fault, before commit
            if injected is not None:
                return _finish(call, injected)
        key = op.idempotency_key(call) if op.idempotency_key else None
        if key is not None:
            return _replay_or_run(call, op, key)
        reply = op.handler(call)
    except SandboxError as error:
        reply = call.provider.render_error(error, call)
    except Exception:  # a bug, not bad input: log it and answer in the provider's own envelope
        log.exception("unhandled error in %s %s", call.provider.name, call.operation)
        reply = call.provider.render_error(SandboxError("internal error"), call)
    return _finish(call, reply)


def _replay_or_run(call: Call, op: Operation, key: str) -> Response:
    sandbox = call.sandbox
    merchant = call.owner().id
    fingerprint = _fingerprint(call, op)
    ttl = timedelta(seconds=sandbox.settings.idempotency_ttl)
    seen = sandbox.store.recall(call.provider.name, merchant, key, call.now, ttl)
    if seen is not None:
        if seen.fingerprint != fingerprint:
            reply = call.provider.render_error(
                SandboxError("idempotency key reused with a different request", reason="idempotency_mismatch"), call
            )
            return _finish(call, reply)
        call.notes.append(f"idempotent replay of key {key}")
        _journal(call, seen.status, jsonwire.loads(seen.body) if seen.body else None)
        return Response(seen.body, seen.status, seen.headers, media_type="application/json")
    try:
        reply = op.handler(call)
    except SandboxError as error:
        reply = call.provider.render_error(error, call)
    response = _finish(call, reply)
    if reply.status < 500:
        remembered = Remembered(fingerprint, reply.status, bytes(response.body), dict(reply.headers), call.now)
        sandbox.store.remember(call.provider.name, merchant, key, remembered)
    return response


def _fingerprint(call: Call, op: Operation) -> str:
    """What "the same request" means for a replay: the same operation on the same path
    parameters with the same JSON. Parsed, not raw: a client that re-serializes a retry (other
    key order or spacing) still sends the same request, and an operation served under two
    prefixes (CubePay's `/api/v1`) is one operation."""
    params = jsonwire.canonical(dict(call.path_params))
    body = call.raw if call.body is MALFORMED else jsonwire.canonical(call.body)
    return hashlib.sha256(op.name.encode() + b"\0" + params + b"\0" + body).hexdigest()


def _finish(call: Call, reply: Reply) -> Response:
    _journal(call, reply.status, reply.body if reply.html is None else "<html>")
    return to_response(reply)


def _journal(call: Call, status: int, body: Any) -> None:
    request = call.request
    request_body: Any = call.body
    if request_body is MALFORMED:
        request_body = call.raw[:512].decode(errors="replace")
    call.sandbox.journal.record(
        Entry(
            id=0,
            at=call.now,
            provider=call.provider.name,
            operation=call.operation,
            method=request.method,
            path=request.scope["path"],  # request.url.path would build a whole URL on every request
            status=status,
            merchant=call.merchant.id if call.merchant else None,
            client_ip=call.client_ip,
            request_headers=request.scope["headers"],
            request_body=request_body,
            response_body=body,
            notes=call.notes,
        )
    )


def _unmatched(call: Call) -> SandboxError:
    """Unknown path under the provider's prefix: 405 if another method would match, else 404."""
    for route in routes_of(call.provider):
        match, _ = route.matches({**call.request.scope, "method": "__none__"})
        if match is Match.PARTIAL:
            return MethodNotAllowed("Method Not Allowed")
    return NotFound("Not Found")


def routes_of(provider: Provider) -> list[Route]:
    return [Route(op.path, _endpoint(provider, op), methods=[op.method], name=op.name) for op in provider.operations]


def routes(provider: Provider) -> list[Route]:
    """Starlette routes for the provider's table, plus a catch-all that renders 404/405 its way."""

    async def unmatched(request: Request) -> Response:
        return await run(start_call(request, provider, "unmatched"), None)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return [*routes_of(provider), Route("/{rest:path}", unmatched, methods=methods)]


def _endpoint(provider: Provider, op: Operation) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        return await run(start_call(request, provider, op.name), op)

    return endpoint
