"""The payer's side: connect-wallet, the funding transaction, control actions, unfunded expiry."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.evm import checksum_address
from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.cubepay_calls import API_KEY, bearer, create, read

pytestmark = pytest.mark.anyio

PAYER = "0x52908400098527886e0f7030069857d2e4169ee7"


async def events(client: httpx.AsyncClient, session_id: str) -> list[tuple[str, str, str]]:
    control = Control(client)
    listed = await control.events(session_id=session_id)
    return [(event["action"], event["from"], event["to"]) for event in listed]


async def sdk_post(client: httpx.AsyncClient, created: dict[str, Any], route: str, body: Any) -> httpx.Response:
    return await client.post(
        f"/cubepay/api/v1/payment-sessions/{created['paymentSessionId']}/{route}",
        json=body,
        headers=bearer(created["paymentSessionToken"]),
    )


async def test_the_sdk_routes_connect_fund_and_link_the_transaction(client: httpx.AsyncClient) -> None:
    created = await create(client)
    session_id = created["paymentSessionId"]
    connected = await sdk_post(
        client, created, "connect-wallet", {"userAddress": PAYER, "paymentMethodId": "pm_usdc_sepolia"}
    )
    assert (connected.status_code, connected.json()) == (200, {"success": True})
    assert (await read(client, session_id))["userAddress"] == checksum_address(PAYER)

    sent = await client.post(
        f"/cubepay/sandbox-wallet/payment-sessions/{session_id}/transfer",
        json={},
        headers=bearer(created["paymentSessionToken"]),
    )
    assert sent.status_code == 200
    tx = sent.json()["transactionHash"]
    linked = await sdk_post(client, created, "funding-transaction", {"fundingTransactionHash": tx, "wait": False})
    assert (linked.status_code, linked.json()) == (200, {"success": True})

    session = await read(client, session_id, bearer(created["paymentSessionToken"]))
    assert session["status"] == "FUNDED"
    assert session["fundingTransactionHash"] == session["userSubmittedTransactionHash"] == tx
    assert (session["capturableAmount"], session["capturedAmount"], session["refundedAmount"]) == (
        "50.00",
        "0.00",
        "0.00",
    )
    assert await events(client, session_id) == [("fund", "PENDING", "FUNDED")]


async def test_the_sdk_routes_take_only_the_session_token(client: httpx.AsyncClient) -> None:
    created = await create(client)
    response = await client.post(
        f"/cubepay/payment-sessions/{created['paymentSessionId']}/connect-wallet",
        json={"userAddress": PAYER},
        headers=API_KEY,
    )
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized: this endpoint takes the paymentSessionToken."}


@pytest.mark.parametrize(
    ("route", "body", "message"),
    [
        ("connect-wallet", {}, "The 'userAddress' field is required."),
        (
            "connect-wallet",
            {"userAddress": "0x123"},
            "The 'userAddress' field must be a 0x-prefixed 20-byte hex address.",
        ),
        ("funding-transaction", {}, "The 'fundingTransactionHash' field is required."),
        (
            "funding-transaction",
            {"fundingTransactionHash": "0xzz"},
            "The 'fundingTransactionHash' field must be a 0x-prefixed 32-byte hex transaction hash.",
        ),
        (
            "funding-transaction",
            {"fundingTransactionHash": "0x" + "ab" * 32, "wait": "yes"},
            "The 'wait' field must be a boolean.",
        ),
    ],
)
async def test_sdk_route_bodies_are_validated(client: httpx.AsyncClient, route: str, body: Any, message: str) -> None:
    response = await sdk_post(client, await create(client), route, body)
    assert (response.status_code, response.json()) == (400, {"error": message})


async def test_a_transaction_the_chain_never_saw_is_refused(client: httpx.AsyncClient) -> None:
    created = await create(client)
    unknown = "0x" + "ab" * 32
    response = await sdk_post(client, created, "funding-transaction", {"fundingTransactionHash": unknown})
    assert response.status_code == 400
    assert response.json() == {
        "error": f"Transaction {unknown} was not found on SEPOLIA for this payment session's wallet."
    }


async def test_the_initial_created_status_moves_to_pending_on_connect() -> None:
    async with client_for(make_app(providers={"cubepay": {"initial_status": "CREATED"}})) as client:
        created = await create(client)
        await sdk_post(client, created, "connect-wallet", {"userAddress": PAYER})
        await sdk_post(client, created, "connect-wallet", {"userAddress": PAYER})  # may be called again
        assert (await read(client, created["paymentSessionId"]))["status"] == "PENDING"
        assert await events(client, created["paymentSessionId"]) == [("connect", "CREATED", "PENDING")]


async def test_a_short_payment_stays_pending_until_topped_up(client: httpx.AsyncClient, control: Control) -> None:
    session_id = (await create(client))["paymentSessionId"]
    short = (await control.act("cubepay", session_id, "fund", amount="20.00")).json()
    assert (short["status"], short["fundingTransactionHash"], short["sandbox"]["receivedAmount"]) == (
        "PENDING",
        None,
        "20.00",
    )
    topped = (await control.act("cubepay", session_id, "fund")).json()  # default: what is still owed
    assert topped["status"] == "FUNDED"
    assert topped["sandbox"]["receivedAmount"] == "50.00"
    assert [t["amount"] for t in topped["sandbox"]["transfers"]] == ["20.00", "30.00"]
    assert topped["fundingTransactionHash"] == topped["sandbox"]["transfers"][1]["transactionHash"]


async def test_an_over_payment_funds_and_only_the_amount_is_capturable(
    client: httpx.AsyncClient, control: Control
) -> None:
    session_id = (await create(client))["paymentSessionId"]
    over = (await control.act("cubepay", session_id, "fund", amount="80.00", fromAddress=PAYER)).json()
    assert (over["status"], over["capturableAmount"], over["userAddress"]) == (
        "FUNDED",
        "50.00",
        checksum_address(PAYER),
    )


async def test_connect_action_gives_a_seeded_checksummed_address(client: httpx.AsyncClient, control: Control) -> None:
    session_id = (await create(client))["paymentSessionId"]
    body = (await control.act("cubepay", session_id, "connect")).json()
    assert body["userAddress"] == checksum_address(body["userAddress"].lower())
    assert body["sandbox"]["paymentMethodId"] == "pm_usdc_sepolia"


async def test_cancel_and_fail_actions(client: httpx.AsyncClient, control: Control) -> None:
    canceled = (await create(client))["paymentSessionId"]
    assert (await control.act("cubepay", canceled, "cancel")).json()["status"] == "CANCELED"
    refused = await control.act("cubepay", canceled, "fund")
    assert (refused.status_code, refused.json()) == (400, {"error": "cannot fund a session that is CANCELED"})

    failed = (await create(client))["paymentSessionId"]
    assert (await control.act("cubepay", failed, "fail")).json()["status"] == "ERROR"
    assert await events(client, failed) == [("fail", "PENDING", "ERROR")]
    missing = await control.act("cubepay", "ps_missing", "cancel")
    assert (missing.status_code, missing.json()) == (404, {"error": "Payment session not found."})


async def test_a_funded_session_cannot_be_canceled(client: httpx.AsyncClient, control: Control) -> None:
    session_id = (await create(client))["paymentSessionId"]
    await control.act("cubepay", session_id, "fund")
    response = await control.act("cubepay", session_id, "cancel")
    assert (response.status_code, response.json()) == (400, {"error": "cannot cancel a session that is FUNDED"})


async def test_an_unfunded_session_is_canceled_after_its_ttl() -> None:
    async with client_for(make_app(providers={"cubepay": {"session_ttl_seconds": 600}})) as client:
        control = Control(client)
        waiting = (await create(client))["paymentSessionId"]
        paid = (await create(client))["paymentSessionId"]
        await control.act("cubepay", paid, "fund")
        await control.advance(599)
        assert (await read(client, waiting))["status"] == "PENDING"
        moved = await control.advance(1)
        assert moved["expired"] == [{"provider": "cubepay", "session_id": waiting}]
        assert (await read(client, waiting))["status"] == "CANCELED"
        assert (await read(client, paid))["status"] == "FUNDED"
        assert await events(client, waiting) == [("expire", "PENDING", "CANCELED")]
