"""CDP's payment-session webhooks: which change sends which event, the payload, the signature.

Events (spec `webhooks:`; docs "payment-session-changed"): `acceptance.payment_session.<status>`
for `created`, `canceled` and `{authorization,capture,refund}_{pending,succeeded,failed}`; the
event type's suffix is the session status the change reached. The `void_*` events are in the
spec but documented as "reserved — not yet emitted", so the sandbox does not send them.

Body (PaymentSessionEventBase): `{eventType, eventId, timestamp, data: {paymentSession:
PaymentSessionSummary, authorization|capture|refund?}}`; the action objects carry no
`paymentSessionId`. The data is taken when the change happens (`stamp`), not when the webhook
is queued: one request can make several changes (an authorization that settles and starts its
autoCapture), and each event shows the session as it was at its own change.

Signature (docs "Verify Signatures", webhooks/transfers/verification): header
`X-Hook0-Signature: t=<unix>,v0=<hex>,h=<header names>,v1=<hex>` with
`v0 = HMAC-SHA256(secret, "{t}.{body}")` and `v1 = HMAC-SHA256(secret, "{t}.{h}.{values of the h
headers joined by '.'}.{body}")`, `h = content-type x-event-id x-event-type` (the docs' example),
so deliveries carry `X-Event-Id` and `X-Event-Type`. `t` is wall time, signed afresh at each
attempt: the docs' verifier rejects a `t` more than 5 minutes older than the receiver's clock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.clock import iso
from sandbox.machine import Transition
from sandbox.providers.cdp.records import Action, CdpSession, money
from sandbox.providers.cdp.wire import action_view
from sandbox.webhooks import Event, Policy

if TYPE_CHECKING:
    from sandbox.contract import Services

PREFIX = "acceptance.payment_session."
SIGNED_HEADERS = "content-type x-event-id x-event-type"
RESERVED = "void_"  # the void events: "reserved — not yet emitted"
_STATUSES = [f"{kind}_{state}" for kind in ("authorization", "capture", "void", "refund")
             for state in ("pending", "succeeded", "failed")]  # fmt: skip
EVENT_TYPES = tuple(PREFIX + suffix for suffix in ("created", "canceled", *_STATUSES))

# PaymentSessionEventData: the fields each action object may carry (no paymentSessionId; a
# refund has no `source`, an authorization no x402 `message`).
_COMMON = {"status", "amount", "error", "onchainTransactions", "metadata", "createdAt", "updatedAt"}
_ACTION_FIELDS = {
    "authorization": {"authorizationId", "source", *_COMMON},
    "capture": {"captureId", "finalCapture", *_COMMON},
    "void": {"voidId", *_COMMON},
    "refund": {"refundId", "reason", *_COMMON},
}


def summary(session: CdpSession, at: datetime) -> dict[str, Any]:
    """PaymentSessionSummary: no url, x402Url, redirect, action arrays or cancellationReason."""
    view: dict[str, Any] = {
        "paymentSessionId": session.id,
        "entityId": session.entity_id,
        "amount": money(session.amount, session.scale),
        "asset": session.asset,
    }
    if session.source is not None:  # "Set after a successful authorization."
        view["source"] = session.source
    view["target"] = session.target
    view["autoCapture"] = session.auto_capture
    view["expiries"] = {name: iso(moment) for name, moment in session.expiries.items()}
    view["status"] = session.status
    view["balances"] = session.balances()
    optional = {
        "externalReferenceId": session.external_reference_id,
        "customerDisplay": session.customer_display,
        "metadata": session.metadata,
    }
    view.update({name: value for name, value in optional.items() if value is not None})
    view["createdAt"] = iso(session.created_at)
    view["updatedAt"] = iso(at)
    return view


def stamp(sandbox: Services, session: CdpSession, step: Transition, action: Action | None = None) -> Transition:
    """`step` carrying its webhook's `eventId` (seeded) and `data`, taken as the change happens.

    Call it right after the change (the session's status is the step's `after`); the stamped
    step replaces the plain one in the session's history."""
    data: dict[str, Any] = {"paymentSession": summary(session, step.at)}
    if action is not None:
        view = action_view(action, session.scale)
        data[action.kind] = {name: value for name, value in view.items() if name in _ACTION_FIELDS[action.kind]}
    stamped = replace(step, detail={**step.detail, "event_id": sandbox.entropy.uuid4(), "data": data})
    if session.history and session.history[-1] is step:
        session.history = (*session.history[:-1], stamped)
    return stamped


def events(step: Transition, record: Any) -> list[Event]:
    data = step.detail.get("data")
    if data is None or step.after.startswith(RESERVED):
        return []
    event_type = PREFIX + step.after
    # The spec's examples print the event time without fractions ('2025-06-15T12:02:00Z').
    body = {
        "eventType": event_type,
        "eventId": step.detail["event_id"],
        "timestamp": step.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": data,
    }
    return [Event(event_type, body)]


def _hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, now: datetime) -> dict[str, str]:
    """`X-Hook0-Signature` plus the two headers it covers, read from the body being signed."""
    event = json.loads(body)
    event_id, event_type = str(event["eventId"]), str(event["eventType"])
    t = str(int(now.timestamp()))
    values = ".".join(("application/json", event_id, event_type))
    v0 = _hmac(secret, f"{t}.".encode() + body)
    v1 = _hmac(secret, f"{t}.{SIGNED_HEADERS}.{values}.".encode() + body)
    return {
        "X-Hook0-Signature": f"t={t},v0={v0},h={SIGNED_HEADERS},v1={v1}",
        "X-Event-Id": event_id,
        "X-Event-Type": event_type,
    }


def verify(body: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """The docs' check of `v1` over the headers `h` names (and `v0` when present). The docs'
    5-minute limit on `t` needs the receiver's clock; the built-in inbox leaves it out."""
    lowered = {name.lower(): value for name, value in headers.items()}
    fields = dict(part.split("=", 1) for part in lowered.get("x-hook0-signature", "").split(",") if "=" in part)
    t, names, v1 = fields.get("t", ""), fields.get("h", ""), fields.get("v1", "")
    values = ".".join(lowered.get(name, "") for name in names.split(" "))
    if not t or not hmac.compare_digest(_hmac(secret, f"{t}.{names}.{values}.".encode() + body), v1):
        return False
    return "v0" not in fields or hmac.compare_digest(_hmac(secret, f"{t}.".encode() + body), fields["v0"])


def secret(merchant: str) -> str:
    """Invented: a merchant's webhook secret until a subscription (or the control API) sets one."""
    return f"whsec_test_{merchant}"


POLICY = Policy(
    sign=sign,
    verify=verify,
    # Invented (CDP publishes no schedule): immediately, then 5 s, 30 s, 2 min, 5 min, 30 min,
    # 1 h and 3 h later -- fast then slow, the shape of Hook0's default retries.
    schedule=(0, 5, 30, 120, 300, 1800, 3600, 10800),
    accepts=lambda status: 200 <= status < 300,  # Invented: any 2xx (the spec lists 200)
    timeout=15.0,  # Invented
    default_events=None,  # a subscription lists its eventTypes; the control API's endpoint gets all
    signs_each_attempt=True,
    event_types=frozenset(EVENT_TYPES),
)
