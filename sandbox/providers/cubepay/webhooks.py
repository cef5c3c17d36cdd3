"""CubePay's webhooks: the "Payment Status Update" on each status change, signed and retried.

What is public (research notes, shared/research/cubepay.md §4): a webhook titled "Payment
Status Update" exists (payment-sdk/api-reference/endpoints, Webhooks section), "you receive a
webhook when the capture completes" (handle-payment-completion), its payload carries a session
status, and handlers should be idempotent and "always return 200" (handle-errors, error-codes).

Invented (FIDELITY.md, CubePay): everything else. One POST per status change; the body is the
`GET /payment-sessions/{id}` object (`wire.session_view`); header `X-CubePay-Signature` =
lowercase hex HMAC-SHA256 of the raw body, keyed with the merchant's webhook secret (default
`whsec_test_<merchant>`); success is HTTP 200 (the docs tell handlers to always answer 200);
six attempts: immediately, then 1 min, 5 min, 30 min, 2 h and 6 h later, 10 s each.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sandbox.machine import Transition
from sandbox.providers.cubepay import lifecycle, wire
from sandbox.webhooks import Event, Policy

# Invented: the header name (no signature scheme is public).
SIGNATURE_HEADER = "X-CubePay-Signature"


def events(step: Transition, record: Any) -> list[Event]:
    """One "Payment Status Update" per status change; the sandbox names the event by the new status.

    Invented: the body is the session as `GET /payment-sessions/{id}` shows it when the event is
    queued, with `status` the status this change reached (several changes can be queued by one
    request, e.g. a payment that connects the wallet and funds the session at once).
    """
    if record is None or step.after == step.before:
        return []
    return [Event(step.after, {**wire.session_view(record), "status": step.after})]


def sign(body: bytes, secret: str, now: datetime) -> dict[str, str]:
    return {SIGNATURE_HEADER: hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def verify(body: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """A merchant's check: recompute over the raw body and compare in constant time."""
    given = headers.get(SIGNATURE_HEADER.lower()) or headers.get(SIGNATURE_HEADER) or ""
    return hmac.compare_digest(sign(body, secret, datetime.min)[SIGNATURE_HEADER], given)


def secret(merchant: str) -> str:
    """Invented: a merchant's default webhook secret, until the control API sets one."""
    return f"whsec_test_{merchant}"


POLICY = Policy(
    sign=sign,
    verify=verify,
    schedule=(0, 60, 300, 1800, 7200, 21600),  # Invented: no retry schedule is public
    accepts=lambda status: status == 200,  # Invented from "always return 200" (handle-errors)
    timeout=10.0,  # Invented
    default_events=None,  # every status change
    event_types=frozenset(lifecycle.STATUSES),  # the sandbox names each event by the status reached
)
