"""`GET /v2/data/webhooks/subscriptions/{id}/events` over HTTP, fed by real deliveries to a live
receiver: status, retry count and the last response as the ledger recorded them; the filters;
the spec's 400 and 404 messages. Also the spec's validation of the subscriptions themselves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.threaded import serve_in_thread
from tests.support.cdp_calls import ACME, GLOBEX, create, error_of
from tests.support.cdp_hooks import CdpReceiver
from tests.support.control import Control

pytestmark = pytest.mark.anyio
SUBS = "/cdp/platform/v2/data/webhooks/subscriptions"
P = "acceptance.payment_session."


@pytest.fixture
def receiver() -> Iterator[tuple[CdpReceiver, str]]:
    hooks = CdpReceiver("")
    with serve_in_thread(hooks.app) as url:
        yield hooks, f"{url}/hooks"


async def subscribe(client: httpx.AsyncClient, url: str, events: list[str]) -> dict[str, Any]:
    body = {"eventTypes": events, "target": {"url": url}, "isEnabled": True}
    response = await client.post(SUBS, json=body, headers=ACME)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def events(client: httpx.AsyncClient, subscription_id: str, query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"{SUBS}/{subscription_id}/events?{query}", headers=ACME)
    assert response.status_code == 200, response.text
    return response.json()["events"]  # type: ignore[no-any-return]


async def test_events_show_each_delivery_its_retries_and_last_response(
    client: httpx.AsyncClient, control: Control, receiver: tuple[CdpReceiver, str]
) -> None:
    hooks, url = receiver
    made = await subscribe(client, url, [P + "created", P + "canceled"])
    hooks.secret = made["secret"]
    sid = made["subscriptionId"]
    assert await events(client, sid) == []
    hooks.status = 500  # the receiver fails the first attempt
    session_id = (await create(client))["paymentSessionId"]
    await control.flush_webhooks()
    [failing] = await events(client, sid)
    sent = json.loads(hooks.received[0][1])
    assert (failing["eventId"], failing["eventTypeName"]) == (sent["eventId"], P + "created")
    assert (failing["status"], failing["retryCount"]) == ("retrying", 0)
    assert failing["response"]["httpCode"] == 500 and "succeededAt" not in failing
    hooks.status = 200
    await control.advance(5)  # the second attempt is due 5 s later
    await control.flush_webhooks()
    [ok] = await events(client, sid)
    assert (ok["status"], ok["retryCount"], ok["response"]["httpCode"]) == ("succeeded", 1, 200)
    assert ok["succeededAt"] == "2026-01-01T00:00:05Z" and ok["createdAt"] == "2026-01-01T00:00:00Z"
    assert isinstance(ok["response"]["elapsedTimeMs"], int)

    await control.advance(60)
    await client.post(f"/cdp/platform/v2/payment-sessions/{session_id}/cancel", headers=ACME)
    await control.flush_webhooks()
    newest_first = await events(client, sid)
    assert [e["eventTypeName"] for e in newest_first] == [P + "canceled", P + "created"]
    assert [e["eventTypeName"] for e in await events(client, sid, f"eventTypeNames={P}created")] == [P + "created"]
    assert await events(client, sid, f"eventId={ok['eventId']}") == [ok]
    assert len(await events(client, sid, "minCreatedAt=2026-01-01T00:00:01Z")) == 1
    assert len(await events(client, sid, "maxCreatedAt=2026-01-01T00:00:01Z")) == 1
    assert await events(client, sid, "eventTypeNames=onchain.activity.detected") == []


async def test_an_unreachable_target_is_retrying_with_its_error_name(
    client: httpx.AsyncClient, control: Control
) -> None:
    made = await subscribe(client, "http://127.0.0.1:9/hooks", [P + "created"])  # nothing listens on 9
    await create(client)
    await control.flush_webhooks()
    [event] = await events(client, made["subscriptionId"])
    assert (event["status"], event["retryCount"]) == ("retrying", 0)
    assert event["response"]["errorName"] == "connection_refused" and "httpCode" not in event["response"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("minCreatedAt=yesterday", "minCreatedAt must be a valid RFC 3339 timestamp."),
        ("maxCreatedAt=2026-13-01", "maxCreatedAt must be a valid RFC 3339 timestamp."),
        ("eventTypeNames=invalid.event.type", "Unknown event type names: invalid.event.type."),
    ],
)
async def test_bad_filters_are_400_with_the_spec_messages(client: httpx.AsyncClient, query: str, message: str) -> None:
    made = await subscribe(client, "https://shop.example.com/hooks", [P + "created"])
    response = await client.get(f"{SUBS}/{made['subscriptionId']}/events?{query}", headers=ACME)
    assert error_of(response) == (400, "invalid_request") and response.json()["errorMessage"] == message


async def test_unknown_or_foreign_subscriptions_are_404_with_the_spec_message(client: httpx.AsyncClient) -> None:
    made = await subscribe(client, "https://shop.example.com/hooks", [P + "created"])
    for path, headers in [
        (f"{SUBS}/{made['subscriptionId']}/events", GLOBEX),
        (f"{SUBS}/00000000-0000-4000-8000-000000000000/events", ACME),
        (f"{SUBS}/00000000-0000-4000-8000-000000000000", ACME),
    ]:
        response = await client.get(path, headers=headers)
        assert error_of(response) == (404, "not_found")
        assert response.json()["errorMessage"] == "Webhook subscription not found."


# the subscriptions' own validation ---------------------------------------------------------

VALID = {"eventTypes": [P + "created"], "target": {"url": "https://shop.example.com/hooks"}, "isEnabled": True}
BAD_TYPES = "Event types must be non-empty and contain valid event type names."


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"eventTypes": ["bogus.type"]}, BAD_TYPES),
        ({"eventTypes": []}, BAD_TYPES),
        ({"eventTypes": [P + "created", "payment_session.created"]}, BAD_TYPES),
        ({"description": "d" * 101}, "description must be between 0 and 100 characters long."),
        ({"labels": {f"k{i}": "v" for i in range(21)}}, "A subscription accepts at most 20 labels."),
        (
            {"metadata": {f"k{i}": "v" for i in range(11)}},
            "Metadata has too many keys. Up to 10 key/value pairs are permitted.",
        ),
        (
            {"metadata": {"k": "v" * 501}},
            "Metadata value for key 'k' is too long. Values must be 500 characters or less.",
        ),
    ],
)
async def test_create_and_update_check_the_spec_limits(
    client: httpx.AsyncClient, changes: dict[str, Any], message: str
) -> None:
    response = await client.post(SUBS, json={**VALID, **changes}, headers=ACME)
    assert error_of(response) == (400, "invalid_request") and response.json()["errorMessage"] == message
    made = await subscribe(client, "https://shop.example.com/hooks", [P + "created"])
    update = await client.put(f"{SUBS}/{made['subscriptionId']}", json={**VALID, **changes}, headers=ACME)
    assert error_of(update) == (400, "invalid_request") and update.json()["errorMessage"] == message


async def test_the_limits_themselves_are_accepted(client: httpx.AsyncClient) -> None:
    body = {
        **VALID,
        "eventTypes": [P + "created", "acceptance.mandate.created", "onchain.activity.detected"],
        "description": "d" * 100,
        "labels": {f"k{i}": "v" for i in range(20)},
        "metadata": {f"k{i}": "v" for i in range(10)},
    }
    assert (await client.post(SUBS, json=body, headers=ACME)).status_code == 201


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("pageSize=0", "Page size must be between 1 and 100."),
        ("pageSize=101", "Page size must be between 1 and 100."),
        ("pageSize=abc", "Page size must be between 1 and 100."),
        ("pageToken=not-a-token", "Invalid page token format."),
    ],
)
async def test_list_paging_errors_use_the_spec_messages(client: httpx.AsyncClient, query: str, message: str) -> None:
    response = await client.get(f"{SUBS}?{query}", headers=ACME)
    assert error_of(response) == (400, "invalid_request") and response.json()["errorMessage"] == message


async def test_page_size_100_is_taken(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{SUBS}?pageSize=100", headers=ACME)).status_code == 200
