"""CDP's payer side: wallet options and wallet authorization, x402, Coinbase OAuth, hosted page."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.support.apps import client_for, make_app
from tests.support.cdp_calls import ACCOUNT, ACME, BASE, WALLET, create, error_of, get

pytestmark = pytest.mark.anyio

PAYER = "0xAbC1234567890aBcDeF1234567890AbCdEf123456"
SECOND = "0xDeF9876543210FeDcBa9876543210FedcBa987654"
AUTHZ_ID = {"cb-authz-id": "f47ac10b-58cc-4372-a567-0e02b2c3d479"}


async def options(client: httpx.AsyncClient, session_id: str, query: str) -> httpx.Response:
    return await client.get(f"{BASE}/{session_id}/authorizations/wallet/options?{query}")


async def test_wallet_options_need_no_credential_and_offer_one_option_per_asset(client: httpx.AsyncClient) -> None:
    session_id = (await create(client))["paymentSessionId"]
    response = await options(client, session_id, f"addresses={PAYER},{SECOND}")
    assert response.status_code == 200
    body = response.json()
    [option] = body["options"]
    assert option["optionId"].startswith("opt_")
    assert option["source"] == {"address": PAYER, "network": "base", "asset": "usdc"}
    assert (option["amount"], option["asset"], option["network"]) == ("1.00", "usdc", "base")
    [payload] = option["payloads"]
    assert payload["type"] == "eip3009" and payload["payloadId"].startswith("payload_")
    data = payload["data"]
    assert data["primaryType"] == "TransferWithAuthorization"
    assert data["domain"] == {
        "name": "USD Coin",
        "version": "2",
        "chainId": 8453,
        "verifyingContract": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
    }
    assert data["message"]["from"] == PAYER and data["message"]["to"] == WALLET
    assert data["message"]["value"] == "1000000"
    assert body["ineligibleAddresses"] == [
        {
            "address": SECOND,
            "code": "superseded_by_preferred_option",
            "message": "A preferred payment option was available from another wallet.",
        }
    ]
    assert (await get(client, session_id))["status"] == "created"  # a stateless read


async def test_wallet_options_take_axios_bracket_arrays(client: httpx.AsyncClient) -> None:
    """`addresses[]=A&addresses[]=B` is what Coinbase's TypeScript client sends (axios's array encoding)."""
    session_id = (await create(client))["paymentSessionId"]
    body = (await options(client, session_id, f"addresses%5B%5D={PAYER}&addresses%5B%5D={SECOND}")).json()
    assert [option["source"]["address"] for option in body["options"]] == [PAYER]
    assert [item["address"] for item in body["ineligibleAddresses"]] == [SECOND]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("addresses=", "At least one wallet address is required."),
        ("network=base", "At least one wallet address is required."),
        ("addresses=" + ",".join(f"0x{i}" for i in range(6)), "A maximum of 5 wallet addresses are allowed."),
        (f"addresses={PAYER},{PAYER.lower()}", "Duplicate wallet addresses are not allowed."),
        (f"addresses={PAYER}&network=tron", "Invalid query parameters."),
        (f"addresses={PAYER}&network=solana", f"Wallet address {PAYER!r} is not a base58 Solana address on solana."),
        (
            "addresses=7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV&network=base",
            "Wallet address '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV' is not a 0x-prefixed EVM address on base.",
        ),
    ],
)
async def test_wallet_options_query_rules(client: httpx.AsyncClient, query: str, message: str) -> None:
    session_id = (await create(client))["paymentSessionId"]
    response = await options(client, session_id, query)
    assert error_of(response) == (400, "invalid_request")
    assert response.json()["errorMessage"] == message


async def test_unfunded_wallets_are_ineligible_with_funds_required() -> None:
    async with client_for(make_app(providers={"cdp": {"unfunded_addresses": [PAYER]}})) as client:
        session_id = (await create(client))["paymentSessionId"]
        body = (await options(client, session_id, f"addresses={PAYER}")).json()
        assert body["options"] == []
        assert body["ineligibleAddresses"] == [
            {
                "address": PAYER,
                "code": "insufficient_funds",
                "message": "The payer does not have sufficient funds.",
                "fundsRequired": [
                    {"asset": "usdc", "network": "base", "currentBalance": "0", "requiredBalance": "1.00"}
                ],
            }
        ]


async def test_wallet_authorization_with_a_returned_option(client: httpx.AsyncClient) -> None:
    session_id = (await create(client))["paymentSessionId"]
    option = (await options(client, session_id, f"addresses={PAYER}&network=base")).json()["options"][0]
    signed = [{"payloadId": option["payloads"][0]["payloadId"], "signature": "0x" + "ab" * 65}]
    wrong = await client.post(
        f"{BASE}/{session_id}/authorizations/wallet",
        json={"optionId": "opt_00000000-0000-4000-8000-000000000000", "signedPayloads": signed},
    )
    assert error_of(wrong) == (400, "invalid_request")
    unsigned = await client.post(
        f"{BASE}/{session_id}/authorizations/wallet", json={"optionId": option["optionId"], "signedPayloads": []}
    )
    assert error_of(unsigned) == (400, "invalid_request")
    response = await client.post(
        f"{BASE}/{session_id}/authorizations/wallet",
        json={"optionId": option["optionId"], "signedPayloads": signed, "metadata": {"customer_id": "cust_12345"}},
    )
    assert response.status_code == 200
    authorization = response.json()
    assert (authorization["status"], authorization["amount"]) == ("pending", "1.00")
    assert authorization["source"] == {"address": PAYER, "network": "base", "asset": "usdc"}
    assert authorization["metadata"] == {"customer_id": "cust_12345"}
    session = await get(client, session_id)
    assert session["status"] == "authorization_succeeded" and session["source"]["address"] == PAYER
    again = await client.post(
        f"{BASE}/{session_id}/authorizations/wallet", json={"optionId": option["optionId"], "signedPayloads": signed}
    )
    assert error_of(again) == (400, "payment_session_already_authorized")


def b64json(value: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


async def test_x402_without_a_signature_is_a_402_challenge(client: httpx.AsyncClient) -> None:
    session = await create(client, target={"address": WALLET, "network": "base-sepolia"})
    response = await client.post(session["x402Url"].removeprefix("http://sandbox.test"))
    assert error_of(response) == (402, "payment_required")
    assert response.json()["errorMessage"] == "An x402 payment is required to access the requested resource."
    challenge = json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
    assert challenge["x402Version"] == 2 and challenge["error"] == "PAYMENT-SIGNATURE header is required"
    assert challenge["resource"]["url"] == session["x402Url"]
    [accept] = challenge["accepts"]
    assert accept == {
        "scheme": "exact",
        "network": "eip155:84532",
        "amount": "1000000",
        "asset": "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
        "payTo": WALLET,
        "maxTimeoutSeconds": 60,
        "extra": {"name": "USDC", "version": "2"},
    }


async def test_x402_with_a_signature_authorizes(client: httpx.AsyncClient) -> None:
    session = await create(client, target={"address": WALLET, "network": "base-sepolia"})
    path = session["x402Url"].removeprefix("http://sandbox.test")
    payload = {
        "x402Version": 2,
        "accepted": {"scheme": "exact", "network": "eip155:84532"},
        "payload": {"signature": "0x" + "12" * 65, "authorization": {"from": PAYER, "to": WALLET}},
    }
    bad = await client.post(path, headers={"PAYMENT-SIGNATURE": "%%%not-base64"})
    assert error_of(bad) == (400, "invalid_request")
    response = await client.post(path, headers={"PAYMENT-SIGNATURE": b64json(payload), "X-Idempotency-Key": "x402-1"})
    assert response.status_code == 200
    authorization = response.json()
    assert authorization["message"] == "Your payment was successfully submitted"
    assert authorization["source"] == {"address": PAYER, "network": "base-sepolia", "asset": "usdc"}
    receipt = json.loads(base64.b64decode(response.headers["PAYMENT-RESPONSE"]))
    assert receipt["success"] is True and receipt["network"] == "eip155:84532" and receipt["payer"] == PAYER
    assert receipt["transaction"].startswith("0x") and len(receipt["transaction"]) == 66
    replay = await client.post(path, headers={"PAYMENT-SIGNATURE": b64json(payload), "X-Idempotency-Key": "x402-1"})
    assert (
        replay.content == response.content
        and replay.headers["PAYMENT-RESPONSE"] == response.headers["PAYMENT-RESPONSE"]
    )


async def test_x402_needs_a_wallet_target(client: httpx.AsyncClient) -> None:
    session_id = (await create(client, target={"accountId": ACCOUNT, "asset": "usd"}))["paymentSessionId"]
    response = await client.post(f"{BASE}/{session_id}/authorizations/x402")
    assert error_of(response) == (400, "invalid_request")


async def test_coinbase_authorization_needs_an_oauth_token_not_a_cdp_jwt(client: httpx.AsyncClient) -> None:
    session_id = (await create(client, target={"accountId": ACCOUNT, "asset": "usd"}))["paymentSessionId"]
    path = f"{BASE}/{session_id}/authorizations/coinbase"
    assert error_of(await client.post(path, headers=AUTHZ_ID)) == (401, "unauthorized")
    cdp_jwt = await client.post(path, headers={**ACME, **AUTHZ_ID})
    assert error_of(cdp_jwt) == (403, "forbidden")
    assert cdp_jwt.json()["errorMessage"] == (
        "This endpoint requires a Coinbase OAuth bearer token; CDP API key tokens are not accepted."
    )
    oauth = {"Authorization": "Bearer coinbase-oauth-access-token"}
    no_challenge = await client.post(path, headers={**oauth, "cb-authz-id": "F47AC10B-58CC-4372-A567-0E02B2C3D479"})
    assert error_of(no_challenge) == (400, "invalid_request")
    response = await client.post(path, json={"metadata": {"customer_id": "cust_12345"}}, headers={**oauth, **AUTHZ_ID})
    assert response.status_code == 200
    authorization = response.json()
    assert authorization["source"]["coinbaseUserId"].startswith("coinbase_user_")
    assert "onchainTransactions" not in authorization
    session = await get(client, session_id)
    assert session["source"] == authorization["source"] and session["status"] == "authorization_succeeded"


async def test_payer_routes_404_for_unknown_sessions(client: httpx.AsyncClient) -> None:
    unknown = f"{BASE}/paymentSession_00000000-0000-4000-8000-000000000000/authorizations"
    assert error_of(await client.get(f"{unknown}/wallet/options?addresses={PAYER}")) == (404, "not_found")
    assert error_of(await client.post(f"{unknown}/x402")) == (404, "not_found")
    assert error_of(await client.post(f"{unknown}/wallet", json={})) == (404, "not_found")


async def test_hosted_page_shows_the_payment_and_redirects_after_authorizing(client: httpx.AsyncClient) -> None:
    session = await create(
        client,
        amount="12.50",
        redirect={"successUrl": "https://merchant.example.com/ok", "failureUrl": "https://merchant.example.com/failed"},
    )
    page_path = session["url"].removeprefix("http://sandbox.test")
    page = await client.get(page_path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for shown in (
        "12.50",
        "USDC",
        "base",
        WALLET,
        'data-outcome="succeeded"',
        'data-outcome="failed"',
        'href="https://merchant.example.com/failed"',
    ):
        assert shown in page.text
    response = await client.post(f"{page_path}/authorize", data={"outcome": "succeeded"})
    assert (response.status_code, response.headers["location"]) == (303, "https://merchant.example.com/ok")
    assert (await get(client, session["paymentSessionId"]))["status"] == "authorization_succeeded"
    assert "data-outcome" not in (await client.get(page_path)).text  # nothing left to authorize
    twice = await client.post(f"{page_path}/authorize", data={"outcome": "succeeded"})
    assert twice.status_code == 409


async def test_hosted_page_failure_goes_to_the_failure_url_or_back_to_the_page(client: httpx.AsyncClient) -> None:
    with_urls = await create(client, redirect={"failureUrl": "https://merchant.example.com/failed"})
    path = with_urls["url"].removeprefix("http://sandbox.test")
    failed = await client.post(f"{path}/authorize", data={"outcome": "failed"})
    assert failed.headers["location"] == "https://merchant.example.com/failed"
    assert (await get(client, with_urls["paymentSessionId"]))["status"] == "authorization_failed"
    plain = (await create(client))["url"].removeprefix("http://sandbox.test")
    assert 'id=back onclick="history.back()">Go back' in (await client.get(plain)).text  # no failureUrl
    back = await client.post(f"{plain}/authorize", data={"outcome": "succeeded"})
    assert back.headers["location"] == plain
    assert (await client.get("/cdp/payment-sessions/nope")).status_code == 404
