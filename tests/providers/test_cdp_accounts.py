"""`GET /v2/coinbase-accounts/balances` (TS 1.57 `listCoinbaseAccountBalances`) over HTTP: a Coinbase
OAuth token's USDC balance, moved by the payment sessions that Coinbase user authorized."""

from __future__ import annotations

import httpx
import pytest

from tests.support.apps import client_for, make_app
from tests.support.cdp_calls import ACCOUNT, ACME, BASE, create, error_of, get, post

pytestmark = pytest.mark.anyio
PATH = "/cdp/platform/v2/coinbase-accounts/balances"
OAUTH = {"Authorization": "Bearer payer-oauth-token"}
OTHER = {"Authorization": "Bearer another-payer-token"}
AUTHZ_ID = {"cb-authz-id": "f47ac10b-58cc-4372-a567-0e02b2c3d479"}


async def usdc(client: httpx.AsyncClient, headers: dict[str, str] = OAUTH) -> dict[str, str]:
    response = await client.get(PATH, headers=headers)
    assert response.status_code == 200, response.text
    [balance] = response.json()["balances"]
    assert balance["asset"] == {"symbol": "usdc", "type": "crypto", "name": "USD Coin", "decimals": 6}
    assert list(balance["amount"]) == ["usdc"]
    return balance["amount"]["usdc"]  # type: ignore[no-any-return]


async def test_a_new_payer_holds_the_scenario_balance(client: httpx.AsyncClient) -> None:
    assert await usdc(client) == {"available": "1000.00", "total": "1000.00"}


async def test_holds_captures_and_refunds_move_it(client: httpx.AsyncClient) -> None:
    session_id = (await create(client, amount="25.50", target={"accountId": ACCOUNT, "asset": "usd"}))[
        "paymentSessionId"
    ]
    path = f"{BASE}/{session_id}/authorizations/coinbase"
    assert (await client.post(path, json={}, headers={**OAUTH, **AUTHZ_ID})).status_code == 200
    await get(client, session_id)  # the authorization settles: 25.50 is on hold
    assert await usdc(client) == {"available": "974.50", "total": "1000.00"}
    assert await usdc(client, OTHER) == {"available": "1000.00", "total": "1000.00"}  # another user
    await post(client, session_id, "captures", {"amount": "20", "finalCapture": True})
    assert await usdc(client) == {"available": "980.00", "total": "980.00"}  # the rest went back
    refund = {"source": {"accountId": ACCOUNT, "asset": "usd"}, "amount": "5.25"}
    assert (await post(client, session_id, "refunds", refund)).status_code == 200
    await get(client, session_id)
    assert await usdc(client) == {"available": "985.25", "total": "985.25"}


async def test_an_empty_account_says_0() -> None:
    async with client_for(make_app(providers={"cdp": {"coinbase_account_balance": "0"}})) as http:
        assert await usdc(http) == {"available": "0", "total": "0"}


async def test_it_needs_a_coinbase_oauth_token(client: httpx.AsyncClient) -> None:
    assert error_of(await client.get(PATH)) == (401, "unauthorized")
    assert error_of(await client.get(PATH, headers=ACME)) == (403, "forbidden")  # a CDP API-key JWT
