"""Payviox's wire shapes and fixed messages, exactly as its docs print them.

Sources: api/endpoints/create-session (the seed page), get-payment-methods,
get-payment-details, get-balance, and the OpenAPI spec (`payviox.openapi.yaml`). Shapes, the
messages handlers raise and the paths a client is handed; behaviour lives in `provider.py`, the
error envelope in `errors.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox.providers.payviox.lifecycle import INCOMPLETE, OPEN
from sandbox.providers.payviox.records import PayvioxSession

# Error messages (create-session "Error Responses"; get-payment-details).
PAYMENT_METHOD_NOT_FOUND = "Payment method not found"
PAYMENT_NOT_FOUND = "Payment not found"
SESSION_NOT_FOUND = "Session not found"  # OpenAPI: GET /session/{session_id}/payments 404
# create-session "Handling Payment Errors": a redirect provider's payment creation failed.
PAYMENT_ERROR = {"success": False, "message": "Payment creation failed", "error_type": "http_error"}
# api/payout/create-payout-user and api/payout/authentication "Error Responses".
PAYOUTS_DISABLED = "Payouts are currently disabled. Please enable them in Settings."
PAYOUT_INSUFFICIENT = "Failed to debit business balance (insufficient funds or concurrent modification)"
PAYOUT_NO_CREDENTIAL = "Missing authorization header"
PAYOUT_HASH_UNKNOWN = "Payout hash not found or inactive"
AMOUNT_MISMATCH = (
    "The total amount does not match the sum of the items (calculated: {calculated}, received: {received})"
)


def laravel_time(instant: datetime) -> str:
    """`2026-05-04T10:30:00.000000Z`: Laravel's default JSON date format (get-payment-details)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def secure_path(session_id: str) -> str:
    """The hosted payment page, `https://secure.payviox.com/{id}` (pages.py)."""
    return f"/payviox/secure/{session_id}"


def redirect_path(session_id: str) -> str:
    """The page that plays a redirect method's provider (pages.py)."""
    return f"/payviox/redirect/{session_id}"


def api_status(status: str) -> str | None:
    """The `status` GET /payment documents: `null` before any attempt; an underpaid crypto payment
    is `pending` (the documented statuses have no "incomplete"; it waits for the rest); a refunded
    payment stays `succeeded` (the documented list has no "refunded": the refund is told by the
    `refunded` webhook, and the control view's `sandbox.state`)."""
    return {OPEN: None, INCOMPLETE: "pending", "refunded": "succeeded"}.get(status, status)


def payment_details(session: PayvioxSession) -> dict[str, Any]:
    """GET /payment/{session_id}: GetPaymentDetailsResponse."""
    return {
        "session_id": session.id,
        "status": api_status(session.status),
        "amount": session.amount,
        "fees": session.fees,
        "net_amount": session.net_amount,
        "currency": session.currency,
        "order_id": session.order_id,
        "customer": session.customer,
        "description": session.description,
        "items": session.items,
        "metadata": session.metadata or {},
        "payment_method": session.payment_method,
        "provider": session.provider if session.payment_method else None,
        "created_at": laravel_time(session.created_at),
        "customer_details": session.customer_details,
        "payment_details": session.payment_details,
        "ip": session.payer_ip,
        "country": session.country,
        "user_agent": session.user_agent,
    }
