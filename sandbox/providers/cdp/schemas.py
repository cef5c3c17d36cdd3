"""CDP's wire shapes and fixed messages, as the spec prints them.

Source: `cdp-payment-sessions.openapi.yaml` (the Payment Sessions subset of the CDP OpenAPI,
2.0.0): schemas PaymentSession, Authorization, Capture, Void, Refund, Error, and the error
examples of each path. Shapes only; behaviour lives in `provider.py` and `ledger.py`.
"""

from __future__ import annotations

from typing import Any

from sandbox.clock import iso
from sandbox.providers.cdp.records import Action, CdpSession, money

# Error bodies (components/schemas/Error; per-path examples).
UNAUTHORIZED = "The request is not properly authenticated."  # components/responses/UnauthorizedError
SESSION_NOT_FOUND = "Payment session with the given ID does not exist."
ACTION_NOT_FOUND = {
    "authorization": "Authorization with the given ID does not exist.",
    "capture": "Capture with the given ID does not exist.",
    "void": "Void with the given ID does not exist.",
    "refund": "Refund with the given ID does not exist.",
}
CANNOT_CANCEL = "Payment session cannot be canceled in its current state."
CANNOT_AUTHORIZE = "Payment session cannot be authorized in its current state."
INVALID_QUERY = "Invalid query parameters."
PAYMENT_REQUIRED = "An x402 payment is required to access the requested resource."
RATE_LIMITED = "Rate limit exceeded."
INTERNAL = "An internal server error occurred. Please try again later."
UNAVAILABLE = "Service unavailable. Please try again later."
IDEMPOTENCY = (
    "Idempotency key '{key}' was already used with a different request payload. "
    "Please try again with a new idempotency key."
)
ERROR_DOCS = "https://docs.cdp.coinbase.com/api-reference/v2/errors"

# Payment-specific ErrorType values (x-error-instructions). Their HTTP status is not public;
# the sandbox answers them with 400 (Invented, FIDELITY.md).
PAYMENT_ERRORS = frozenset(
    {
        "authorization_expired",
        "capture_expired",
        "refund_expired",
        "payment_session_already_canceled",
        "payment_session_already_authorized",
        "payment_session_action_pending",
        "no_capturable_balance",
        "no_voidable_balance",
        "no_refundable_balance",
    }
)

# PaymentError examples in the webhook payloads (PaymentSessionEventData).
FAILURES = {
    "authorization": ("insufficient_funds", "The payer does not have sufficient funds."),
    "capture": ("capture_failed", "The capture could not be completed."),
    "void": ("void_failed", "The void could not be completed."),
    "refund": ("refund_failed", "The refund could not be completed."),
}

ID_FIELD = {"authorization": "authorizationId", "capture": "captureId", "void": "voidId", "refund": "refundId"}
LIST_FIELD = {"authorization": "authorizations", "capture": "captures", "void": "voids", "refund": "refunds"}


def error_body(error_type: str, message: str, correlation_id: str) -> dict[str, Any]:
    """Error: the link's anchor is the type with `_` -> `-` (example `#invalid-request`)."""
    return {
        "errorType": error_type,
        "errorMessage": message,
        "correlationId": correlation_id,
        "errorLink": f"{ERROR_DOCS}#{error_type.replace('_', '-')}",
    }


def hosted_path(session_id: str) -> str:
    """Stands for `https://payments.coinbase.com/payment-sessions/{id}` (the spec's `url`)."""
    return f"/cdp/payment-sessions/{session_id}"


def x402_path(session_id: str) -> str:
    return f"/cdp/platform/v2/payment-sessions/{session_id}/authorizations/x402"


def action_view(action: Action, scale: int) -> dict[str, Any]:
    """Authorization | Capture | Void | Refund: optional fields are left out, not null."""
    view: dict[str, Any] = {ID_FIELD[action.kind]: action.id, "paymentSessionId": action.session_id}
    if action.kind == "refund":
        view["source"] = action.source
    view["status"] = action.status
    view["amount"] = money(action.amount, scale)
    if action.kind == "capture":
        view["finalCapture"] = action.final_capture
    if action.kind == "refund" and action.reason is not None:
        view["reason"] = action.reason
    if action.kind == "authorization":
        if action.message is not None:
            view["message"] = action.message
        view["source"] = action.source
    if action.error is not None:
        view["error"] = action.error
    if action.metadata is not None:
        view["metadata"] = action.metadata
    if action.transactions:
        view["onchainTransactions"] = action.transactions
    view["createdAt"] = iso(action.created_at)
    view["updatedAt"] = iso(action.updated_at)
    return view


def session_view(session: CdpSession, *, actions: bool = True) -> dict[str, Any]:
    """PaymentSession. The create and cancel examples carry no action arrays; get/list do."""
    view: dict[str, Any] = {
        "paymentSessionId": session.id,
        "entityId": session.entity_id,
        "status": session.status,
        "amount": money(session.amount, session.scale),
        "asset": session.asset,
        "target": session.target,
    }
    if session.source is not None:
        view["source"] = session.source
    view["autoCapture"] = session.auto_capture
    view["expiries"] = {name: iso(at) for name, at in session.expiries.items()}
    view["balances"] = session.balances()
    if actions:
        for kind, name in LIST_FIELD.items():
            if session.actions[kind]:
                view[name] = [action_view(action, session.scale) for action in session.actions[kind]]
    view["url"] = session.origin + hosted_path(session.id)
    if session.wallet_target:  # x402Url: "Only present when the payment target supports a wallet source."
        view["x402Url"] = session.origin + x402_path(session.id)
    optional = {
        "redirect": session.redirect,
        "customerDisplay": session.customer_display,
        "externalReferenceId": session.external_reference_id,
        "metadata": session.metadata,
        "cancellationReason": session.cancellation_reason,
    }
    view.update({name: value for name, value in optional.items() if value is not None})
    view["createdAt"] = iso(session.created_at)
    view["updatedAt"] = iso(session.updated_at)
    return view
