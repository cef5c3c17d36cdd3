"""Webhook chaos from a scenario's `webhooks` rules, seen by a real local receiver.

The sandbox runs in-process on a manual clock; its dispatcher POSTs over real HTTP to a uvicorn
receiver in a thread, which checks each delivery with the provider's documented verifier.
Each kind of chaos is shown changing what the receiver gets, and the delivery log saying why.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from sandbox.providers.cubepay.auth import merchant_id
from sandbox.threaded import serve_in_thread
from tests.support.apps import client_for, make_app
from tests.support.cdp_calls import create as cdp_create
from tests.support.cdp_hooks import CdpReceiver
from tests.support.control import Control
from tests.support.payviox_calls import create, verify_signature
from tests.support.receiver import Receiver

pytestmark = pytest.mark.anyio
TOKEN = "whtoken_shop_secret"
EVENTS = ["succeeded", "refunded", "expired"]


@contextlib.asynccontextmanager
async def chaos(url: str | None, *rules: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a sandbox whose scenario has these webhook rules, with Payviox's endpoint set."""
    async with client_for(make_app(webhooks=list(rules))) as client:
        await Control(client).set_webhook_endpoint("payviox", "acme", url, TOKEN, EVENTS)
        yield client


async def deliveries(client: httpx.AsyncClient, **filters: str) -> list[dict[str, Any]]:
    control = Control(client)
    return list(await control.webhooks(**filters))


def received(hooks: Receiver) -> list[tuple[str, str]]:
    """(session id, type) of each delivery, in arrival order, after checking its signature."""
    got = []
    for headers, raw in hooks.received:
        assert verify_signature(raw.decode(), headers["signature"], TOKEN)
        body = json.loads(raw)
        got.append((body["metadata"]["integration_session_id"], body["type"]))
    return got


