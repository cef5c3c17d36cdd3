"""Payviox's errors on the wire: one row per domain error code, and the `{"error": ...}` envelope.

Payviox (Laravel) answers errors with `{"error": "<words>"}`; a validation failure with the
per-field messages (create-session "Error Responses"); a 429 with its own body and Retry-After.
A `fixed` row's body always shows its `message`; another shows the error's own message, else
the row's. The one true special case is the payment page's
documented IP-mismatch body. Rows not in the docs are marked `Invented:` (FIDELITY.md).
"""

from __future__ import annotations

import logging

from sandbox import envelopes
from sandbox.contract import Call, Reply
from sandbox.envelopes import Wire
from sandbox.errors import SandboxError

log = logging.getLogger("sandbox.payviox")

ERRORS: dict[str, Wire] = {
    # create-session "Error Responses": {"error": "Unauthorized"}
    "unauthorized": Wire(401, "Unauthorized", fixed=True, explain=True),
    "invalid_request": Wire(400, "Bad request"),  # create-session: per-field messages, or {"error": ...}
    "malformed_body": Wire(400, "Bad request"),
    "not_found": Wire(404, "Not Found"),  # get-payment-details: {"error": "Payment not found"}
    # Invented beside the documented IP mismatch: the merchant's allowed_ips
    "forbidden": Wire(403, "Forbidden", fixed=True, explain=True),
    # create-session 429: "either per customer or per IP address"; `type` names which
    "rate_limited": Wire(429, "Too many session requests", kind="rate_limit_exceeded", retry_after=60, fixed=True),
    # Invented: the docs show no 413; same {"error"} shape
    "payload_too_large": Wire(413, "Payload Too Large", fixed=True, explain=True),
    "method_not_allowed": Wire(405, "Method Not Allowed", fixed=True),  # Invented
    "invalid_state": Wire(409, "Conflict"),  # Invented: the payer side has no documented API
    "conflict": Wire(409, "Conflict"),  # Invented: no documented 409; only a scenario fault reaches it
    "unavailable": Wire(503, "Service Unavailable", fixed=True),
}
FALLBACK = Wire(500, "Server Error")

# create-session "Error Responses": the payment page's IP check.
IP_MISMATCH = {"error": "IP mismatch", "message": "Request IP does not match session IP"}


def envelope(wire: Wire, error: SandboxError, message: str, call: Call) -> Reply:
    if wire.retry_after is not None:  # the 429 body names the limit that tripped and the wait
        wait = error.retry_after or wire.retry_after
        body = {"error": wire.kind, "message": message, "type": error.scope or "ip", "retry_after": wait}
        return Reply(wire.status, body, {"Retry-After": str(wait)})
    if wire.status == 401:
        log.warning("payviox 401: %s", error.message)
    if wire.status == 400 and error.fields:  # Laravel's per-field messages
        return Reply(wire.status, error.fields)
    return Reply(wire.status, {"error": message})


def render_error(error: SandboxError, call: Call) -> Reply:
    if error.code == "forbidden" and error.reason == "ip_mismatch":
        if error.message:
            call.notes.append(error.message)
        return Reply(403, IP_MISMATCH, envelopes.reason(error))
    if error.code == "forbidden" and error.reason == "payouts_disabled":  # create-payout-user's 403 body
        call.notes.append(error.message)
        return Reply(403, {"error": error.message})
    if error.code == "unauthorized" and error.reason == "payout_hash":  # api/payout/authentication's 401s
        call.notes.append(error.message)
        log.warning("payviox 401: %s", error.message)
        return Reply(401, {"error": "Unauthorized", "message": error.message})
    return envelopes.render(ERRORS, FALLBACK, envelope, error, call)
