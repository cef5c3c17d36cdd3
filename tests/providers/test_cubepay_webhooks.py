"""CubePay webhooks to a real local receiver: one signed "Payment Status Update" per status change.

The sandbox runs in-process; its dispatcher POSTs over real HTTP to a uvicorn receiver in a
thread. Deliveries are driven through the control API (`flush`, `clock/advance`). The scheme
is the sandbox's invention (FIDELITY.md, CubePay): `X-CubePay-Signature` = hex HMAC-SHA256 of
the raw body.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest

from sandbox.providers.cubepay.auth import merchant_id
from sandbox.threaded import free_port, serve_in_thread
from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.cubepay_calls import capture, create, funded, read
from tests.support.receiver import Receiver, assert_attempts

pytestmark = pytest.mark.anyio
SECRET = "whsec_shop_secret"
ACME = merchant_id("cubepay_test_acme")  # the merchant API_KEY names


def verify_signature(raw_body: bytes, signature: str, secret: str) -> bool:
    """What a merchant's handler does: HMAC-SHA256 of the raw body, compared in constant time."""
    computed = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(computed, signature)


async def subscribe(client: httpx.AsyncClient, url: str | None, events: list[str] | None = None) -> None:
    await Control(client).set_webhook_endpoint("cubepay", ACME, url, SECRET, events)


def received(hooks: Receiver) -> list[dict[str, object]]:
    bodies = []
    for headers, raw in hooks.received:
        assert headers["content-type"] == "application/json"
        assert verify_signature(raw, headers["x-cubepay-signature"], SECRET)
        bodies.append(json.loads(raw))
    return bodies