async def rules(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    control = Control(client)
    return list((await control.scenario())["webhooks"])


async def test_drop_loses_the_event_and_the_log_says_so(receiver: tuple[Receiver, str]) -> None:
    hooks, url = receiver
    async with chaos(
        url,
        {
            "name": "lost",
            "match": {"provider": "payviox", "event": "succeeded"},
            "when": {"nth": 1},
            "act": {"drop": True},
        },
    ) as client:
        control = Control(client)
        first, second = await create(client, order_id="o1"), await create(client, order_id="o2")
        await control.act("payviox", first, "pay")
        await control.act("payviox", second, "pay")
        await control.advance(86400)
        assert received(hooks) == [(second, "succeeded")]
        [dropped] = await deliveries(client, session_id=first)
        assert dropped["state"] == "dropped" and dropped["attempts"] == []
        assert dropped["chaos"] == ["drop (lost)"]
        assert [(r["matched"], r["fired"]) for r in await rules(client)] == [(2, 1)]


async def test_delay_holds_the_event_and_the_ones_after_it(receiver: tuple[Receiver, str]) -> None:
    hooks, url = receiver
    async with chaos(url, {"match": {"provider": "payviox", "event": "succeeded"}, "act": {"delay": 120}}) as client:
        control = Control(client)
        session_id = await create(client)
        await control.act("payviox", session_id, "pay")
        await control.act("payviox", session_id, "refund")
        await control.advance(119)
        assert hooks.received == []  # the refund waits too: deliveries are in order per session
        late = (await deliveries(client, event="succeeded"))[0]
        assert late["next_attempt_at"] == "2026-01-01T00:02:00.000Z" and late["chaos"] == ["delay 120 s (webhooks[0])"]
        await control.advance(1)
        assert received(hooks) == [(session_id, "succeeded"), (session_id, "refunded")]


async def test_duplicate_sends_identical_copies(receiver: tuple[Receiver, str]) -> None:
    hooks, url = receiver
    async with chaos(url, {"match": {"event": "succ*"}, "act": {"duplicate": 2}}) as client:
        control = Control(client)
        session_id = await create(client)
        await control.act("payviox", session_id, "pay")
        await control.flush_webhooks()
        assert received(hooks) == [(session_id, "succeeded")] * 3
        assert hooks.received[0] == hooks.received[1] == hooks.received[2]  # same headers, same bytes
        original, *copies = await deliveries(client)
        assert [copy["chaos"] for copy in copies] == [[f"duplicate of {original['id']}"]] * 2
        assert {d["state"] for d in [original, *copies]} == {"delivered"}


async def test_reorder_sends_the_event_after_the_next_one(receiver: tuple[Receiver, str]) -> None:
    hooks, url = receiver
    async with chaos(url, {"match": {"provider": "payviox", "event": "succeeded"}, "act": {"reorder": True}}) as client:
        control = Control(client)
        session_id = await create(client)
        await control.act("payviox", session_id, "pay")
        await control.flush_webhooks()
        assert hooks.received == []  # held back, waiting for the session's next event
        await control.act("payviox", session_id, "refund")
        await control.flush_webhooks()
        assert received(hooks) == [(session_id, "refunded"), (session_id, "succeeded")]


async def test_a_reordered_event_with_no_successor_goes_when_its_hold_ends(receiver: tuple[Receiver, str]) -> None:
    hooks, url = receiver
    async with chaos(
        url, {"match": {"event": "succeeded"}, "when": {"nth": 1}, "act": {"reorder": True, "hold": 30}}
    ) as client:
        control = Control(client)
        held, other = await create(client, order_id="o1"), await create(client, order_id="o2")
        await control.act("payviox", held, "pay")
        await control.act("payviox", other, "pay")  # another session's event does not release it
        await control.advance(29)
        assert received(hooks) == [(other, "succeeded")]
        await control.advance(1)
        assert received(hooks) == [(other, "succeeded"), (held, "succeeded")]


async def test_wrong_signature_fails_the_documented_check_and_redelivery_fixes_it(
    receiver: tuple[Receiver, str],
) -> None:
    hooks, url = receiver
    async with chaos(
        url, {"match": {"provider": "payviox"}, "when": {"times": 1}, "act": {"wrong_signature": True}}
    ) as client:
        control = Control(client)
        session_id = await create(client)
        await control.act("payviox", session_id, "pay")
        await control.flush_webhooks()
        [(headers, raw)] = hooks.received
        assert not verify_signature(raw.decode(), headers["signature"], TOKEN)
        [bad] = await deliveries(client)
        assert bad["chaos"] == ["wrong_signature (webhooks[0])"]
        again = await control.redeliver(bad["id"])
        assert again["chaos"] == [] and again["state"] == "delivered"
        headers, raw = hooks.received[1]
        assert raw == hooks.received[0][1] and verify_signature(raw.decode(), headers["signature"], TOKEN)


async def test_the_inbox_marks_a_badly_signed_delivery_unverified() -> None:
    rule = {"match": {"provider": "cubepay", "event": "*"}, "when": {"nth": 2}, "act": {"wrong_signature": True}}
    async with client_for(make_app(webhooks=[rule])) as client:
        control = Control(client)
        for _ in range(2):
            made = await client.post(
                "/cubepay/payment-sessions",
                json={"amount": "10.00", "currency": "USD"},
                headers={"Authorization": "Bearer cubepay_test_acme"},
            )
            assert made.status_code == 200, made.text
            await control.act("cubepay", made.json()["paymentSessionId"], "fund")
        await control.flush_webhooks()
        inbox = await control.inbox(f"cubepay-{merchant_id('cubepay_test_acme')}")
        assert [(entry["event"], entry["verified"]) for entry in inbox] == [("FUNDED", True), ("FUNDED", False)]


@pytest.fixture
def cdp_receiver() -> Iterator[tuple[CdpReceiver, str]]:
    hooks = CdpReceiver("whsec_cdp_shop")
    with serve_in_thread(hooks.app) as url:
        yield hooks, f"{url}/hooks"


async def test_a_stale_timestamp_fails_cdps_five_minute_check_and_is_retried(
    cdp_receiver: tuple[CdpReceiver, str],
) -> None:
    hooks, url = cdp_receiver
    rule = {
        "match": {"provider": "cdp", "event": "acceptance.payment_session.created"},
        "act": {"stale_timestamp": 600},
    }
    async with client_for(make_app(webhooks=[rule])) as client:
        control = Control(client)
        await control.set_webhook_endpoint("cdp", "acme-key", url, "whsec_cdp_shop")
        await cdp_create(client)
        await control.flush_webhooks()
        [(headers, raw, verified)] = hooks.received
        assert not verified  # the docs' verifier: older than 5 minutes
        signed_at = int(headers["x-hook0-signature"].split(",")[0].removeprefix("t="))
        assert 590 <= time.time() - signed_at <= 660
        assert _v1_matches(raw, headers, "whsec_cdp_shop")  # the HMAC itself is right: only the age fails
        [delivery] = await deliveries(client)
        assert delivery["state"] == "pending" and delivery["attempts"][0]["status"] == 401
        assert delivery["chaos"] == ["stale_timestamp 600 s (webhooks[0])"]


def _v1_matches(raw: bytes, headers: dict[str, str], secret: str) -> bool:
    fields = dict(part.split("=", 1) for part in headers["x-hook0-signature"].split(","))
    values = ".".join(headers.get(name, "") for name in fields["h"].split(" "))
    message = f"{fields['t']}.{fields['h']}.{values}.".encode() + raw
    return hmac.compare_digest(hmac.new(secret.encode(), message, hashlib.sha256).hexdigest(), fields["v1"])


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (
            "{match: {provider: payviox, event: succeded}, act: {drop: true}}",
            "webhooks.0.match.event: payviox sends no event 'succeded'",
        ),
        (
            "{match: {provider: cdp, event: acceptance.payment_session.create}, act: {drop: true}}",
            "webhooks.0.match.event: cdp sends no event 'acceptance.payment_session.create'",
        ),
        (
            "{match: {provider: payviox}, act: {stale_timestamp: 60}}",
            "webhooks.0.act.stale_timestamp: payviox's webhook signature carries no time",
        ),
        ("{match: {provider: paypal}, act: {drop: true}}", "webhooks.0.match.provider: no provider 'paypal'"),
        ("{act: {drop: true, delay: 5}}", "drop cannot go with ['delay']"),
        ("{act: {hold: 5}}", "hold only applies with reorder: true"),
        ("{act: {}}", "an act needs one of drop, delay, duplicate"),
        ("{act: {drop: true}, when: {nth: 0}}", "webhooks.0.when.nth"),
    ],
)
async def test_a_bad_rule_is_refused_with_its_line(control: Control, rule: str, problem: str) -> None:
    text = f"name: broken\nwebhooks:\n  - {rule}\n"
    response = await control.raw.load_scenario(text, source="chaos.yaml")
    assert response.status_code == 400
    assert any(line.startswith("chaos.yaml:3: ") and problem in line for line in response.json()["problems"]), (
        response.json()["problems"]
    )


async def test_a_hold_that_ran_out_is_forgotten(receiver: tuple[Receiver, str]) -> None:
    """A reordered event sent when its hold ended leaves nothing behind (memory stays flat)."""
    hooks, url = receiver
    rule = {"match": {"event": "succeeded"}, "when": {"nth": 1}, "act": {"reorder": True, "hold": 30}}
    async with chaos(url, rule) as client:
        control = Control(client)
        held, later = await create(client, order_id="o1"), await create(client, order_id="o2")
        await control.act("payviox", held, "pay")
        await control.advance(30)
        await control.act("payviox", later, "pay")  # queues another delivery, after the hold ran out
        await control.flush_webhooks()
        assert received(hooks) == [(held, "succeeded"), (later, "succeeded")]
        app = client._transport.app  # type: ignore[attr-defined]
        assert app.state.sandbox.webhooks._held == {}
