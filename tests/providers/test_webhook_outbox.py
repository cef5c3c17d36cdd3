"""The outbox under stress: an event survives the response that was lost, and a receiver
slower than the provider's timeout gets its attempt counted as failed and retried."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator

import pytest
from cdp_calls import ACME, session_body
from conftest import client_for, make_app, serve_in_thread
from payviox_calls import act, create
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.faults import DroppedConnection
from sandbox.providers import PROVIDERS

pytestmark = pytest.mark.anyio


async def test_a_response_lost_after_commit_still_sends_its_webhook() -> None:
    lost = {"phase": "after_commit", "match": {"provider": "cdp", "operation": "create_payment_session"},
            "act": {"drop": True}}
    async with client_for(make_app(faults=[lost])) as client:
        with pytest.raises(DroppedConnection):
            await client.post("/cdp/platform/v2/payment-sessions", json=session_body(), headers=ACME)
        await client.post("/_sandbox/webhooks/flush")
        inbox = (await client.get("/_sandbox/inbox/cdp-acme-key")).json()["deliveries"]
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
    monkeypatch.setattr(type(payviox), "webhook_policy", dataclasses.replace(payviox.webhook_policy, timeout=0.2))
    async with client_for(make_app()) as client:
        body = {"url": slow_receiver, "secret": "whtoken_x", "events": None}
        await client.put("/_sandbox/webhooks/endpoints/payviox/acme", json=body)
        await act(client, await create(client), "pay")
        await client.post("/_sandbox/webhooks/flush")
        [delivery] = (await client.get("/_sandbox/webhooks")).json()["deliveries"]
    [attempt] = delivery["attempts"]
    assert attempt["status"] is None and attempt["error"].startswith("ReadTimeout")
    assert delivery["state"] == "pending" and delivery["next_attempt_at"] == "2026-01-01T00:00:30.000Z"
