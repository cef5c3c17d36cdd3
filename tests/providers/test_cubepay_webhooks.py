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
from conftest import client_for, free_port, make_app, serve_in_thread
from cubepay_calls import act, capture, create, funded, read
from receiver import Receiver, assert_attempts

from sandbox.providers.cubepay.auth import merchant_id

pytestmark = pytest.mark.anyio
SECRET = "whsec_shop_secret"
ACME = merchant_id("cubepay_test_acme")  # the merchant API_KEY names


def verify_signature(raw_body: bytes, signature: str, secret: str) -> bool:
    """What a merchant's handler does: HMAC-SHA256 of the raw body, compared in constant time."""
    computed = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(computed, signature)


async def subscribe(client: httpx.AsyncClient, url: str | None, events: list[str] | None = None) -> None:
    body = {"url": url, "secret": SECRET, "events": events}
    assert (await client.put(f"/_sandbox/webhooks/endpoints/cubepay/{ACME}", json=body)).status_code == 200


def received(hooks: Receiver) -> list[dict[str, object]]:
    bodies = []
    for headers, raw in hooks.received:
        assert headers["content-type"] == "application/json"
        assert verify_signature(raw, headers["x-cubepay-signature"], SECRET)
        bodies.append(json.loads(raw))
    return bodies


async def test_each_status_change_arrives_in_order_signed_and_shaped_like_the_session(
    client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    await subscribe(client, url)
    paid = await funded(client)  # PENDING -> FUNDED
    assert (await capture(client, paid, "20.00", request_id="a")).status_code == 202  # -> CAPTURING
    await read(client, paid)  # settled: -> FUNDED
    assert (await capture(client, paid, "30.00", final=True, request_id="b")).status_code == 202
    final_view = await read(client, paid)  # -> SUCCEEDED
    canceled = (await create(client))["paymentSessionId"]
    await act(client, canceled, "cancel")
    failed = await funded(client)
    await act(client, failed, "fail")
    lapsed = (await create(client))["paymentSessionId"]
    await client.post("/_sandbox/clock/advance", json={"seconds": 3600})  # unfunded TTL: -> CANCELED
    await client.post("/_sandbox/webhooks/flush")

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
        await subscribe(client, url)
        session_id = (await create(client))["paymentSessionId"]
        await act(client, session_id, "fund")  # connects the wallet (-> PENDING), then funds (-> FUNDED)
        await client.post("/_sandbox/webhooks/flush")
    assert [body["status"] for body in received(hooks)] == ["PENDING", "FUNDED"]


async def test_a_subscription_can_pick_statuses(client: httpx.AsyncClient, receiver: tuple[Receiver, str]) -> None:
    hooks, url = receiver
    await subscribe(client, url, events=["SUCCEEDED"])
    session_id = await funded(client)
    await capture(client, session_id, "50.00", final=True)
    await client.post("/_sandbox/webhooks/flush")
    assert [body["status"] for body in received(hooks)] == ["SUCCEEDED"]
    log = (await client.get("/_sandbox/webhooks", params={"provider": "cubepay"})).json()["deliveries"]
    assert [entry["event"] for entry in log] == ["SUCCEEDED"]


async def test_retries_follow_the_sandbox_schedule_on_the_clock(
    client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    hooks.status = 500
    await subscribe(client, url)
    await funded(client)
    await client.post("/_sandbox/webhooks/flush")
    schedule = [(59, 1), (1, 2), (300, 3), (1800, 4), (7200, 5), (21599, 5), (1, 6), (86400, 6)]
    await assert_attempts(client, hooks, schedule)
    [delivery] = (await client.get("/_sandbox/webhooks", params={"provider": "cubepay"})).json()["deliveries"]
    assert delivery["state"] == "failed"
    assert [attempt["at"] for attempt in delivery["attempts"]] == [
        "2026-01-01T00:00:00.000Z",
        "2026-01-01T00:01:00.000Z",
        "2026-01-01T00:06:00.000Z",
        "2026-01-01T00:36:00.000Z",
        "2026-01-01T02:36:00.000Z",
        "2026-01-01T08:36:00.000Z",
    ]


async def test_only_a_200_counts_as_delivered(client: httpx.AsyncClient, receiver: tuple[Receiver, str]) -> None:
    hooks, url = receiver
    hooks.status = 204  # handlers are told to "always return 200" (handle-errors)
    await subscribe(client, url)
    await funded(client)
    await client.post("/_sandbox/webhooks/flush")
    [delivery] = (await client.get("/_sandbox/webhooks")).json()["deliveries"]
    assert (delivery["state"], delivery["next_attempt_at"]) == ("pending", "2026-01-01T00:01:00.000Z")
    hooks.status = 200
    await client.post("/_sandbox/clock/advance", json={"seconds": 60})
    [delivery] = (await client.get("/_sandbox/webhooks")).json()["deliveries"]
    assert delivery["state"] == "delivered" and len(hooks.received) == 2
    assert hooks.received[0][1] == hooks.received[1][1]  # a retry sends the same bytes


async def test_a_receiver_that_is_down_then_recovers_gets_every_status_in_order(client: httpx.AsyncClient) -> None:
    port = free_port()
    await subscribe(client, f"http://127.0.0.1:{port}/hooks")
    session_id = await funded(client)
    await capture(client, session_id, "50.00", final=True)
    await client.post("/_sandbox/clock/advance", json={"seconds": 60})  # FUNDED tried twice, refused
    hooks = Receiver()
    with serve_in_thread(hooks.app, port=port):
        await client.post("/_sandbox/clock/advance", json={"seconds": 300})
    assert [body["status"] for body in received(hooks)] == ["FUNDED", "CAPTURING", "SUCCEEDED"]
    states = {d["state"] for d in (await client.get("/_sandbox/webhooks")).json()["deliveries"]}
    assert states == {"delivered"}


async def test_without_an_endpoint_every_status_goes_to_the_merchants_inbox(client: httpx.AsyncClient) -> None:
    session_id = await funded(client)
    await capture(client, session_id, "50.00", final=True)
    await client.post("/_sandbox/webhooks/flush")
    inbox = (await client.get(f"/_sandbox/inbox/cubepay-{ACME}")).json()["deliveries"]
    assert [json.loads(entry["body"])["status"] for entry in inbox] == ["FUNDED", "CAPTURING", "SUCCEEDED"]
    assert all(entry["verified"] for entry in inbox)
    default_secret = f"whsec_test_{ACME}"
    for entry in inbox:
        assert verify_signature(entry["body"].encode(), entry["headers"]["X-CubePay-Signature"], default_secret)


async def test_the_inbox_verifies_cubepay_posts_it_was_told_to_expect(client: httpx.AsyncClient) -> None:
    await client.put("/_sandbox/inbox/shop", json={"provider": "cubepay", "secret": SECRET})
    body = b'{"paymentSessionId":"ps_x","status":"SUCCEEDED"}'
    good = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert (await client.post("/_sandbox/inbox/shop", content=body, headers={"X-CubePay-Signature": good})).json()[
        "verified"
    ]
    tampered = body.replace(b"SUCCEEDED", b"FUNDED")
    response = await client.post("/_sandbox/inbox/shop", content=tampered, headers={"X-CubePay-Signature": good})
    assert response.json()["verified"] is False
