"""The control plane under `/_sandbox`: inspect and drive the sandbox from tests and demos.

GETs have no side effects. Errors here are the sandbox's own (`{"error": code, "message"}`),
except the session actions, which play the payer's or the network's side of a provider and so
run through the provider's pipeline and answer in its envelope (an IP mismatch on Payviox's
`pay` is Payviox's 403, wherever it is triggered from).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import jsonwire, pipeline
from sandbox.clock import iso, parse_instant
from sandbox.pipeline import Operation

if TYPE_CHECKING:
    from sandbox.app import Sandbox


def _json(body: Any, status: int = 200) -> Response:
    return Response(jsonwire.dumps(body), status, media_type="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return _json({"error": code, "message": message}, status)


def _sandbox(request: Request) -> Sandbox:
    return request.app.state.sandbox  # type: ignore[no-any-return]


async def _body(request: Request) -> dict[str, Any] | None:
    raw = await pipeline.read_body(request, _sandbox(request).settings.body_limit)  # over it: 413 (app.py)
    if not raw.strip():
        return {}
    try:
        value = jsonwire.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def health(request: Request) -> Response:
    return _json({"status": "ok"})


async def reset(request: Request) -> Response:
    sandbox = _sandbox(request)
    sandbox.reset()
    return _json({"status": "reset", "seed": sandbox.entropy.seed, "clock": sandbox.clock.describe()})


async def clock(request: Request) -> Response:
    return _json(_sandbox(request).clock.describe())


async def clock_advance(request: Request) -> Response:
    body = await _body(request)
    seconds = body.get("seconds") if body is not None else None
    try:
        amount = Decimal(str(seconds)) if isinstance(seconds, int | Decimal) and not isinstance(seconds, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or amount < 0 or not amount.is_finite():
        return _error(400, "invalid_request", 'body must be {"seconds": N} with N >= 0')
    sandbox = _sandbox(request)
    try:
        sandbox.clock.advance(float(amount))
    except ValueError as error:  # longer than the clock moves at once, or past its last instant
        return _error(400, "invalid_request", f"cannot advance the clock by {amount} seconds: {error}")
    return await _clock_moved(sandbox)


async def clock_set(request: Request) -> Response:
    """`{"now": ISO}` jumps forward; `{"manual": true}` stops time (false: lets it run); or both."""
    body = await _body(request)
    text, manual = (body or {}).get("now"), (body or {}).get("manual")
    given = body is not None and (text, manual) != (None, None)
    if not given or not isinstance(text, str | None) or not isinstance(manual, bool | None):
        return _error(400, "invalid_request", 'body must be {"now": "<ISO 8601 instant>", "manual": true|false}')
    sandbox = _sandbox(request)
    if text is not None:
        try:
            sandbox.clock.set(parse_instant(text))
        except ValueError as error:
            return _error(400, "invalid_request", f"cannot set the clock to {text!r}: {error}")
    if manual is not None:
        sandbox.clock.run(not manual)
    return await _clock_moved(sandbox)


async def _clock_moved(sandbox: Sandbox) -> Response:
    """Whatever the new time makes due happens before the answer: expiries, then webhook attempts."""
    expired = sandbox.expire_due()
    attempted = await sandbox.dispatcher.deliver_due(sandbox)
    described = sandbox.clock.describe()
    described["expired"] = [{"provider": step.provider, "session_id": step.record_id} for step in expired]
    described["webhook_attempts"] = len(attempted)
    return _json(described)


async def requests(request: Request) -> Response:
    provider = request.query_params.get("provider")
    limit = request.query_params.get("limit", "100")
    if not (limit.isascii() and limit.isdigit()):  # "²".isdigit() is true too, and int() refuses it
        return _error(400, "invalid_request", "limit must be a whole number")
    count = int(limit) if len(limit) <= 9 else 10**9  # int() refuses more than 4300 digits
    return _json({"requests": _sandbox(request).journal.list(provider, count)})


async def events(request: Request) -> Response:
    query = request.query_params
    return _json({"events": _sandbox(request).webhooks.events(query.get("provider"), query.get("session_id"))})


async def providers(request: Request) -> Response:
    """Each provider's base path, and test credentials for `?tenant=` (the pytest plugin's fresh
    credentials per test). A provider offers them through an optional `test_credentials(tenant)`
    whose credentials name the merchant `tenant`, or, where a credential cannot name its merchant
    freely (a merchant that is a digest of its key), the one its `test_merchant(tenant)` returns."""
    tenant = request.query_params.get("tenant", "sandbox")
    if not (tenant.isascii() and tenant.replace("_", "").isalnum()) or len(tenant) > 64:  # keys take ASCII only
        return _error(400, "invalid_request", "tenant must be 1-64 letters, digits or underscores")
    listed = []
    for provider in _sandbox(request).providers.values():
        offer = getattr(provider, "test_credentials", None)
        merchant_of = getattr(provider, "test_merchant", None)
        listed.append(
            {
                "name": provider.name,
                "title": provider.title,
                "base_path": provider.base_path,
                "merchant": merchant_of(tenant) if merchant_of is not None else tenant,
                "credentials": offer(tenant) if offer is not None else {},
            }
        )
    return _json({"providers": listed})


def _provider(request: Request) -> Any:
    return _sandbox(request).providers.get(request.path_params["provider"])


async def sessions(request: Request) -> Response:
    provider = _provider(request)
    if provider is None:
        return _error(404, "not_found", f"no provider {request.path_params['provider']!r}")
    sandbox = _sandbox(request)
    sandbox.expire_due()
    records = sandbox.store.of_provider(provider.name)
    return _json({"sessions": [provider.describe(record) for record in records]})


async def session(request: Request) -> Response:
    provider = _provider(request)
    if provider is None:
        return _error(404, "not_found", f"no provider {request.path_params['provider']!r}")
    sandbox = _sandbox(request)
    sandbox.expire_due()
    record = sandbox.store.get(provider.name, request.path_params["session_id"])
    if record is None:
        return _error(404, "not_found", f"no {provider.name} session {request.path_params['session_id']!r}")
    body = provider.describe(record)
    body["history"] = [
        {"action": step.action, "from": step.before, "to": step.after, "at": iso(step.at)} for step in record.history
    ]
    return _json(body)


async def action(request: Request) -> Response:
    provider = _provider(request)
    if provider is None:
        return _error(404, "not_found", f"no provider {request.path_params['provider']!r}")
    name = request.path_params["action"]
    handler = provider.actions.get(name)
    if handler is None:
        return _error(404, "not_found", f"{provider.name} has no action {name!r}; it has {sorted(provider.actions)}")
    op = Operation(f"action.{name}", "POST", "", handler, auth=None)
    return await pipeline.run(pipeline.start_call(request, provider, op.name), op)


def routes() -> list[Route]:
    # Imported here, not at the top: both modules reuse this one's helpers (_json, _error, _body).
    from sandbox import control_scenario, control_webhooks

    return [
        Route("/health", health, methods=["GET"]),
        Route("/reset", reset, methods=["POST"]),
        Route("/clock", clock, methods=["GET"]),
        Route("/clock/advance", clock_advance, methods=["POST"]),
        Route("/clock/set", clock_set, methods=["POST"]),
        Route("/requests", requests, methods=["GET"]),
        Route("/events", events, methods=["GET"]),
        *control_scenario.routes(),
        Route("/providers", providers, methods=["GET"]),
        Route("/{provider}/sessions", sessions, methods=["GET"]),
        Route("/{provider}/sessions/{session_id}", session, methods=["GET"]),
        Route("/{provider}/sessions/{session_id}/actions/{action}", action, methods=["POST"]),
        *control_webhooks.routes(),
    ]
