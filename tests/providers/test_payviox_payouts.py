"""Payviox payouts (api/payout/*): POST /payout/create, the payout user's hash, the operations
read, withdrawals played by the control API, and the `payout.*` webhooks on their own endpoint."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.payviox_calls import OTHER_SECRET, PUBLIC, SECRET, verify_signature
from tests.support.receiver import Receiver

pytestmark = pytest.mark.anyio
PAYOUT_TOKEN = "whtoken_payouts_secret"


async def create_payout(client: httpx.AsyncClient, body: Any, headers: dict[str, str] = SECRET) -> httpx.Response:
    return await client.post("/payviox/payout/create", json=body, headers=headers)


async def funded_user(client: httpx.AsyncClient, email: str = "user@example.com", amount: int = 10000) -> str:
    response = await create_payout(client, {"email": email, "amount": amount})
    assert response.status_code == 201, response.text
    return str(response.json()["hash"])


async def payout_balance(client: httpx.AsyncClient, headers: dict[str, str] = SECRET) -> int:
    return int((await client.get("/payviox/balance", headers=headers)).json()["payout_balance"])


async def test_create_answers_201_with_a_hash_and_debits_the_payout_balance(client: httpx.AsyncClient) -> None:
    before = await payout_balance(client)
    assert before == 500000  # the docs' example payout_balance, the sandbox's default
    response = await create_payout(client, {"email": "user@example.com", "amount": 10000})
    assert response.status_code == 201
    assert list(response.json()) == ["hash"]
    assert re.fullmatch(r"[0-9a-f]{64}", response.json()["hash"])  # "SHA256 HMAC hash"
    assert await payout_balance(client) == before - 10000


async def test_the_hash_is_per_email_and_business_and_an_existing_email_is_topped_up(
    client: httpx.AsyncClient,
) -> None:
    first = await funded_user(client, "User@Example.com", 10000)
    again = await funded_user(client, "user@example.com", 2500)  # case-insensitive: the same user
    other = await funded_user(client, "other@example.com", 1)
    elsewhere = (await create_payout(client, {"email": "user@example.com", "amount": 1}, OTHER_SECRET)).json()["hash"]
    assert first == again and other != first and elsewhere != first
    read = await client.get("/payviox/payout/operations", headers={"X-Payout-Hash": first})
    assert read.json()["balance"] == 12500
    assert [entry["amount"] for entry in read.json()["operations"]] == [2500, 10000]  # newest first


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"email": ["The email field is required."], "amount": ["The amount field is required."]}),
        ({"email": "not-an-email", "amount": 100}, {"email": ["The email must be a valid email address."]}),
        ({"email": "a@b.co", "amount": 0}, {"amount": ["The amount must be at least 1."]}),
        ({"email": "a@b.co", "amount": 100000001}, {"amount": ["The amount may not be greater than 100000000."]}),
        ({"email": "a@b.co", "amount": "100"}, {"amount": ["The amount must be an integer."]}),
        ({"email": "x" * 251 + "@b.co", "amount": 1}, {"email": ["The email must be a valid email address."]}),
    ],
)
async def test_validation_errors_are_the_pages_own(
    client: httpx.AsyncClient, body: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    response = await create_payout(client, body)
    assert (response.status_code, response.json()) == (400, errors)


async def test_insufficient_payout_balance_creates_no_user() -> None:
    async with client_for(make_app(providers={"payviox": {"payout_balance": 5000}})) as client:
        refused = await create_payout(client, {"email": "big@example.com", "amount": 5001})
        assert refused.status_code == 400
        assert refused.json() == {
            "error": "Failed to debit business balance (insufficient funds or concurrent modification)"
        }
        assert await payout_balance(client) == 5000
        assert (await Control(client).sessions("payviox")) == []  # "fails without creating the user"
        assert (await create_payout(client, {"email": "big@example.com", "amount": 5000})).status_code == 201
        assert await payout_balance(client) == 0


async def test_payouts_disabled_is_403() -> None:
    async with client_for(make_app(providers={"payviox": {"payouts_enabled": False}})) as client:
        response = await create_payout(client, {"email": "a@b.co", "amount": 1})
        assert response.status_code == 403
        assert response.json() == {"error": "Payouts are currently disabled. Please enable them in Settings."}


@pytest.mark.parametrize("headers", [PUBLIC, {}, {"Authorization": "Bearer sk_live_acme"}])
async def test_create_takes_the_secret_test_key_only(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await create_payout(client, {"email": "a@b.co", "amount": 1}, headers)
    assert (response.status_code, response.json()) == (401, {"error": "Unauthorized"})
    assert response.headers["x-sandbox-reason"]  # the sandbox says why beside the documented body


async def test_the_hash_authenticates_from_header_body_or_query(client: httpx.AsyncClient) -> None:
    hash_ = await funded_user(client)
    by_header = await client.get("/payviox/payout/operations", headers={"X-Payout-Hash": hash_})
    by_body = await client.post("/payviox/payout/operations", json={"payout_hash": hash_})
    by_query = await client.get("/payviox/payout/operations", params={"payout_hash": hash_})
    assert by_header.status_code == by_body.status_code == by_query.status_code == 200
    assert by_header.json() == by_body.json() == by_query.json()
    assert by_header.json()["email"] == "user@example.com"
    assert by_header.json()["status"] == "active"


async def test_a_missing_or_unknown_hash_gets_the_documented_401s(client: httpx.AsyncClient) -> None:
    missing = await client.get("/payviox/payout/operations")
    assert (missing.status_code, missing.json()) == (
        401,
        {"error": "Unauthorized", "message": "Missing authorization header"},
    )
    unknown = await client.get("/payviox/payout/operations", headers={"X-Payout-Hash": "0" * 64})
    assert (unknown.status_code, unknown.json()) == (
        401,
        {"error": "Unauthorized", "message": "Payout hash not found or inactive"},
    )


async def _user_id(client: httpx.AsyncClient, hash_: str) -> str:
    read = await client.get("/payviox/payout/operations", headers={"X-Payout-Hash": hash_})
    return str(read.json()["payout_user_id"])


def _bodies(hooks: Receiver) -> list[dict[str, Any]]:
    found = []
    for headers, raw in hooks.received:
        assert verify_signature(raw.decode(), headers["signature"], PAYOUT_TOKEN)  # the payout token
        found.append(json.loads(raw))
    return found


async def test_a_withdrawal_sends_payout_webhooks_to_the_payout_endpoint(
    client: httpx.AsyncClient, control: Control, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    events = ["payout.created", "payout.processing", "payout.succeeded"]
    await control.set_webhook_endpoint("payviox", "acme.payouts", url, PAYOUT_TOKEN, events)
    user = await _user_id(client, await funded_user(client, amount=10000))
    view = await control.session("payviox", user)
    assert view["sandbox"]["allowed_actions"][0]["action"] == "withdraw"
    started = await control.act("payviox", user, "withdraw", amount=1000)
    assert started.status_code == 200, started.text
    order = started.json()["order_id"]
    assert started.json()["sandbox"]["state"] == "payout_processing"
    await control.flush_webhooks()
    assert [body["type"] for body in _bodies(hooks)] == ["payout.created", "payout.processing"]
    await control.advance(60)  # the `payout_seconds` setting
    await control.flush_webhooks()
    bodies = _bodies(hooks)
    assert [body["type"] for body in bodies] == events
    succeeded = bodies[-1]
    assert succeeded == {
        "amount": 1000,
        "currency": "USD",
        "fees": 20,
        "net_amount": 980,
        "metadata": {"payout_user_id": user},
        "type": "payout.succeeded",
        "provider": "paypal",
        "order_id": order,
        "recipient": {"email": "user@example.com"},
        "paypal": {"order_id": succeeded["paypal"]["order_id"], "email": "user@example.com"},
    }
    assert re.fullmatch(r"PP-[A-Z0-9]{12}", succeeded["paypal"]["order_id"])
    assert (await control.session("payviox", user))["balance"] == 9000


async def test_payment_and_payout_webhooks_do_not_mix(client: httpx.AsyncClient, control: Control) -> None:
    user = await _user_id(client, await funded_user(client))
    await control.act("payviox", user, "withdraw", amount=100)
    await control.flush_webhooks()
    assert await control.inbox("payviox-acme") == []
    payout_inbox = await control.inbox("payviox-acme.payouts")
    assert [entry["event"] for entry in payout_inbox] == ["payout.created", "payout.processing"]


async def test_a_rejected_crypto_withdrawal_says_why_and_gives_the_money_back(
    client: httpx.AsyncClient, control: Control
) -> None:
    user = await _user_id(client, await funded_user(client, amount=5000))
    body = {"provider": "crypto", "amount": 5000}  # `provider` is also act()'s own argument: sent raw
    started = await control.raw.send("POST", f"/payviox/sessions/{user}/actions/withdraw", json=body)
    order = started.json()["order_id"]
    assert (await control.session("payviox", user))["balance"] == 0
    settled = await control.act("payviox", order, "settle", outcome="rejected", reason="Does not match our checks.")
    assert settled.status_code == 200
    assert settled.json()["sandbox"]["state"] == "payout_rejected"
    assert (await control.session("payviox", user))["balance"] == 5000
    deliveries = await control.webhooks(provider="payviox")
    assert [entry["event"] for entry in deliveries] == ["payout.created", "payout.processing", "payout.rejected"]
    rejected = await control.session("payviox", order)
    assert rejected["reason"] == "Does not match our checks."
    assert rejected["fees"] == 150 and rejected["net_amount"] == 4850  # crypto: 3 %, as the docs' example
    assert rejected["crypto"]["currency"] == "USDT" and rejected["crypto"]["chain"] == "ERC20"


async def test_withdrawing_more_than_the_balance_is_refused(client: httpx.AsyncClient, control: Control) -> None:
    user = await _user_id(client, await funded_user(client, amount=100))
    refused = await control.act("payviox", user, "withdraw", amount=101)
    assert refused.status_code == 400
    assert refused.json() == {"amount": ["The amount must be between 1 and 100."]}
