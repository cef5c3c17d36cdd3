"""Payviox's session lifecycle and settings, as data.

Statuses are the ones `GET /payment/{session_id}` documents (api/endpoints/get-payment-details):
`null` before any attempt (`open` here), `pending`, `pending_review`, `succeeded`, `declined`,
`failed`, `expired`; plus `refunded`, which the docs know only as a webhook type
(webhooks/integration) and which the sandbox also shows as a status (invented, FIDELITY.md).
`incomplete` is a crypto payment that arrived short (the `incomplete` webhook, "Crypto payment
underpaid ... wait for succeeded"); the API shows it as `pending` (schemas.py).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sandbox.clock import MAX_SECONDS
from sandbox.machine import Lifecycle

OPEN = "open"  # no payment attempt yet: the API says status null
PAY_OUTCOMES = ("succeeded", "declined", "pending_review", "failed")
PAYABLE = ("open", "pending", "failed")  # a failed attempt may be retried with another method (invented)
INCOMPLETE = "incomplete"  # a crypto payment short of the amount, waiting for the rest

_table: dict[tuple[str, str], str] = {}
for _state in PAYABLE:
    for _outcome in PAY_OUTCOMES:
        _table[(_state, f"pay_{_outcome}")] = _outcome
    _table[(_state, "initiate")] = "pending"  # a redirect provider's payment was started
    _table[(_state, "pay_incomplete")] = INCOMPLETE  # crypto paid short (webhooks: `incomplete`)
# Invented: an underpaid session takes only more crypto: short again, or the rest ("later
# `succeeded`", webhooks/integration). It does not expire: money has arrived, and expiry is
# for sessions where "no payment is initiated" (create-session).
_table[(INCOMPLETE, "pay_incomplete")] = INCOMPLETE
_table[(INCOMPLETE, "pay_succeeded")] = "succeeded"
_table[(OPEN, "expire")] = "expired"  # "expire after 24 hours if no payment is initiated" (create-session)
_table[("pending_review", "review_approve")] = "succeeded"  # webhooks: "later succeeded or declined"
_table[("pending_review", "review_decline")] = "declined"
_table[("succeeded", "refund")] = "refunded"

LIFECYCLE = Lifecycle(provider="payviox", initial=OPEN, table=_table)


class RateLimits(BaseModel):
    """Invented numbers: the docs say limits exist per IP and per customer, not how many."""

    model_config = ConfigDict(extra="forbid")

    per_ip: int = Field(100, ge=1, description="session creations per window per end-user IP")
    per_customer: int = Field(20, ge=1, description="session creations per window per `customer` value")
    window_seconds: int = Field(60, ge=1, le=MAX_SECONDS)


class PayvioxSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_ttl_seconds: int = Field(
        24 * 3600, ge=1, le=MAX_SECONDS, description="unpaid sessions expire after this (docs: 24 h)"
    )
    rate_limits: RateLimits = RateLimits()
    balance: int = Field(0, description="starting business balance in cents")
    payout_balance: int = Field(0, description="starting payout balance in cents")
