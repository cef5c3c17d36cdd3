"""CDP's webhook subscription API over HTTP, and deliveries to several subscriptions at once.

Each subscription gets its own `secret`; each receiver verifies with that secret using the
docs' verifier, and gets only the `eventTypes` it named while `isEnabled` is true.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.threaded import serve_in_thread
from tests.support.apps import make_app
from tests.support.cdp_calls import ACME, GLOBEX, create, error_of, session_body
from tests.support.cdp_hooks import CdpReceiver
from tests.support.control import Control

pytestmark = pytest.mark.anyio
SUBS = "/cdp/platform/v2/data/webhooks/subscriptions"
P = "acceptance.payment_session."


def subscription(url: str, events: list[str], **changes: Any) -> dict[str, Any]:
    body = {"description": "orders", "eventTypes": events, "target": {"url": url}, "labels": {}, "isEnabled": True}
    return {**body, **changes}


async def subscribe(client: httpx.AsyncClient, url: str, events: list[str], **changes: Any) -> dict[str, Any]:
    response = await client.post(SUBS, json=subscription(url, events, **changes), headers=ACME)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def receivers() -> Iterator[list[tuple[CdpReceiver, str]]]:
    """Two receivers; each learns its secret once its subscription exists."""
    first, second = CdpReceiver(""), CdpReceiver("")
    with serve_in_thread(first.app) as one, serve_in_thread(second.app) as two:
        yield [(first, f"{one}/hooks"), (second, f"{two}/hooks")]


async def test_create_answers_201_with_the_secret_and_the_docs_fields(client: httpx.AsyncClient) -> None:
    created = await subscribe(client, "https://shop.example.com/hooks", [P + "created"], metadata={"team": "pay"})
    assert list(created) == [
        "createdAt", "description", "eventTypes", "isEnabled", "labels", "metadata", "secret", "subscriptionId",
        "target",
    ]  # fmt: skip
    assert created["createdAt"] == "2026-01-01T00:00:00.000000Z"
    assert created["eventTypes"] == [P + "created"] and created["isEnabled"] is True
    assert created["labels"] == {"entity": (await create(client))["entityId"]}
    assert created["target"] == {"url": "https://shop.example.com/hooks"}
    assert created["secret"] and created["subscriptionId"]
    fetched = await client.get(f"{SUBS}/{created['subscriptionId']}", headers=ACME)
    assert fetched.status_code == 200 and fetched.json() == created


async def test_list_update_delete(client: httpx.AsyncClient, control: Control) -> None:
    one = await subscribe(client, "https://shop.example.com/a", [P + "created"])
    two = await subscribe(client, "https://shop.example.com/b", [P + "canceled"])
    listed = (await client.get(SUBS, headers=ACME)).json()
    assert [s["subscriptionId"] for s in listed["subscriptions"]] == [two["subscriptionId"], one["subscriptionId"]]
    assert "nextPageToken" not in listed
    paged = (await client.get(SUBS, params={"pageSize": 1}, headers=ACME)).json()
    assert len(paged["subscriptions"]) == 1 and paged["nextPageToken"]

    await control.advance(60)
    changed = subscription("https://shop.example.com/c", [P + "created"], isEnabled=False,
                           target={"url": "https://shop.example.com/c", "headers": {"x-shop": "1"}})  # fmt: skip
    updated = await client.put(f"{SUBS}/{one['subscriptionId']}", json=changed, headers=ACME)
    assert updated.status_code == 200
    assert updated.json()["target"] == {"url": "https://shop.example.com/c", "headers": {"x-shop": "1"}}
    assert updated.json()["isEnabled"] is False and updated.json()["secret"] == one["secret"]
    assert updated.json()["updatedAt"] == "2026-01-01T00:01:00.000000Z"

    deleted = await client.delete(f"{SUBS}/{one['subscriptionId']}", headers=ACME)
    assert (deleted.status_code, deleted.content) == (204, b"")
    again = await client.delete(f"{SUBS}/{one['subscriptionId']}", headers=ACME)
    assert error_of(again) == (404, "not_found")
    assert [s["subscriptionId"] for s in (await client.get(SUBS, headers=ACME)).json()["subscriptions"]] == [
        two["subscriptionId"]
    ]


async def test_another_api_key_sees_none_of_them(client: httpx.AsyncClient) -> None:
    mine = await subscribe(client, "https://shop.example.com/a", [P + "created"])
    assert (await client.get(SUBS, headers=GLOBEX)).json() == {"subscriptions": []}
    assert error_of(await client.get(f"{SUBS}/{mine['subscriptionId']}", headers=GLOBEX)) == (404, "not_found")
    body = subscription("https://x.example.com", [P + "created"])
    assert error_of(await client.put(f"{SUBS}/{mine['subscriptionId']}", json=body, headers=GLOBEX))[0] == 404
    assert error_of(await client.get(SUBS))[0] == 401


@pytest.mark.parametrize(
    "body",
    [
        {"target": {"url": "https://a.example.com"}, "isEnabled": True},
        {"eventTypes": [], "target": {"url": "https://a.example.com"}, "isEnabled": True},
        {"eventTypes": [P + "created"], "target": {}, "isEnabled": True},
        {"eventTypes": [P + "created"], "target": {"url": "ftp://a.example.com"}, "isEnabled": True},
        {"eventTypes": [P + "created"], "target": {"url": "https://a.example.com"}, "isEnabled": "yes"},
        {"eventTypes": [P + "created"], "target": {"url": "https://a.example.com"}},
        {"eventTypes": [P + "created"], "target": {"url": "https://a", "headers": {"a": 1}}, "isEnabled": True},
        {"eventTypes": [5], "target": {"url": "https://a.example.com"}, "isEnabled": True},
        [],
    ],
)
async def test_bad_bodies_are_400_invalid_request(client: httpx.AsyncClient, body: Any) -> None:
    assert error_of(await client.post(SUBS, json=body, headers=ACME)) == (400, "invalid_request")


async def test_each_subscription_gets_its_event_types_signed_with_its_own_secret(
    client: httpx.AsyncClient, control: Control, receivers: list[tuple[CdpReceiver, str]]
) -> None:
    (everything, all_url), (outcomes, outcome_url) = receivers
    every_type = [P + "created", P + "authorization_pending", P + "authorization_succeeded"]
    everything.secret = (await subscribe(client, all_url, every_type))["secret"]
    outcomes.secret = (await subscribe(client, outcome_url, [P + "authorization_succeeded"]))["secret"]
    assert everything.secret != outcomes.secret
    paused = await subscribe(client, outcome_url, every_type, isEnabled=False)

    session_id = (await create(client))["paymentSessionId"]
    await control.act("cdp", session_id, "authorize")
    await control.session("cdp", session_id)  # settles the authorization
    await control.flush_webhooks()

    def types(hooks: CdpReceiver) -> list[str]:
        assert all(verified for _, _, verified in hooks.received)
        return [json.loads(raw)["eventType"] for _, raw, _ in hooks.received]

    assert types(everything) == every_type
    assert types(outcomes) == [P + "authorization_succeeded"]
    assert json.loads(everything.received[2][1]) == json.loads(outcomes.received[0][1])  # the same event
    endpoints = await control.endpoints()
    assert {(e["subscription"], e["enabled"]) for e in endpoints} >= {(paused["subscriptionId"], False)}
    assert (await control.inbox("cdp-acme-key")) == []


async def test_target_headers_are_sent_and_a_disabled_subscription_gets_nothing(
    client: httpx.AsyncClient, control: Control, receivers: list[tuple[CdpReceiver, str]]
) -> None:
    (hooks, url), _ = receivers
    made = await subscribe(client, url, [P + "created"], target={"url": url, "headers": {"X-Shop-Token": "s3cret"}})
    hooks.secret = made["secret"]
    await create(client)
    await control.flush_webhooks()
    [(headers, _, verified)] = hooks.received
    assert verified and headers["x-shop-token"] == "s3cret"
    paused = subscription(url, [P + "created"], isEnabled=False)
    assert (await client.put(f"{SUBS}/{made['subscriptionId']}", json=paused, headers=ACME)).status_code == 200
    await create(client)
    await control.flush_webhooks()
    assert len(hooks.received) == 1


def test_a_live_server_delivers_to_a_subscription_on_its_own(receivers: list[tuple[CdpReceiver, str]]) -> None:
    """No flush: the live server's dispatcher sends as soon as the change is made."""
    (hooks, url), _ = receivers
    with serve_in_thread(make_app(manual=False)) as sandbox:
        made = httpx.post(f"{sandbox}{SUBS}", json=subscription(url, [P + "created"]), headers=ACME)
        hooks.secret = made.json()["secret"]
        httpx.post(f"{sandbox}/cdp/platform/v2/payment-sessions", json=session_body(), headers=ACME)
        deadline = time.monotonic() + 10
        while not hooks.received and time.monotonic() < deadline:
            time.sleep(0.02)
    [(_, raw, verified)] = hooks.received
    assert verified and json.loads(raw)["eventType"] == P + "created"
