"""Payviox's lifecycles, as data: its states and its transition table.

Statuses are the ones `GET /payment/{session_id}` documents (api/endpoints/get-payment-details):
`null` before any attempt (`open` here), `pending`, `processing`, `pending_review`, `succeeded`,
`declined`, `failed`, `expired`; plus `refunded`, which the docs know only as a webhook type
(webhooks/integration): the sandbox keeps it as a state, and the API shows it as `succeeded`
(wire.py; FIDELITY.md). `incomplete` is a crypto payment that arrived short (the `incomplete`
webhook, "Crypto payment underpaid ... wait for succeeded"); the API shows it as `pending`.
`processing` is a payment taken that settles later on the sandbox clock (`settle_*`).

Payout orders (payouts.py) share the table under their own state names (`payout_*`), so the
store's settled-first eviction and the control API treat them like sessions.
"""

from __future__ import annotations

from sandbox.machine import Lifecycle

NAME = "payviox"  # the provider's name, once: the mount prefix, the store's and the scenario's key
OPEN = "open"  # no payment attempt yet: the API says status null
PROCESSING = "processing"
PAY_OUTCOMES = ("succeeded", "declined", "pending_review", "failed", PROCESSING)
PAYABLE = ("open", "pending", "failed")  # a failed attempt may be retried with another method (invented)
INCOMPLETE = "incomplete"  # a crypto payment short of the amount, waiting for the rest
SETTLE_OUTCOMES = ("succeeded", "failed", "declined")  # what a processing payment may become (invented)

# Payout orders (api/payout/webhooks): created, processing, then succeeded, failed or rejected.
PAYOUT_NEW, PAYOUT_CREATED, PAYOUT_PROCESSING = "payout_new", "payout_created", "payout_processing"
PAYOUT_OUTCOMES = ("succeeded", "failed", "rejected")
PAYOUT_USER = "payout_user_active"  # a payout user: no transitions; it only holds a balance

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
for _outcome in SETTLE_OUTCOMES:
    _table[(PROCESSING, f"settle_{_outcome}")] = _outcome
_table[(PAYOUT_NEW, "payout_create")] = PAYOUT_CREATED  # the order's first step: `payout.created`
_table[(PAYOUT_CREATED, "payout_process")] = PAYOUT_PROCESSING
for _outcome in PAYOUT_OUTCOMES:
    _table[(PAYOUT_PROCESSING, f"payout_{_outcome}")] = f"payout_{_outcome}"

LIFECYCLE = Lifecycle(provider=NAME, initial=OPEN, table=_table)
