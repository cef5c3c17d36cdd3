"""`GET /v2/data/webhooks/subscriptions/{subscriptionId}/events`: what was sent to a subscription.

Source: the cdp-sdk repo's openapi.yaml (`listWebhookSubscriptionEvents`; also Python 1.51
`WebhooksApi.list_webhook_subscription_events` and TS 1.57 `webhooks.js`): filters `eventId`,
`minCreatedAt` / `maxCreatedAt` (RFC 3339), `eventTypeNames` (comma-separated); answer
`WebhookEventListResponse {events: [WebhookEventResponse {eventId, eventTypeName, status:
pending|processing|succeeded|failed|retrying, createdAt, succeededAt?, retryCount, response?
{httpCode, elapsedTimeMs, body, errorName}}]}`; "Results are limited to the 50 most recent events
(newest first). No pagination is supported." The 400 messages are the path's examples.

Every event is a `Delivery` of the sandbox's webhook ledger (sandbox/webhooks.py) made for this
subscription's endpoint, so it says what really happened to it: its attempts, their status
codes and latencies. Invented (FIDELITY.md): `processing` is never shown (an attempt is recorded
once it is over); a delivery a scenario rule dropped shows `failed` with errorName `dropped`;
`body` is left out (the ledger keeps no response bodies); the ledger's cap bounds what is listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox import jsonwire
from sandbox.clock import parse_instant
from sandbox.contract import Call, Reply
from sandbox.errors import InvalidRequest
from sandbox.providers.cdp.event_types import EVENT_TYPES
from sandbox.providers.cdp.lifecycle import NAME
from sandbox.providers.cdp.subscriptions import found
from sandbox.webhooks import DELIVERED, DROPPED, FAILED, Delivery

LIMIT = 50  # "the 50 most recent events"


def _stamp(at: datetime) -> str:
    """As the spec's example prints them: `2025-01-15T10:30:00Z`."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _instant(call: Call, name: str) -> datetime | None:
    raw = call.query.get(name)
    if raw is None:
        return None
    try:
        return parse_instant(raw)
    except ValueError:
        raise InvalidRequest(f"{name} must be a valid RFC 3339 timestamp.") from None


def _event_types(call: Call) -> set[str] | None:
    raw = call.query.get("eventTypeNames")
    if raw is None:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in EVENT_TYPES]
    if unknown:
        raise InvalidRequest(f"Unknown event type names: {', '.join(unknown)}.")
    return set(names)


def _status(delivery: Delivery) -> str:
    if delivery.state == DELIVERED:
        return "succeeded"
    if delivery.state in (FAILED, DROPPED):
        return "failed"
    return "retrying" if delivery.attempts else "pending"


def _error_name(error: str | None) -> str | None:
    """httpx's exception names in the docs' words (`timeout`, `connection_refused`)."""
    if error is None:
        return None
    name = error.partition(":")[0]
    if "Timeout" in name:
        return "timeout"
    if name == "ConnectError":
        return "connection_refused"
    return name


def _event_id(delivery: Delivery) -> str:
    payload = jsonwire.loads(delivery.body)
    return str(payload.get("eventId", delivery.id)) if isinstance(payload, dict) else delivery.id


def view(delivery: Delivery) -> dict[str, Any]:
    status = _status(delivery)
    shown: dict[str, Any] = {
        "eventId": _event_id(delivery),
        "eventTypeName": delivery.event,
        "status": status,
        "createdAt": _stamp(delivery.created_at),
    }
    if status == "succeeded":
        shown["succeededAt"] = _stamp(delivery.attempts[-1].at)
    shown["retryCount"] = max(len(delivery.attempts) - 1, 0)
    if delivery.attempts:
        last = delivery.attempts[-1]
        response: dict[str, Any] = {}
        if last.status is not None:
            response["httpCode"] = last.status
        response["elapsedTimeMs"] = round(last.latency_ms)
        if (error := _error_name(last.error)) is not None:
            response["errorName"] = error
        shown["response"] = response
    elif delivery.state == DROPPED:
        shown["response"] = {"errorName": "dropped"}
    return shown


def list_events(call: Call) -> Reply:
    endpoint = found(call)
    event_id = call.query.get("eventId")
    since, until = _instant(call, "minCreatedAt"), _instant(call, "maxCreatedAt")
    types = _event_types(call)
    chosen = []
    for delivery in reversed(call.services.webhooks.of_endpoint(NAME, endpoint.id)):  # newest first
        if types is not None and delivery.event not in types:
            continue
        if (since is not None and delivery.created_at < since) or (until is not None and delivery.created_at > until):
            continue
        shown = view(delivery)
        if event_id is not None and shown["eventId"] != event_id:
            continue
        chosen.append(shown)
        if len(chosen) == LIMIT:
            break
    return Reply(200, {"events": chosen})
