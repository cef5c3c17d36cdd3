"""CDP payment-session webhooks to a real local receiver that verifies each one as the docs do.

The sandbox runs in-process; its dispatcher POSTs over real HTTP to a uvicorn receiver in a
thread, which runs the docs' verifier (signature and the 5-minute limit on `t`) and answers
401 to anything that fails it. Every body is validated against the spec's webhook schema.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from sandbox.threaded import free_port, serve_in_thread
from tests.support.apps import client_for, make_app
from tests.support.cdp_calls import GLOBEX, create, post
from tests.support.cdp_hooks import CdpReceiver, v0_matches, validate_event, verify_webhook_signature
from tests.support.control import Control

pytestmark = pytest.mark.anyio
SECRET = "whsec_shop_secret"
REFUND_TO = {"address": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"}
P = "acceptance.payment_session."


@pytest.fixture
def receiver() -> Iterator[tuple[CdpReceiver, str]]:
    hooks = CdpReceiver(SECRET)
    with serve_in_thread(hooks.app) as url:
        yield hooks, f"{url}/hooks"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # A settlement delay, so tests decide each action's outcome with the control API's `settle`.
    async with client_for(make_app(providers={"cdp": {"settlement": {"delay_seconds": 60}}})) as http:
        yield http


async def endpoint(client: httpx.AsyncClient, url: str | None, events: list[str] | None = None) -> None:
    await Control(client).set_webhook_endpoint("cdp", "acme-key", url, SECRET, events)


async def settle(client: httpx.AsyncClient, session_id: str, outcome: str = "succeeded") -> None:
    control = Control(client)
    assert (await control.act("cdp", session_id, "settle", outcome=outcome)).status_code == 200


def bodies(hooks: CdpReceiver) -> list[dict[str, Any]]:
    assert all(verified for _, _, verified in hooks.received)
    return [json.loads(raw) for _, raw, _ in hooks.received]


async def test_every_emitted_event_is_verified_and_matches_the_spec(
    client: httpx.AsyncClient, control: Control, receiver: tuple[CdpReceiver, str]
) -> None:
    hooks, url = receiver
    await endpoint(client, url)
    paid = (await create(client, metadata={"order": "o-1"}))["paymentSessionId"]
    await control.act("cdp", paid, "authorize")
    await settle(client, paid)
    await post(client, paid, "captures", {"amount": "0.40", "finalCapture": False})
    await settle(client, paid)
    await post(client, paid, "captures", {"finalCapture": False})
    await settle(client, paid, "failed")
    await post(client, paid, "refunds", {"source": REFUND_TO, "amount": "0.10", "reason": "returned"})
    await settle(client, paid)
    await post(client, paid, "refunds", {"source": REFUND_TO})
    await settle(client, paid, "failed")
    await post(client, paid, "voids")  # void events are "reserved — not yet emitted"
    await settle(client, paid)
    declined = (await create(client))["paymentSessionId"]
    await control.act("cdp", declined, "authorize")
    await settle(client, declined, "failed")
    dropped = (await create(client))["paymentSessionId"]
    await post(client, dropped, "cancel", {"cancellationReason": "customer left"})
    await control.flush_webhooks()

    got = bodies(hooks)
    for (headers, raw, _), body in zip(hooks.received, got, strict=True):
        validate_event(body)
        assert headers["x-event-id"] == body["eventId"] and headers["x-event-type"] == body["eventType"]
        assert headers["content-type"] == "application/json"
        assert v0_matches(raw, headers["x-hook0-signature"], SECRET)
        assert "h=content-type x-event-id x-event-type," in headers["x-hook0-signature"]
    by_session: dict[str, list[str]] = {}
    for body in got:
        by_session.setdefault(body["data"]["paymentSession"]["paymentSessionId"], []).append(body["eventType"])
    steps = ["created", "authorization_pending", "authorization_succeeded", "capture_pending", "capture_succeeded",
             "capture_pending", "capture_failed", "refund_pending", "refund_succeeded", "refund_pending",
             "refund_failed"]  # fmt: skip
    assert by_session == {
        paid: [P + step for step in steps],
        declined: [P + "created", P + "authorization_pending", P + "authorization_failed"],
        dropped: [P + "created", P + "canceled"],
    }
    assert len({body["eventId"] for body in got}) == len(got)
    assert (await control.webhooks(event=P + "void_pending")) == []


async def test_each_event_shows_the_session_as_it_was_at_that_change(
    client: httpx.AsyncClient, control: Control, receiver: tuple[CdpReceiver, str]
) -> None:
    """One settlement that succeeds the authorization and starts its autoCapture queues both."""
    hooks, url = receiver
    await endpoint(client, url)
    session_id = (await create(client, autoCapture=True))["paymentSessionId"]
    await control.act("cdp", session_id, "authorize")
    await settle(client, session_id)
    await control.flush_webhooks()
    succeeded, capture_pending = bodies(hooks)[2:]
    assert succeeded["eventType"] == P + "authorization_succeeded"
    assert succeeded["data"]["paymentSession"]["status"] == "authorization_succeeded"
    assert succeeded["data"]["paymentSession"]["balances"]["capturable"] == "1.00"
    authorization = succeeded["data"]["authorization"]
    assert authorization["status"] == "succeeded" and "paymentSessionId" not in authorization
    assert authorization["onchainTransactions"][0]["network"] == "base"
    assert capture_pending["data"]["paymentSession"]["status"] == "capture_pending"
    assert capture_pending["data"]["capture"]["finalCapture"] is True
    assert "url" not in capture_pending["data"]["paymentSession"]  # a summary, not the PaymentSession


async def test_the_body_matches_the_docs_example_shape(
    client: httpx.AsyncClient, control: Control, receiver: tuple[CdpReceiver, str]
) -> None:
    hooks, url = receiver
    await endpoint(client, url, [P + "created"])
    await control.advance(90)
    created = await create(client, metadata={"customer_id": "cust_12345"})
    await control.flush_webhooks()
    [body] = bodies(hooks)
    assert list(body) == ["eventType", "eventId", "timestamp", "data"]
    assert body["timestamp"] == "2026-01-01T00:01:30Z"  # the sandbox clock, as the examples print it
    summary = body["data"]["paymentSession"]
    assert list(body["data"]) == ["paymentSession"]
    assert summary == {
        key: created[key]
        for key in ("paymentSessionId", "entityId", "amount", "asset", "target", "autoCapture", "expiries", "status",
                    "balances", "externalReferenceId", "customerDisplay", "metadata", "createdAt", "updatedAt")
    }  # fmt: skip


async def test_t_is_wall_time_signed_at_each_attempt_whatever_the_sandbox_clock(
    client: httpx.AsyncClient, control: Control, receiver: tuple[CdpReceiver, str]
) -> None:
    """The sandbox clock stands at 2026-01-01 and jumps by hours; the receiver's 5-minute check
    against its own clock still passes on every attempt, the retries included."""
    hooks, url = receiver
    hooks.status = 503
    await endpoint(client, url, [P + "created"])
    await create(client)
    await control.flush_webhooks()
    await control.advance(7200)
    assert len(hooks.received) == 7 and all(verified for _, _, verified in hooks.received)
    stamps = {headers["x-hook0-signature"].split(",")[0] for headers, _, _ in hooks.received}
    assert all(abs(int(t[2:]) - time.time()) < 300 for t in stamps)
    [delivery] = await control.webhooks()
    assert delivery["state"] == "pending"


async def test_a_stale_or_forged_signature_fails_the_docs_check(client: httpx.AsyncClient, control: Control) -> None:
    await endpoint(client, None)
    await create(client)
    await control.flush_webhooks()
    [delivery] = await control.webhooks()
    headers = {name.lower(): value for name, value in delivery["headers"].items()}
    signature = headers["x-hook0-signature"]
    assert verify_webhook_signature(delivery["body"], signature, SECRET, headers)
    assert not verify_webhook_signature(delivery["body"], signature, "whsec_other", headers)
    assert not verify_webhook_signature(delivery["body"] + " ", signature, SECRET, headers)
    t = signature.split(",")[0][2:]
    stale = signature.replace(f"t={t}", f"t={int(t) - 301}")
    assert not verify_webhook_signature(delivery["body"], stale, SECRET, headers)


async def test_retries_follow_the_invented_schedule_and_any_2xx_is_success(
    client: httpx.AsyncClient, control: Control, receiver: tuple[CdpReceiver, str]
) -> None:
    hooks, url = receiver
    hooks.status = 500
    await endpoint(client, url, [P + "created"])
    await create(client)
    await control.flush_webhooks()
    for seconds, expected in [(4, 1), (1, 2), (30, 3), (120, 4), (300, 5), (1800, 6), (3600, 7), (10799, 7), (1, 8)]:
        await control.advance(seconds)
        assert len(hooks.received) == expected, seconds
    await control.advance(86400)
    [failed] = await control.webhooks()
    assert failed["state"] == "failed" and len(failed["attempts"]) == 8
    hooks.status = 204
    await create(client)
    await control.flush_webhooks()
    assert (await control.webhooks())[1]["state"] == "delivered"


async def test_a_receiver_down_then_back_gets_every_event_in_order(client: httpx.AsyncClient, control: Control) -> None:
    port = free_port()
    await endpoint(client, f"http://127.0.0.1:{port}/hooks")
    sessions = [(await create(client))["paymentSessionId"] for _ in range(2)]
    await control.act("cdp", sessions[0], "authorize")
    await settle(client, sessions[0])
    await control.advance(30)
    hooks = CdpReceiver(SECRET)
    with serve_in_thread(hooks.app, port=port):
        await control.advance(120)
    got = [(b["data"]["paymentSession"]["paymentSessionId"], b["eventType"]) for b in bodies(hooks)]
    first = [(sessions[0], P + step) for step in ("created", "authorization_pending", "authorization_succeeded")]
    assert [item for item in got if item[0] == sessions[0]] == first
    assert [item for item in got if item[0] == sessions[1]] == [(sessions[1], P + "created")]
    log = await control.webhooks()
    assert {d["state"] for d in log} == {"delivered"} and len(log) == 4


async def test_without_an_endpoint_every_event_goes_to_the_inbox_verified(
    client: httpx.AsyncClient, control: Control
) -> None:
    session_id = (await create(client))["paymentSessionId"]
    await control.act("cdp", session_id, "authorize")
    await control.flush_webhooks()
    inbox = await control.inbox("cdp-acme-key")
    assert [json.loads(entry["body"])["eventType"] for entry in inbox] == [P + "created", P + "authorization_pending"]
    assert all(entry["verified"] for entry in inbox)
    headers = {name.lower(): value for name, value in inbox[0]["headers"].items()}
    assert verify_webhook_signature(inbox[0]["body"], headers["x-hook0-signature"], "whsec_test_acme-key", headers)


async def test_the_inbox_checks_a_cdp_signature_it_was_told_to_expect(
    client: httpx.AsyncClient, control: Control
) -> None:
    await endpoint(client, None)
    await create(client)
    await control.flush_webhooks()
    [delivery] = await control.webhooks()
    await control.expect_inbox("shop", provider="cdp", secret=SECRET)
    body, headers = delivery["body"].encode(), delivery["headers"]
    assert (await control.deliver_to_inbox("shop", body, headers))["verified"] is True
    forged = {**headers, "X-Event-Type": P + "capture_succeeded"}  # a header `h` covers
    assert (await control.deliver_to_inbox("shop", body, forged))["verified"] is False


async def test_redeliver_sends_the_same_event_signed_again(
    client: httpx.AsyncClient, control: Control, receiver: tuple[CdpReceiver, str]
) -> None:
    hooks, url = receiver
    await endpoint(client, url)
    await create(client)
    await control.flush_webhooks()
    [original] = await control.webhooks()
    again = await control.redeliver(original["id"])
    assert again["state"] == "delivered"
    (first_headers, first, ok1), (second_headers, second, ok2) = hooks.received
    assert first == second and ok1 and ok2
    assert first_headers["x-event-id"] == second_headers["x-event-id"]  # the same event, for dedup


async def test_a_session_of_another_merchant_sends_to_its_own_endpoint(
    client: httpx.AsyncClient, control: Control, receiver: tuple[CdpReceiver, str]
) -> None:
    hooks, url = receiver
    await endpoint(client, url)
    await create(client, GLOBEX)
    await control.flush_webhooks()
    assert hooks.received == []
    assert len(await control.inbox("cdp-globex-key")) == 1
