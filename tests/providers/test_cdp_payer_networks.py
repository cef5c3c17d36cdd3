"""Wallet options over HTTP for the networks cdp-sdk 1.51 adds (avalanche, solana, solana-devnet),
with Solana's base58 addresses, and the `addresses[]` form the official TypeScript client sends."""

from __future__ import annotations

import httpx
import pytest

from tests.support.cdp_calls import BASE, create, error_of

pytestmark = pytest.mark.anyio

PAYER = "0xAbC1234567890aBcDeF1234567890AbCdEf123456"
SECOND = "0xDeF9876543210FeDcBa9876543210FedcBa987654"
SOLANA = "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"  # base58, 43 characters


async def options(client: httpx.AsyncClient, session_id: str, query: str) -> httpx.Response:
    return await client.get(f"{BASE}/{session_id}/authorizations/wallet/options?{query}")


async def test_avalanche_is_an_evm_network_with_its_chain_and_usdc(client: httpx.AsyncClient) -> None:
    session_id = (await create(client))["paymentSessionId"]
    body = (await options(client, session_id, f"addresses={PAYER}&network=avalanche")).json()
    [option] = body["options"]
    assert (option["network"], option["source"]["network"]) == ("avalanche", "avalanche")
    domain = option["payloads"][0]["data"]["domain"]
    assert domain["chainId"] == 43114
    assert domain["verifyingContract"] == "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E"


@pytest.mark.parametrize("network", ["solana", "solana-devnet"])
async def test_solana_takes_base58_wallets_and_reports_them_unfunded(client: httpx.AsyncClient, network: str) -> None:
    session_id = (await create(client))["paymentSessionId"]
    response = await options(client, session_id, f"addresses={SOLANA}&network={network}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["options"] == []
    [ineligible] = body["ineligibleAddresses"]
    assert (ineligible["address"], ineligible["code"]) == (SOLANA, "insufficient_funds")
    assert ineligible["fundsRequired"][0]["network"] == network
    wrong = await options(client, session_id, f"addresses={PAYER}&network={network}")
    assert error_of(wrong) == (400, "invalid_request")
    assert "base58" in wrong.json()["errorMessage"]


@pytest.mark.parametrize("bad", ["0OIl" + "1" * 40, "1" * 31, "1" * 45])
async def test_malformed_base58_is_refused(client: httpx.AsyncClient, bad: str) -> None:
    session_id = (await create(client))["paymentSessionId"]
    assert error_of(await options(client, session_id, f"addresses={bad}&network=solana")) == (400, "invalid_request")


async def test_bracketed_addresses_as_axios_sends_them(client: httpx.AsyncClient) -> None:
    """TS 1.57 `getWalletAuthorizationOptions(id, {addresses: [a, b]})` -> `addresses%5B%5D=a&addresses%5B%5D=b`."""
    session_id = (await create(client))["paymentSessionId"]
    bracketed = await options(client, session_id, f"addresses%5B%5D={PAYER}&addresses%5B%5D={SECOND}")
    documented = await options(client, session_id, f"addresses={PAYER},{SECOND}")
    assert bracketed.status_code == documented.status_code == 200
    for body in (bracketed.json(), documented.json()):
        assert [o["source"]["address"] for o in body["options"]] == [PAYER]
        assert [i["address"] for i in body["ineligibleAddresses"]] == [SECOND]
    six = "&".join(f"addresses[]=0x{i}" for i in range(6))
    assert (await options(client, session_id, six)).json()[
        "errorMessage"
    ] == "A maximum of 5 wallet addresses are allowed."
    mixed = await options(client, session_id, f"addresses[]={PAYER}&addresses={PAYER.lower()}")
    assert mixed.json()["errorMessage"] == "Duplicate wallet addresses are not allowed."
