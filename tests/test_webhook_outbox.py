"""The outbox under stress: an event survives the response that was lost, and a receiver
slower than the provider's timeout gets its attempt counted as failed and retried."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.registry import PROVIDERS
from sandbox.sabotage import DroppedConnection
from sandbox.threaded import serve_in_thread
from tests.support.apps import client_for, make_app
from tests.support.cdp_calls import ACME, session_body
from tests.support.control import Control, SyncControl
from tests.support.payviox_calls import SECRET, create, order

pytestmark = pytest.mark.anyio


async def test_a_response_lost_after_commit_still_sends_its_webhook() -> None:
    lost = {
        "phase": "after_commit",
        "match": {"provider": "cdp", "operation": "create_payment_session"},
        "act": {"drop": True},
    }
    async with client_for(make_app(faults=[lost])) as client:
        control = Control(client)
        with pytest.raises(DroppedConnection):
            await client.post("/cdp/platform/v2/payment-sessions", json=session_body(), headers=ACME)
        await control.flush_webhooks()
        inbox = await control.inbox("cdp-acme-key")
        assert [json.loads(entry["body"])["eventType"] for entry in inbox] == ["acceptance.payment_session.created"]
        assert inbox[0]["verified"]


@pytest.fixture
def slow_receiver() -> Iterator[str]:
    async def hook(request: Request) -> Response:
        await asyncio.sleep(1.0)
        return Response(b"ok")

    with serve_in_thread(Starlette(routes=[Route("/hooks", hook, methods=["POST"])])) as url:
        yield f"{url}/hooks"


async def test_an_attempt_longer_than_the_timeout_fails_and_is_retried(
    slow_receiver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    payviox = PROVIDERS["payviox"]
    assert payviox.webhooks is not None
    hooks = dataclasses.replace(payviox.webhooks, policy=dataclasses.replace(payviox.webhooks.policy, timeout=0.2))
    monkeypatch.setitem(PROVIDERS, "payviox", dataclasses.replace(payviox, webhooks=hooks))
    async with client_for(make_app()) as client:
        control = Control(client)
        await control.set_webhook_endpoint("payviox", "acme", slow_receiver, "whtoken_x")
        await control.act("payviox", await create(client), "pay")
        await control.flush_webhooks()
        [delivery] = await control.webhooks()
    [attempt] = delivery["attempts"]
    assert attempt["status"] is None and attempt["error"].startswith("ReadTimeout")
    assert delivery["state"] == "pending" and delivery["next_attempt_at"] == "2026-01-01T00:00:30.000Z"


def test_a_flush_during_the_live_loops_send_does_not_send_twice() -> None:
    """The live server's loop is sending (to a slow receiver) when a flush comes: one delivery."""
    received: list[bytes] = []

    async def hook(request: Request) -> Response:
        received.append(await request.body())
        await asyncio.sleep(0.5)
        return Response(b"ok")

    receiver = Starlette(routes=[Route("/hooks", hook, methods=["POST"])])
    with serve_in_thread(receiver) as hooks, serve_in_thread(make_app(manual=False)) as sandbox:
        control = SyncControl(sandbox)
        control.set_webhook_endpoint("payviox", "acme", f"{hooks}/hooks", "whtoken_x")
        made = httpx.post(f"{sandbox}/payviox/session", json=order(), headers=SECRET)
        control.act("payviox", made.json()["session_id"], "pay")
        control.flush_webhooks(timeout=10)  # answers 200
        [delivery] = control.webhooks()
    assert len(received) == 1 and len(delivery["attempts"]) == 1
