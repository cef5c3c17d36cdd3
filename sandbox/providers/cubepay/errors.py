"""CubePay's errors on the wire: the table of domain codes, its envelope, and `render_error`.

Every error is `{"error": "<message>"}` (payment-sdk/api-reference/error-codes), and the only
client-error statuses the docs list are 400 and 401; the other statuses are invented. The
documented statuses say the error's own words (the table's when it has none); the invented
405, 413, 429 and 5xx always say the table's, so no sandbox-internal wording reaches a client.
"""

from __future__ import annotations

from sandbox import envelopes
from sandbox.contract import Call, Reply
from sandbox.envelopes import Wire
from sandbox.errors import SandboxError
from sandbox.providers.cubepay import wire

ERRORS: dict[str, Wire] = {
    "unauthorized": Wire(401, "Unauthorized"),
    # Invented for states: the docs list 400/401 only
    "invalid_request": Wire(400, "Bad request"),
    "malformed_body": Wire(400, "Bad request"),
    "invalid_state": Wire(400, "Bad request"),
    "forbidden": Wire(403, "Forbidden."),  # Invented: 403 is not documented (reached only by a scenario fault)
    "not_found": Wire(404, "Not found."),  # Invented: 404 is not documented
    "conflict": Wire(409, "Conflict."),  # Invented: 409 is not documented (reached only by a scenario fault)
    "method_not_allowed": Wire(405, "Method not allowed.", fixed=True),  # Invented
    "payload_too_large": Wire(413, "Request body too large.", fixed=True),  # Invented
    "rate_limited": Wire(429, "Too many requests.", retry_after=1, fixed=True),  # Invented: no limits are documented
    # error-codes: 502 "upstream API unavailable"
    "unavailable": Wire(502, "Payment service unavailable.", fixed=True),
}
FALLBACK = Wire(500, "Internal server error.")


def envelope(row: Wire, error: SandboxError, message: str, call: Call) -> Reply:
    """`{"error": message}`, with `Retry-After` on a row that has one (the error's seconds, else the row's)."""
    headers = {"Retry-After": str(error.retry_after or row.retry_after)} if row.retry_after is not None else {}
    return Reply(row.status, {"error": message}, headers)


def render_error(error: SandboxError, call: Call) -> Reply:
    if error.reason == "idempotency_mismatch" and error.code not in ERRORS:
        # Invented: replay of a requestId with another body
        if error.message:
            call.notes.append(error.message)
        return Reply(400, {"error": wire.REQUEST_ID_REUSED})
    reply = envelopes.render(ERRORS, FALLBACK, envelope, error, call)
    if error.reason == "live_key":  # Invented: the body stays Grain's; the sandbox says why in a header
        call.notes.append(wire.LIVE_KEY_REASON)
        reply.headers["X-Sandbox-Reason"] = wire.LIVE_KEY_REASON
    return reply
