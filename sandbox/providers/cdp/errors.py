"""CDP's errors on the wire: the table of domain codes, the `Error` envelope, the special cases.

Every error is CDP's `Error` `{errorType, errorMessage, correlationId, errorLink}`
(components/schemas/Error; the per-path examples of `cdp-payment-sessions.openapi.yaml`).
`ERRORS` says, per domain code (sandbox/errors.py), the status, the words used when the error
carries none and the spec's `errorType`; `envelope` builds the body. Two answers are not rows:
x402's 402 carries the session's challenge header, and the idempotency 422 names the key the
request sent.
"""

from __future__ import annotations

import logging
from typing import Any

from sandbox import envelopes
from sandbox.contract import Call, Reply
from sandbox.envelopes import Wire
from sandbox.errors import SandboxError

log = logging.getLogger("sandbox.cdp")

# Error bodies (components/schemas/Error; per-path examples).
UNAUTHORIZED = "The request is not properly authenticated."  # components/responses/UnauthorizedError
PAYMENT_REQUIRED = "An x402 payment is required to access the requested resource."
RATE_LIMITED = "Rate limit exceeded."
INTERNAL = "An internal server error occurred. Please try again later."
UNAVAILABLE = "Service unavailable. Please try again later."
IDEMPOTENCY = (
    "Idempotency key '{key}' was already used with a different request payload. "
    "Please try again with a new idempotency key."
)
ERROR_DOCS = "https://docs.cdp.coinbase.com/api-reference/v2/errors"

# Payment-specific ErrorType values (x-error-instructions) and the HTTP status each goes out
# with: an `invalid_state` error whose reason is a key here carries that errorType and status.
# The payment ones' status is not public; the sandbox answers them with 400 (Invented,
# FIDELITY.md). The mandate ones' statuses are documented (cdp-sdk 1.51
# `PaymentSessionsApi.authorize_mandate_payment_session`: "an in-flight approval or revocation
# returns `409` (`mandate_action_pending`); `revokedAt` set returns `422` (`mandate_revoked`);
# `canceledAt` set returns `422` (`mandate_canceled`); a past `expiresAt` returns `400`
# (`mandate_expired`); any other status returns `422` (`mandate_invalid_status`)", and policy
# caps `422` (`mandate_policy_violation`)).
PAYMENT_ERRORS: dict[str, int] = {
    "authorization_expired": 400,
    "capture_expired": 400,
    "refund_expired": 400,
    "payment_session_already_canceled": 400,
    "payment_session_already_authorized": 400,
    "payment_session_action_pending": 400,
    "no_capturable_balance": 400,
    "no_voidable_balance": 400,
    "no_refundable_balance": 400,
    "mandate_action_pending": 409,
    "mandate_revoked": 422,
    "mandate_canceled": 422,
    "mandate_invalid_status": 422,
    "mandate_policy_violation": 422,
    "mandate_expired": 400,
}

ERRORS: dict[str, Wire] = {
    "unauthorized": Wire(401, UNAUTHORIZED, "unauthorized", fixed=True, explain=True),
    "forbidden": Wire(403, "Forbidden.", "forbidden"),
    "invalid_request": Wire(400, "Invalid request.", "invalid_request"),
    "malformed_body": Wire(400, "Invalid request.", "invalid_request"),
    # Invented: the HTTP status of the payment-specific error types is not public. A reason in
    # PAYMENT_ERRORS is the errorType; any other invalid state is `invalid_request`.
    "invalid_state": Wire(400, "Invalid request.", "invalid_request"),
    "not_found": Wire(404, "Not found.", "not_found"),
    # Invented status (only a scenario fault reaches it); the type is the spec's ErrorType
    "conflict": Wire(409, "The resource already exists.", "already_exists"),
    # Invented: CDP's gateway answer is not documented
    "method_not_allowed": Wire(405, "Method not allowed.", "invalid_request", fixed=True),
    "payload_too_large": Wire(413, "Request body too large.", "invalid_request"),  # Invented
    "rate_limited": Wire(429, RATE_LIMITED, "rate_limit_exceeded", retry_after=1, fixed=True),
    "unavailable": Wire(503, UNAVAILABLE, "service_unavailable", fixed=True),
}
FALLBACK = Wire(500, INTERNAL, "internal_server_error")


class PaymentRequired(SandboxError):
    """x402's 402: the Error body plus a base64 `PAYMENT-REQUIRED` challenge header."""

    code = "payment_required"

    def __init__(self, challenge: str) -> None:
        super().__init__(PAYMENT_REQUIRED)
        self.challenge = challenge


def error_body(error_type: str, message: str, correlation_id: str) -> dict[str, Any]:
    """Error: the link's anchor is the type with `_` -> `-` (example `#invalid-request`)."""
    return {
        "errorType": error_type,
        "errorMessage": message,
        "correlationId": correlation_id,
        "errorLink": f"{ERROR_DOCS}#{error_type.replace('_', '-')}",
    }


def _correlation(call: Call) -> str:
    return f"{call.services.entropy.hex(16)}-SBX"  # shape of the spec's 41deb8d59a9dc9a7-IAD


def envelope(wire: Wire, error: SandboxError, message: str, call: Call) -> Reply:
    """The `Error` body for a table row, with the headers its status carries."""
    correlation = _correlation(call)
    error_type, status = wire.kind, wire.status
    if error.code == "invalid_state" and error.reason is not None and error.reason in PAYMENT_ERRORS:
        error_type, status = error.reason, PAYMENT_ERRORS[error.reason]
    headers: dict[str, str] = {}
    if error.code == "unauthorized":
        log.warning("cdp 401: %s", error.message)
    if wire.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after or wire.retry_after)
    return Reply(status, error_body(error_type, message, correlation), headers)


def render_error(error: SandboxError, call: Call) -> Reply:
    if isinstance(error, PaymentRequired):
        call.notes.append(error.message)
        body = error_body("payment_required", error.message, _correlation(call))
        return Reply(402, body, {"PAYMENT-REQUIRED": error.challenge})
    if error.reason == "idempotency_mismatch":
        if error.message:
            call.notes.append(error.message)
        key = call.headers.text("x-idempotency-key")
        return Reply(422, error_body("idempotency_error", IDEMPOTENCY.format(key=key), _correlation(call)))
    return envelopes.render(ERRORS, FALLBACK, envelope, error, call)
