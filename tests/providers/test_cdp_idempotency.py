"""X-Idempotency-Key on every CDP POST: a retry replays the first answer and acts once.

Each case starts from a session in the state its operation needs, sends the same request twice
under one key, and counts what exists afterwards: without the replay, a second create or
capture would make a second one, and a second cancel or authorization would be refused.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.support.cdp_calls import ACCOUNT, ACME, BASE, authorized, create, get, session_body
from tests.support.control import Control

pytestmark = pytest.mark.anyio

PAYER = "0xAbC1234567890aBcDeF1234567890AbCdEf123456"
OAUTH = {"Authorization": "Bearer coinbase-oauth-token", "cb-authz-id": "f47ac10b-58cc-4372-a567-0e02b2c3d479"}

# A request: (path, JSON body or None, extra headers); and what to count once both were sent.
Request = tuple[str, Any, dict[str, str]]
Count = Callable[[httpx.AsyncClient], Awaitable[Any]]


async def _sessions(client: httpx.AsyncClient) -> int:
    return len((await client.get(BASE, headers=ACME)).json()["paymentSessions"])


async def _create(client: httpx.AsyncClient) -> tuple[Request, Count]:
    return (BASE, session_body(), ACME), _sessions


def _actions(session_id: str, kind: str) -> Count:
    async def count(client: httpx.AsyncClient) -> int:
        return len((await get(client, session_id)).get(kind, []))

    return count


async def _cancel(client: httpx.AsyncClient) -> tuple[Request, Count]:
    session_id = (await create(client))["paymentSessionId"]

    async def status(client: httpx.AsyncClient) -> str:
        return str((await get(client, session_id))["status"])

    return (f"{BASE}/{session_id}/cancel", {"cancellationReason": "changed mind"}, ACME), status


async def _wallet(client: httpx.AsyncClient) -> tuple[Request, Count]:
    session_id = (await create(client))["paymentSessionId"]
    options = await client.get(f"{BASE}/{session_id}/authorizations/wallet/options?addresses={PAYER}")
    option = options.json()["options"][0]
    signed = [{"payloadId": option["payloads"][0]["payloadId"], "signature": "0x" + "ab" * 65}]
    body = {"optionId": option["optionId"], "signedPayloads": signed}
    return (f"{BASE}/{session_id}/authorizations/wallet", body, {}), _actions(session_id, "authorizations")


async def _x402(client: httpx.AsyncClient) -> tuple[Request, Count]:
    session_id = (await create(client))["paymentSessionId"]
    payload = {"x402Version": 2, "payload": {"authorization": {"from": PAYER}}}
    signature = {"PAYMENT-SIGNATURE": base64.b64encode(json.dumps(payload).encode()).decode()}
    return (f"{BASE}/{session_id}/authorizations/x402", None, signature), _actions(session_id, "authorizations")


async def _coinbase(client: httpx.AsyncClient) -> tuple[Request, Count]:
    session_id = (await create(client, target={"accountId": ACCOUNT, "asset": "usd"}))["paymentSessionId"]
    return (f"{BASE}/{session_id}/authorizations/coinbase", {}, OAUTH), _actions(session_id, "authorizations")


MANDATE = "mandate_6f1c2a4e-8b3d-4e5f-9a7b-1c2d3e4f5a6b"


async def _mandate(client: httpx.AsyncClient) -> tuple[Request, Count]:
    scenario = {"providers": {"cdp": {"mandates": [{"id": MANDATE}]}}}
    await Control(client).load_scenario(scenario)
    session_id = (await create(client))["paymentSessionId"]
    body = {"mandateId": MANDATE}
    return (f"{BASE}/{session_id}/authorizations/mandate", body, ACME), _actions(session_id, "authorizations")


async def _capture(client: httpx.AsyncClient) -> tuple[Request, Count]:
    session_id = (await authorized(client))["paymentSessionId"]
    body = {"amount": "0.40", "finalCapture": False}
    return (f"{BASE}/{session_id}/captures", body, ACME), _actions(session_id, "captures")


async def _void(client: httpx.AsyncClient) -> tuple[Request, Count]:
    session_id = (await authorized(client))["paymentSessionId"]
    return (f"{BASE}/{session_id}/voids", {}, ACME), _actions(session_id, "voids")


async def _refund(client: httpx.AsyncClient) -> tuple[Request, Count]:
    session_id = (await authorized(client, autoCapture=True))["paymentSessionId"]
    body = {"source": {"address": PAYER}, "amount": "0.25"}
    return (f"{BASE}/{session_id}/refunds", body, ACME), _actions(session_id, "refunds")


POSTS: dict[str, tuple[Callable[[httpx.AsyncClient], Awaitable[tuple[Request, Count]]], Any]] = {
    "create_payment_session": (_create, 1),
    "cancel_payment_session": (_cancel, "canceled"),
    "authorize_wallet": (_wallet, 1),
    "authorize_x402": (_x402, 1),
    "authorize_coinbase": (_coinbase, 1),
    "authorize_mandate": (_mandate, 1),
    "capture_payment_session": (_capture, 1),
    "void_payment_session": (_void, 1),
    "refund_payment_session": (_refund, 1),
}


def test_every_payment_session_post_is_covered() -> None:
    from sandbox.providers.cdp import CDP

    posts = {op.name for op in CDP.operations if op.method == "POST" and op.path.startswith("/platform/v2/payment")}
    assert posts == set(POSTS)


@pytest.mark.parametrize("operation", list(POSTS))
async def test_a_retry_under_the_same_key_replays_and_acts_once(client: httpx.AsyncClient, operation: str) -> None:
    setup, expected = POSTS[operation]
    (path, body, headers), count = await setup(client)
    headers = {**headers, "X-Idempotency-Key": f"retry-{operation}"}
    first = await client.post(path, json=body, headers=headers)
    await client.get(BASE, headers=ACME)  # whatever the first started settles in between
    again = await client.post(path, json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert await count(client) == expected


async def test_a_reserialized_body_is_the_same_request(client: httpx.AsyncClient) -> None:
    """Same fields in another key order, with other spacing: the same parameters, the same answer."""
    headers = {**ACME, "X-Idempotency-Key": "reformatted", "content-type": "application/json"}
    body = session_body()
    first = await client.post(BASE, content=json.dumps(body).encode(), headers=headers)
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2).encode()
    again = await client.post(BASE, content=reordered, headers=headers)
    assert first.status_code == 200 and again.content == first.content
    assert await _sessions(client) == 1


async def test_the_same_key_on_another_session_is_another_request(client: httpx.AsyncClient) -> None:
    first, second = (await create(client))["paymentSessionId"], (await create(client))["paymentSessionId"]
    headers = {**ACME, "X-Idempotency-Key": "cancel-it"}
    assert (await client.post(f"{BASE}/{first}/cancel", headers=headers)).status_code == 200
    other = await client.post(f"{BASE}/{second}/cancel", headers=headers)
    assert (other.status_code, other.json()["errorType"]) == (422, "idempotency_error")


async def test_a_key_still_replays_just_before_24_hours(client: httpx.AsyncClient, control: Control) -> None:
    headers = {**ACME, "X-Idempotency-Key": "almost-a-day"}
    first = await client.post(BASE, json=session_body(), headers=headers)
    await control.advance(24 * 3600 - 1)
    again = await client.post(BASE, json=session_body(), headers=headers)
    assert again.content == first.content
    await control.advance(2)
    later = await client.post(BASE, json=session_body(), headers=headers)
    assert later.json()["paymentSessionId"] != first.json()["paymentSessionId"]
