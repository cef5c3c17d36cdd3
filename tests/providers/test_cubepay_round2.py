"""CubePay, fidelity round two: the create response's null fields, the legacy Merchants API,
live keys refused with a reason, and the control view's actions matching the action endpoint."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.cubepay_calls import API_KEY, capture, create, funded

pytestmark = pytest.mark.anyio


async def test_create_response_has_the_endpoints_page_null_fields(client: httpx.AsyncClient) -> None:
    created = await create(client)
    assert "userAddress" in created and created["userAddress"] is None
    assert "fundingTransactionHash" in created and created["fundingTransactionHash"] is None
    assert list(created)[-4:] == ["userAddress", "fundingTransactionHash", "status", "createdAt"]  # the page's order


async def test_legacy_merchants_api_lists_the_token_sessions_use(client: httpx.AsyncClient) -> None:
    response = await client.get("/cubepay/api/v1/merchants/m_123")  # no auth, as the legacy page shows
    assert response.status_code == 200
    assert response.json() == {
        "merchantId": "m_123",
        "name": "Sandbox merchant m_123",
        "createdAt": "2025-01-01T00:00:00Z",
        "paymentMethods": [
            {
                "paymentMethodId": "pm_usdc_sepolia",
                "token": {
                    "tokenId": "tok_usdc_sepolia",
                    "network": "SEPOLIA",
                    "name": "USD Coin",
                    "symbol": "USDC",
                    "address": "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238",
                    "decimals": 6,
                },
            }
        ],
    }


async def test_merchants_api_follows_the_network_setting_and_strict_merchants() -> None:
    scenario: dict[str, Any] = {
        "providers": {"cubepay": {"network": "POLYGON"}},
        "merchants": {"shop": {"cubepay": {"api_keys": ["shop_key_1"], "merchant_id": "m_shop"}}},
    }
    async with client_for(make_app(**scenario)) as client:
        found = await client.get("/cubepay/api/v1/merchants/m_shop")
        assert found.status_code == 200
        assert found.json()["name"] == "shop"
        assert found.json()["paymentMethods"][0]["token"]["network"] == "POLYGON"
        missing = await client.get("/cubepay/api/v1/merchants/m_other")  # strict mode: only declared ones
        assert missing.status_code == 404
        assert missing.json() == {"error": "Merchant not found."}


@pytest.mark.parametrize("key", ["cubepay_live_shop", "sk_live_x", "LIVE-key"])
async def test_live_keys_are_refused_with_a_reason(
    client: httpx.AsyncClient, control: Control, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"amount": "50.00", "currency": "USD"}
    response = await client.post("/cubepay/payment-sessions", json=body, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized: the API key is invalid or revoked."}
    assert "live API keys are refused" in response.headers["x-sandbox-reason"]
    assert any("live API keys are refused" in note for note in (await control.requests())[-1]["notes"])
    logged = [record for record in caplog.records if record.name == "sandbox.cubepay"]
    assert logged and "live API keys are refused" in logged[-1].getMessage()


@pytest.mark.parametrize("key", ["cubepay_test_shop", "olive_branch", "deliver_key"])
async def test_keys_without_a_live_part_still_work(client: httpx.AsyncClient, key: str) -> None:
    await create(client, headers={"Authorization": f"Bearer {key}"})


async def test_a_scenario_cannot_declare_a_live_key(control: Control) -> None:
    response = await control.raw.load_scenario({"merchants": {"shop": {"cubepay": {"api_keys": ["cubepay_live_1"]}}}})
    assert response.status_code == 400
    assert "live key" in response.text


# allowed actions -----------------------------------------------------------------------------

ACTIONS = ("connect", "fund", "cancel", "fail")


async def _in_state(client: httpx.AsyncClient, state: str) -> str:
    """A fresh session in `state`, reached through the API and the control actions."""
    control = Control(client)
    if state == "FUNDED":
        return await funded(client)
    if state == "CAPTURING":
        session_id = await funded(client)
        assert (await capture(client, session_id, "10.00")).status_code == 202
        return session_id
    session_id = str((await create(client))["paymentSessionId"])
    terminal = {"CANCELED": "cancel", "ERROR": "fail"}
    if state in terminal:
        assert (await control.act("cubepay", session_id, terminal[state])).status_code == 200
    return session_id


@pytest.mark.parametrize("state", ["PENDING", "FUNDED", "CAPTURING", "CANCELED", "ERROR"])
async def test_advertised_actions_are_exactly_the_accepted_ones(state: str) -> None:
    async with client_for(make_app(providers={"cubepay": {"capture_delay_seconds": 60}})) as client:
        control = Control(client)
        probe = await _in_state(client, state)
        view = await control.session("cubepay", probe)
        assert view["status"] == state
        advertised = {entry["action"]: entry["params"] for entry in view["sandbox"]["allowedActions"]}
        accepted = set()
        for action in ACTIONS:  # each on a fresh session in the same state, with no body: every default
            session_id = await _in_state(client, state)
            response = await control.act("cubepay", session_id, action)
            assert response.status_code in (200, 400), response.text
            if response.status_code == 200:
                accepted.add(action)
        assert set(advertised) == accepted
        assert all(isinstance(params, dict) for params in advertised.values())


async def test_created_sessions_advertise_connect_with_its_parameters() -> None:
    async with client_for(make_app(providers={"cubepay": {"initial_status": "CREATED"}})) as client:
        session_id = str((await create(client, headers=API_KEY))["paymentSessionId"])
        view = await Control(client).session("cubepay", session_id)
        connect = next(entry for entry in view["sandbox"]["allowedActions"] if entry["action"] == "connect")
        assert set(connect["params"]) == {"userAddress", "paymentMethodId"}
        accepted = await Control(client).act("cubepay", session_id, "connect")
        assert accepted.status_code == 200