async def test_each_status_change_arrives_in_order_signed_and_shaped_like_the_session(
    client: httpx.AsyncClient, control: Control, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    await subscribe(client, url)
    paid = await funded(client)  # PENDING -> FUNDED
    assert (await capture(client, paid, "20.00", request_id="a")).status_code == 202  # -> CAPTURING
    await read(client, paid)  # settled: -> FUNDED
    assert (await capture(client, paid, "30.00", final=True, request_id="b")).status_code == 202
    final_view = await read(client, paid)  # -> SUCCEEDED
    canceled = (await create(client))["paymentSessionId"]
    await control.act("cubepay", canceled, "cancel")
    failed = await funded(client)
    await control.act("cubepay", failed, "fail")
    lapsed = (await create(client))["paymentSessionId"]
    await control.advance(3600)  # unfunded TTL: -> CANCELED
    await control.flush_webhooks()

    bodies = received(hooks)
    by_session: dict[object, list[object]] = {}
    for body in bodies:  # ordered per session; sessions are delivered side by side
        by_session.setdefault(body["paymentSessionId"], []).append(body["status"])
    assert by_session == {
        paid: ["FUNDED", "CAPTURING", "FUNDED", "CAPTURING", "SUCCEEDED"],
        canceled: ["CANCELED"],
        failed: ["FUNDED", "ERROR"],
        lapsed: ["CANCELED"],
    }
    last = [body for body in bodies if body["paymentSessionId"] == paid][-1]
    assert last == final_view  # the GET session object, field for field


async def test_changes_made_by_one_request_each_send_their_own_status(
    receiver: tuple[Receiver, str],
) -> None:
    hooks, url = receiver
    async with client_for(make_app(providers={"cubepay": {"initial_status": "CREATED"}})) as client:
        control = Control(client)
        await subscribe(client, url)
        session_id = (await create(client))["paymentSessionId"]
        await control.act("cubepay", session_id, "fund")  # connects the wallet (-> PENDING), then funds (-> FUNDED)
        await control.flush_webhooks()
    assert [body["status"] for body in received(hooks)] == ["PENDING", "FUNDED"]


async def test_a_subscription_can_pick_statuses(
    client: httpx.AsyncClient, control: Control, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    await subscribe(client, url, events=["SUCCEEDED"])
    session_id = await funded(client)
    await capture(client, session_id, "50.00", final=True)
    await control.flush_webhooks()
    assert [body["status"] for body in received(hooks)] == ["SUCCEEDED"]
    log = await control.webhooks(provider="cubepay")
    assert [entry["event"] for entry in log] == ["SUCCEEDED"]


async def test_retries_follow_the_sandbox_schedule_on_the_clock(
    client: httpx.AsyncClient, control: Control, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    hooks.status = 500
    await subscribe(client, url)
    await funded(client)
    await control.flush_webhooks()
    schedule = [(59, 1), (1, 2), (300, 3), (1800, 4), (7200, 5), (21599, 5), (1, 6), (86400, 6)]
    await assert_attempts(client, hooks, schedule)
    [delivery] = await control.webhooks(provider="cubepay")
    assert delivery["state"] == "failed"
    assert [attempt["at"] for attempt in delivery["attempts"]] == [
        "2026-01-01T00:00:00.000Z",
        "2026-01-01T00:01:00.000Z",
        "2026-01-01T00:06:00.000Z",
        "2026-01-01T00:36:00.000Z",
        "2026-01-01T02:36:00.000Z",
        "2026-01-01T08:36:00.000Z",
    ]


async def test_only_a_200_counts_as_delivered(
    client: httpx.AsyncClient, control: Control, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    hooks.status = 204  # handlers are told to "always return 200" (handle-errors)
    await subscribe(client, url)
    await funded(client)
    await control.flush_webhooks()
    [delivery] = await control.webhooks()
    assert (delivery["state"], delivery["next_attempt_at"]) == ("pending", "2026-01-01T00:01:00.000Z")
    hooks.status = 200
    await control.advance(60)
    [delivery] = await control.webhooks()
    assert delivery["state"] == "delivered" and len(hooks.received) == 2
    assert hooks.received[0][1] == hooks.received[1][1]  # a retry sends the same bytes


async def test_a_receiver_that_is_down_then_recovers_gets_every_status_in_order(
    client: httpx.AsyncClient, control: Control
) -> None:
    port = free_port()
    await subscribe(client, f"http://127.0.0.1:{port}/hooks")
    session_id = await funded(client)
    await capture(client, session_id, "50.00", final=True)
    await control.advance(60)  # FUNDED tried twice, refused
    hooks = Receiver()
    with serve_in_thread(hooks.app, port=port):
        await control.advance(300)
    assert [body["status"] for body in received(hooks)] == ["FUNDED", "CAPTURING", "SUCCEEDED"]
    states = {d["state"] for d in await control.webhooks()}
    assert states == {"delivered"}


async def test_without_an_endpoint_every_status_goes_to_the_merchants_inbox(
    client: httpx.AsyncClient, control: Control
) -> None:
    session_id = await funded(client)
    await capture(client, session_id, "50.00", final=True)
    await control.flush_webhooks()
    inbox = await control.inbox(f"cubepay-{ACME}")
    assert [json.loads(entry["body"])["status"] for entry in inbox] == ["FUNDED", "CAPTURING", "SUCCEEDED"]
    assert all(entry["verified"] for entry in inbox)
    default_secret = f"whsec_test_{ACME}"
    for entry in inbox:
        assert verify_signature(entry["body"].encode(), entry["headers"]["X-CubePay-Signature"], default_secret)


async def test_the_inbox_verifies_cubepay_posts_it_was_told_to_expect(control: Control) -> None:
    await control.expect_inbox("shop", provider="cubepay", secret=SECRET)
    body = b'{"paymentSessionId":"ps_x","status":"SUCCEEDED"}'
    good = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert (await control.deliver_to_inbox("shop", body, {"X-CubePay-Signature": good}))["verified"]
    tampered = body.replace(b"SUCCEEDED", b"FUNDED")
    response = await control.deliver_to_inbox("shop", tampered, {"X-CubePay-Signature": good})
    assert response["verified"] is False
