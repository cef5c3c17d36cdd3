"""The sandbox clock: read it, move it forward, set it, stop and restart it.

Whatever the new time makes due happens before the answer: expiries, then webhook attempts.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from starlette.requests import Request
from starlette.responses import Response

from sandbox.clock import parse_instant
from sandbox.control._http import error, json_response, read_object, sandbox_of
from sandbox.state import Sandbox


async def clock(request: Request) -> Response:
    return json_response(sandbox_of(request).clock.describe())


async def advance(request: Request) -> Response:
    body = await read_object(request)
    seconds = body.get("seconds") if body is not None else None
    try:
        amount = Decimal(str(seconds)) if isinstance(seconds, int | Decimal) and not isinstance(seconds, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or amount < 0 or not amount.is_finite():
        return error(400, "invalid_request", 'body must be {"seconds": N} with N >= 0')
    sandbox = sandbox_of(request)
    try:
        sandbox.clock.advance(float(amount))
    except ValueError as problem:  # longer than the clock moves at once, or past its last instant
        return error(400, "invalid_request", f"cannot advance the clock by {amount} seconds: {problem}")
    return await moved(sandbox)


async def set_clock(request: Request) -> Response:
    """`{"now": ISO}` jumps forward; `{"manual": true}` stops time (false: lets it run); or both."""
    body = await read_object(request)
    text, manual = (body or {}).get("now"), (body or {}).get("manual")
    given = body is not None and (text, manual) != (None, None)
    if not given or not isinstance(text, str | None) or not isinstance(manual, bool | None):
        return error(400, "invalid_request", 'body must be {"now": "<ISO 8601 instant>", "manual": true|false}')
    sandbox = sandbox_of(request)
    if text is not None:
        try:
            sandbox.clock.set(parse_instant(text))
        except ValueError as problem:
            return error(400, "invalid_request", f"cannot set the clock to {text!r}: {problem}")
    if manual is not None:
        sandbox.clock.run(not manual)
    return await moved(sandbox)


async def moved(sandbox: Sandbox) -> Response:
    """Expire what the new time made due, attempt the webhooks it made due, and say so."""
    expired = sandbox.expire_due()
    attempted = await sandbox.dispatcher.deliver_due(sandbox)
    described = sandbox.clock.describe()
    described["expired"] = [{"provider": step.provider, "session_id": step.record_id} for step in expired]
    described["webhook_attempts"] = len(attempted)
    return json_response(described)
