"""CDP's wire shapes, fixed messages and paths, as the spec prints them.

Source: `cdp-payment-sessions.openapi.yaml` (the Payment Sessions subset of the CDP OpenAPI,
2.0.0): schemas PaymentSession, Authorization, Capture, Void, Refund, Error, and the error
examples of each path. Shapes only; behaviour lives in `provider.py` and `ledger.py`, the
error envelope in `errors.py`.
"""

from __future__ import annotations

from typing import Any

from sandbox.clock import iso
from sandbox.providers.cdp.lifecycle import NAME
from sandbox.providers.cdp.records import Action, CdpSession, money

# Error messages the handlers raise (components/schemas/Error; per-path examples).
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

# PaymentError examples in the webhook payloads (PaymentSessionEventData).
FAILURES = {
    "authorization": ("insufficient_funds", "The payer does not have sufficient funds."),
    "capture": ("capture_failed", "The capture could not be completed."),
    "void": ("void_failed", "The void could not be completed."),
    "refund": ("refund_failed", "The refund could not be completed."),
}

ID_FIELD = {"authorization": "authorizationId", "capture": "captureId", "void": "voidId", "refund": "refundId"}
LIST_FIELD = {"authorization": "authorizations", "capture": "captures", "void": "voids", "refund": "refunds"}


def hosted_path(session_id: str) -> str:
    """Stands for `https://payments.coinbase.com/payment-sessions/{id}` (the spec's `url`)."""
    return f"/{NAME}/payment-sessions/{session_id}"


def x402_path(session_id: str) -> str:
    return f"/{NAME}/platform/v2/payment-sessions/{session_id}/authorizations/x402"


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
    if action.error is not None:
        view["error"] = action.error
    if action.kind == "authorization" and action.message is not None:
        view["message"] = action.message
    if action.metadata is not None:
        view["metadata"] = action.metadata
    if action.external_reference_id is not None:  # cdp-sdk 1.51 models: after metadata, in this order
        view["externalReferenceId"] = action.external_reference_id
    if action.customer_display is not None:
        view["customerDisplay"] = action.customer_display
    if action.kind == "authorization":
        view["source"] = action.source
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
