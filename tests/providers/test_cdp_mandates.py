"""`POST .../authorizations/mandate` (cdp-sdk 1.51) over HTTP: every documented outcome.

The scenario's `providers.cdp.mandates` declares one mandate per state; each documented error
(`mandate_action_pending` 409, `mandate_revoked` / `mandate_canceled` / `mandate_invalid_status`
/ `mandate_policy_violation` 422, `mandate_expired` 400) is reached by drawing on the mandate in
that state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.apps import client_for, make_app
from tests.support.cdp_calls import ACME, GLOBEX, create, error_of, get, post
from tests.support.control import Control

pytestmark = pytest.mark.anyio


def mandate_id(n: int) -> str:
    return f"mandate_00000000-0000-4000-8000-{n:012d}"


OK, APPROVING, REVOKING, REVOKED, CANCELED, EXPIRING, CREATED, CAPPED, DAILY, BOTH = (mandate_id(n) for n in range(10))
PAYER = {"address": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e", "network": "base", "asset": "usdc"}
MANDATES: list[dict[str, Any]] = [
    {"id": OK, "source": PAYER},
    {"id": APPROVING, "status": "approval_pending"},
    {"id": REVOKING, "status": "revocation_pending"},
    {"id": REVOKED, "revoked": True},
    {"id": CANCELED, "status": "canceled"},
    {"id": EXPIRING, "expires_at": "2026-01-01T01:00:00Z"},
    {"id": CREATED, "status": "created"},
    {"id": CAPPED, "max_per_authorization": "2.00"},
    {"id": DAILY, "max_per_period": {"amount": "2.50", "period": "day"}},
    # revoked, canceled and mid-revocation: the first documented match (409) wins
    {"id": BOTH, "status": "revocation_pending", "revoked": True, "canceled": True},
]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(make_app(providers={"cdp": {"mandates": MANDATES}})) as http:
        yield http


async def draw(client: httpx.AsyncClient, mandate: str, body: Any = None, **changes: Any) -> httpx.Response:
    session_id = (await create(client, **changes))["paymentSessionId"]
    return await post(client, session_id, "authorizations/mandate", {"mandateId": mandate, **(body or {})})


async def test_an_approved_mandate_authorizes_with_its_source(client: httpx.AsyncClient) -> None:
    body = {"externalReferenceId": "sub-42", "customerDisplay": {"referenceCode": "RC-42"}, "metadata": {"n": "1"}}
    response = await draw(client, OK, body, autoCapture=True)
    assert response.status_code == 200, response.text
    authorization = response.json()
    assert authorization["authorizationId"].startswith("authorization_")
    assert (authorization["status"], authorization["amount"], authorization["source"]) == ("pending", "1.00", PAYER)
    assert authorization["externalReferenceId"] == "sub-42"
    assert authorization["customerDisplay"] == {"referenceCode": "RC-42"}
    session = await get(client, authorization["paymentSessionId"])
    assert session["status"] == "capture_succeeded"  # autoCapture follows the authorization
    assert session["source"] == PAYER
    assert session["captures"][0]["customerDisplay"] == {"referenceCode": "RC-42"}  # reused by the auto-capture
    again = await post(client, session["paymentSessionId"], "authorizations/mandate", {"mandateId": OK})
    assert error_of(again) == (400, "payment_session_already_authorized")


@pytest.mark.parametrize(
    ("mandate", "expected"),
    [
        (APPROVING, (409, "mandate_action_pending")),
        (REVOKING, (409, "mandate_action_pending")),
        (BOTH, (409, "mandate_action_pending")),
        (REVOKED, (422, "mandate_revoked")),
        (CANCELED, (422, "mandate_canceled")),
        (CREATED, (422, "mandate_invalid_status")),
    ],
)
async def test_mandate_states_refuse_with_their_documented_status(
    client: httpx.AsyncClient, mandate: str, expected: tuple[int, str]
) -> None:
    response = await draw(client, mandate)
    assert error_of(response) == expected
    assert response.json()["errorLink"].endswith("#" + expected[1].replace("_", "-"))


async def test_a_mandate_past_expires_at_is_400_mandate_expired(client: httpx.AsyncClient, control: Control) -> None:
    assert (await draw(client, EXPIRING)).status_code == 200
    await control.advance(3601)
    assert error_of(await draw(client, EXPIRING)) == (400, "mandate_expired")


async def test_policy_caps_per_authorization_and_per_rolling_period(
    client: httpx.AsyncClient, control: Control
) -> None:
    assert error_of(await draw(client, CAPPED, amount="2.01")) == (422, "mandate_policy_violation")
    assert (await draw(client, CAPPED, amount="2.00")).status_code == 200
    assert (await draw(client, DAILY, amount="1.00")).status_code == 200
    assert (await draw(client, DAILY, amount="1.50")).status_code == 200
    refused = await draw(client, DAILY, amount="0.01")
    assert error_of(refused) == (422, "mandate_policy_violation")
    assert "2.50 per day" in refused.json()["errorMessage"]
    await control.advance(24 * 3600 + 1)  # the window trails: yesterday's draws no longer count
    assert (await draw(client, DAILY, amount="2.50")).status_code == 200


async def test_a_failed_authorization_does_not_count_against_the_period(
    client: httpx.AsyncClient, control: Control
) -> None:
    await control.load_scenario(
        {"providers": {"cdp": {"mandates": MANDATES, "settlement": {"authorization": "failed"}}}}
    )
    session_id = (await create(client, amount="2.00"))["paymentSessionId"]
    assert (await post(client, session_id, "authorizations/mandate", {"mandateId": DAILY})).status_code == 200
    assert (await get(client, session_id))["status"] == "authorization_failed"
    assert (await draw(client, DAILY, amount="2.50")).status_code == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, (400, "invalid_request")),
        ({"mandateId": "not-a-mandate"}, (400, "invalid_request")),
        ({"mandateId": OK, "externalReferenceId": "x" * 257}, (400, "invalid_request")),
        ({"mandateId": OK, "customerDisplay": {"referenceCode": "x" * 129}}, (400, "invalid_request")),
        ({"mandateId": mandate_id(99)}, (404, "not_found")),
    ],
)
async def test_bad_requests(client: httpx.AsyncClient, body: dict[str, Any], expected: tuple[int, str]) -> None:
    session_id = (await create(client))["paymentSessionId"]
    assert error_of(await post(client, session_id, "authorizations/mandate", body)) == expected


async def test_merchant_authenticated_and_only_on_its_own_sessions(client: httpx.AsyncClient) -> None:
    session_id = (await create(client))["paymentSessionId"]
    path = f"/cdp/platform/v2/payment-sessions/{session_id}/authorizations/mandate"
    assert error_of(await client.post(path, json={"mandateId": OK})) == (401, "unauthorized")
    assert error_of(await client.post(path, json={"mandateId": OK}, headers=GLOBEX)) == (404, "not_found")
    assert (await client.post(path, json={"mandateId": OK}, headers=ACME)).status_code == 200


async def test_a_scenario_mandate_is_checked_when_it_loads(client: httpx.AsyncClient) -> None:
    bad = await client.put("/_sandbox/scenario", content=b"providers:\n  cdp:\n    mandates:\n      - id: nope\n")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_scenario"
