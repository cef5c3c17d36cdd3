"""Payviox's webhooks: which state changes send one, the payload, the signature, the retries.

All from webhooks/integration and llms-full.txt ("Payment Webhooks"): one POST per event, the
event is the payload's `type`; header `Signature` = lowercase hex HMAC-SHA256 of the raw body,
keyed with the webhook token; success is HTTP 200 within 30 s; 4 attempts: immediately, then
30 s, 5 min and 30 min later; only `succeeded` is subscribed by default, so `incomplete`
(a crypto underpayment, "opt-in event; includes `amount_remaining` in cents") is sent only to
an endpoint that chose it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sandbox.machine import Transition
from sandbox.providers.payviox import payouts
from sandbox.providers.payviox.payouts import PayoutOrder
from sandbox.providers.payviox.records import PayvioxSession
from sandbox.webhooks import Event, Policy

# Which transition sends which `type` (webhooks/integration "Event Types"). A failed attempt
# and a redirect payment being started send nothing: the docs list no such type.
EVENT_OF = {
    "pay_succeeded": "succeeded",
    "review_approve": "succeeded",
    "pay_pending_review": "pending_review",
    "pay_declined": "declined",
    "review_decline": "declined",
    "refund": "refunded",
    "expire": "expired",
    "pay_incomplete": "incomplete",
    # A processing payment settling (GPD `processing`): the documented types of what it became;
    # becoming `processing` and a failed settlement send nothing (no such type is documented).
    "settle_succeeded": "succeeded",
    "settle_declined": "declined",
}
# api/payout/webhooks: every payout order step sends its `payout.*` type.
PAYOUT_EVENT_OF = {
    "payout_create": "payout.created",
    "payout_process": "payout.processing",
    "payout_succeeded": "payout.succeeded",
    "payout_failed": "payout.failed",
    "payout_rejected": "payout.rejected",
}
# Every `type` this provider can send.
EVENT_TYPES = frozenset(EVENT_OF.values()) | frozenset(PAYOUT_EVENT_OF.values())


def payload(session: PayvioxSession, event_type: str) -> dict[str, Any]:
    """The documented payload; `metadata` is the session's, merged with `integration_session_id`.
    `amount` is always the session's full amount, also on `incomplete`."""
    body: dict[str, Any] = {
        "amount": session.amount,
        "currency": session.currency,
        "metadata": {"integration_session_id": session.id, **(session.metadata or {})},
        "type": event_type,
        "provider": session.provider,
        "order_id": session.order_id,
        "items": session.items,
        "payment_method": (session.payment_details or {}).get("type"),
    }
    if session.fees is not None:
        body["fees"] = session.fees
    if session.customer_details is not None:  # "only present when data was collected by the provider"
        body["customer"] = session.customer_details
    return body


def events(step: Transition, record: Any) -> list[Event]:
    if isinstance(record, PayoutOrder):  # to the business's payout side (payouts.tenant)
        payout_type = PAYOUT_EVENT_OF.get(step.action)
        return [Event(payout_type, payouts.payload(record, payout_type))] if payout_type else []
    if not isinstance(record, PayvioxSession):
        return []
    event_type = EVENT_OF.get(step.action)
    if event_type is None or record is None:
        return []
    body = payload(record, event_type)
    if event_type == "incomplete":  # the cents still due after this payment, as the transition saw them
        body["amount_remaining"] = step.detail["amount_remaining"]
    return [Event(event_type, body)]


def sign(body: bytes, secret: str, now: datetime) -> dict[str, str]:
    return {"Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def verify(body: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """The check the docs show (Node/Python/PHP): recompute and compare in constant time."""
    given = headers.get("signature") or headers.get("Signature") or ""
    return hmac.compare_digest(sign(body, secret, datetime.min)["Signature"], given)


def secret(merchant: str) -> str:
    """Invented: the default webhook token of a sandbox business, until a scenario or the control API sets one."""
    return f"whtoken_test_{merchant}"


POLICY = Policy(
    sign=sign,
    verify=verify,
    schedule=(0, 30, 300, 1800),
    accepts=lambda status: status == 200,
    timeout=30.0,
    # "By default, only `succeeded` is enabled" (WH), and only `payout.succeeded` (api/payout/webhooks).
    default_events=frozenset({"succeeded", "payout.succeeded"}),
    event_types=EVENT_TYPES,
)
