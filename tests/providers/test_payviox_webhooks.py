"""Payviox webhooks to a real local receiver: payload, signature, subscription, retries, recovery.

The sandbox runs in-process; its dispatcher POSTs over real HTTP to a uvicorn receiver in a
thread. Deliveries are driven through the control API (`flush`, `clock/advance`), as a test
on the ASGI transport has no lifespan loop.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest

from sandbox.threaded import free_port, serve_in_thread
from tests.support.apps import make_app
from tests.support.control import Control, SyncControl
from tests.support.payviox_calls import SECRET, create, verify_signature
from tests.support.receiver import Receiver, assert_attempts

pytestmark = pytest.mark.anyio
TOKEN = "whtoken_shop_secret"
ALL = ["succeeded", "pending_review", "declined", "refunded", "expired"]


async def subscribe(client: httpx.AsyncClient, url: str | None, events: list[str] | None = ALL) -> None:
    await Control(client).set_webhook_endpoint("payviox", "acme", url, TOKEN, events)


async def test_each_event_type_arrives_signed_with_the_documented_payload(
    client: httpx.AsyncClient, control: Control, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    await subscribe(client, url)
    paid = await create(client, order_id="o1", metadata={"user_id": "usr_123"})
    await control.act("payviox", paid, "pay")
    await control.act("payviox", paid, "refund")
    held = await create(client, order_id="o2")
    await control.act("payviox", held, "pay", outcome="pending_review")
    await control.act("payviox", held, "review", decision="decline")
    lapsed = await create(client, order_id="o3")
    await control.advance(86400)
    await control.flush_webhooks()

    bodies = []
    for headers, raw in hooks.received:
        assert headers["content-type"] == "application/json"
        assert verify_signature(raw.decode(), headers["signature"], TOKEN)
        bodies.append(json.loads(raw))
    by_session: dict[str, list[str]] = {}
    for body in bodies:  # ordered per session; sessions are delivered side by side
        by_session.setdefault(body["metadata"]["integration_session_id"], []).append(body["type"])
    assert by_session == {paid: ["succeeded", "refunded"], held: ["pending_review", "declined"], lapsed: ["expired"]}
    first = next(body for body in bodies if body["type"] == "succeeded")  # arrival order across sessions varies
    assert first == {
        "amount": 10000,
        "currency": "USD",
        "fees": 320,
        "metadata": {"integration_session_id": paid, "user_id": "usr_123"},
        "type": "succeeded",
        "provider": "stripe",
        "order_id": "o1",
        "items": [{"name": "Premium Plan", "quantity": 1, "price": 10000}],
        "payment_method": "card",
        "customer": first["customer"],
    }
    assert set(first["customer"]) == {"name", "email", "phone", "address"}
    expired = next(body for body in bodies if body["type"] == "expired")
    assert "fees" not in expired and "customer" not in expired  # nothing was collected


async def test_only_succeeded_is_subscribed_by_default(
    client: httpx.AsyncClient, control: Control, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    await subscribe(client, url, events=None)
    session_id = await create(client)
    await control.act("payviox", session_id, "pay", outcome="pending_review")
    await control.act("payviox", session_id, "review", decision="approve")
    await control.flush_webhooks()
    assert [json.loads(raw)["type"] for _, raw in hooks.received] == ["succeeded"]


async def test_retries_follow_the_documented_schedule_on_the_clock(
    client: httpx.AsyncClient, control: Control, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    hooks.status = 500
    await subscribe(client, url)
    await control.act("payviox", await create(client), "pay")
    await control.flush_webhooks()
    await assert_attempts(client, hooks, [(29, 1), (1, 2), (299, 2), (1, 3), (1800, 4), (86400, 4)])
    [delivery] = await control.webhooks()
    assert delivery["state"] == "failed"
    assert [attempt["at"] for attempt in delivery["attempts"]] == [
        "2026-01-01T00:00:00.000Z",
        "2026-01-01T00:00:30.000Z",
        "2026-01-01T00:05:30.000Z",
        "2026-01-01T00:35:30.000Z",
    ]
    assert {attempt["status"] for attempt in delivery["attempts"]} == {500}


async def test_an_answer_other_than_200_is_a_failure(
    client: httpx.AsyncClient, control: Control, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    hooks.status = 204  # "Success = HTTP 200"
    await subscribe(client, url)
    await control.act("payviox", await create(client), "pay")
    await control.flush_webhooks()
    [delivery] = await control.webhooks()
    assert (delivery["state"], delivery["next_attempt_at"]) == ("pending", "2026-01-01T00:00:30.000Z")


async def test_one_clock_jump_plays_every_retry_it_covers(client: httpx.AsyncClient, control: Control) -> None:
    await subscribe(client, f"http://127.0.0.1:{free_port()}/hooks")  # nothing listens there
    await control.act("payviox", await create(client), "pay")
    await control.advance(3600)
    [delivery] = await control.webhooks()
    assert delivery["state"] == "failed"
    assert len(delivery["attempts"]) == 4
    assert all(attempt["status"] is None and "ConnectError" in attempt["error"] for attempt in delivery["attempts"])


async def test_a_receiver_that_is_down_then_recovers_gets_every_event_in_order(
    client: httpx.AsyncClient, control: Control
) -> None:
    port = free_port()
    await subscribe(client, f"http://127.0.0.1:{port}/hooks")
    sessions = [await create(client, order_id=f"o{n}") for n in range(3)]
    for session_id in sessions:
        await control.act("payviox", session_id, "pay")
    await control.act("payviox", sessions[0], "refund")
    await control.advance(30)  # two attempts each, all refused
    hooks = Receiver()
    with serve_in_thread(hooks.app, port=port):
        await control.advance(300)
        got = [
            (json.loads(raw)["metadata"]["integration_session_id"], json.loads(raw)["type"])
            for _, raw in hooks.received
        ]
    assert sorted(got) == sorted([(s, "succeeded") for s in sessions] + [(sessions[0], "refunded")])
    assert got.index((sessions[0], "succeeded")) < got.index((sessions[0], "refunded"))  # in order per session
    states = {d["state"] for d in await control.webhooks()}
    assert states == {"delivered"}


async def test_without_an_endpoint_every_event_goes_to_the_inbox(client: httpx.AsyncClient, control: Control) -> None:
    session_id = await create(client)
    await control.act("payviox", session_id, "pay", outcome="pending_review")
    await control.act("payviox", session_id, "review", decision="approve")
    await control.flush_webhooks()
    inbox = await control.inbox("payviox-acme")
    assert [json.loads(entry["body"])["type"] for entry in inbox] == ["pending_review", "succeeded"]
    assert all(entry["verified"] for entry in inbox)
    assert verify_signature(inbox[0]["body"], inbox[0]["headers"]["Signature"], "whtoken_test_acme")


async def test_the_inbox_verifies_posts_it_was_told_to_expect(control: Control) -> None:
    await control.expect_inbox("shop", provider="payviox", secret=TOKEN)
    body = b'{"type":"succeeded"}'
    good = hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()
    assert (await control.deliver_to_inbox("shop", body, {"Signature": good}))["verified"]
    bad = await control.deliver_to_inbox("shop", body, {"Signature": "0" * 64})
    assert bad["verified"] is False
    assert [entry["verified"] for entry in await control.inbox("shop")] == [
        True,
        False,
    ]


async def test_redeliver_sends_the_same_body_again(
    client: httpx.AsyncClient, control: Control, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    await subscribe(client, url)
    await control.act("payviox", await create(client), "pay")
    await control.flush_webhooks()
    [original] = await control.webhooks()
    again = await control.redeliver(original["id"])
    assert again["id"] != original["id"] and again["state"] == "delivered"
    assert hooks.received[0][1] == hooks.received[1][1]
    assert (await control.raw.redeliver("whd_nope")).status_code == 404


async def test_delivery_log_filters(client: httpx.AsyncClient, control: Control) -> None:
    one, two = await create(client, order_id="a"), await create(client, order_id="b")
    await control.act("payviox", one, "pay")
    await control.act("payviox", two, "pay", outcome="declined")
    log = await control.webhooks(session_id=two)
    assert [entry["event"] for entry in log] == ["declined"]
    assert (await control.webhooks(event="succeeded"))[0]["session_id"] == one


async def test_endpoint_settings_are_validated(client: httpx.AsyncClient, control: Control) -> None:
    assert (await control.raw.set_webhook_endpoint("payviox", "acme", url=5)).status_code == 400
    assert (await control.raw.set_webhook_endpoint("payviox", "acme", events="all")).status_code == 400
    assert (await control.raw.set_webhook_endpoint("nobody", "acme")).status_code == 404
    await subscribe(client, "http://127.0.0.1:9/hooks")
    listed = await control.endpoints()
    assert listed == [
        {"provider": "payviox", "merchant": "acme", "url": "http://127.0.0.1:9/hooks", "events": sorted(ALL)}
    ]


def test_a_live_server_delivers_on_its_own(receiver: tuple[Receiver, str]) -> None:
    import time

    hooks, url = receiver
    with serve_in_thread(make_app()) as sandbox:
        control = SyncControl(sandbox)
        control.set_webhook_endpoint("payviox", "acme", url, TOKEN)
        created = httpx.post(
            f"{sandbox}/payviox/session",
            headers=SECRET,
            json={
                "amount": 100,
                "currency": "USD",
                "customer": "c",
                "order_id": "live",
                "items": [{"name": "x", "quantity": 1, "price": 100}],
            },
        )
        session_id = created.json()["session_id"]
        control.act("payviox", session_id, "pay")
        deadline = time.monotonic() + 10
        while not hooks.received and time.monotonic() < deadline:
            time.sleep(0.02)
    assert [json.loads(raw)["type"] for _, raw in hooks.received] == ["succeeded"]
