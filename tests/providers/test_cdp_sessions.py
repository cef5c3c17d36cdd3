"""CDP sessions: create, get, list (pagination), cancel, and create-request validation."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.support.cdp_calls import ACCOUNT, ACME, BASE, GLOBEX, create, error_of, get, post, session_body
from tests.support.control import Control

pytestmark = pytest.mark.anyio

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def test_create_answers_200_with_the_seed_shape(client: httpx.AsyncClient) -> None:
    body = await create(client, metadata={"customer_id": "cust_12345", "order_reference": "order-67890"})
    session_id = body["paymentSessionId"]
    assert re.match(r"^paymentSession_[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$", session_id)
    assert body["entityId"].startswith("entity_")
    assert body["status"] == "created"
    assert (body["amount"], body["asset"]) == ("1.00", "usdc")
    assert body["target"] == {"address": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", "network": "base"}
    assert body["autoCapture"] is False
    assert body["balances"] == {"capturable": "0", "captured": "0", "refundable": "0", "refunded": "0"}
    assert body["expiries"] == {
        "authorizationExpiresAt": "2026-01-02T00:00:00.000Z",  # the clock starts 2026-01-01: +1 d / +7 d / +30 d
        "captureExpiresAt": "2026-01-08T00:00:00.000Z",
        "refundExpiresAt": "2026-01-31T00:00:00.000Z",
    }
    assert body["url"] == f"http://sandbox.test/cdp/payment-sessions/{session_id}"
    assert body["x402Url"] == f"http://sandbox.test{BASE}/{session_id}/authorizations/x402"
    assert body["externalReferenceId"] == "merchant-order-abc123"
    assert body["metadata"] == {"customer_id": "cust_12345", "order_reference": "order-67890"}
    assert ISO_MS.match(body["createdAt"]) and body["createdAt"] == body["updatedAt"] == "2026-01-01T00:00:00.000Z"
    assert "source" not in body and "authorizations" not in body and "cancellationReason" not in body


async def test_account_target_has_no_x402_url(client: httpx.AsyncClient) -> None:
    body = await create(client, target={"accountId": ACCOUNT, "asset": "usd"})
    assert body["target"] == {"accountId": ACCOUNT, "asset": "usd"}
    assert "x402Url" not in body


async def test_entity_is_stable_per_api_key(client: httpx.AsyncClient) -> None:
    first, second, other = await create(client), await create(client), await create(client, GLOBEX)
    assert first["entityId"] == second["entityId"] != other["entityId"]


async def test_get_returns_the_session_and_other_tenants_get_404(client: httpx.AsyncClient) -> None:
    created = await create(
        client, customerDisplay={"merchantName": "Acme Store", "displayAmount": {"amount": "1.37", "currency": "cad"}}
    )
    fetched = await get(client, created["paymentSessionId"])
    assert fetched == created
    assert fetched["customerDisplay"] == {
        "merchantName": "Acme Store",
        "displayAmount": {"amount": "1.37", "currency": "cad"},
        "orderCode": created["customerDisplay"]["orderCode"],  # generated: none was sent
    }
    foreign = await client.get(f"{BASE}/{created['paymentSessionId']}", headers=GLOBEX)
    assert error_of(foreign) == (404, "not_found")
    assert foreign.json()["errorMessage"] == "Payment session with the given ID does not exist."
    unknown = await client.get(f"{BASE}/paymentSession_00000000-0000-4000-8000-000000000000", headers=ACME)
    assert error_of(unknown) == (404, "not_found")


async def test_list_is_newest_first_and_pages_with_an_opaque_token(client: httpx.AsyncClient) -> None:
    ids = [(await create(client))["paymentSessionId"] for _ in range(5)]
    await create(client, GLOBEX)  # another tenant's session never shows
    first = (await client.get(f"{BASE}?pageSize=2", headers=ACME)).json()
    assert [s["paymentSessionId"] for s in first["paymentSessions"]] == ids[::-1][:2]
    second = (await client.get(f"{BASE}?pageSize=2&pageToken={first['nextPageToken']}", headers=ACME)).json()
    assert [s["paymentSessionId"] for s in second["paymentSessions"]] == ids[::-1][2:4]
    last = (await client.get(f"{BASE}?pageSize=2&pageToken={second['nextPageToken']}", headers=ACME)).json()
    assert [s["paymentSessionId"] for s in last["paymentSessions"]] == ids[:1]
    assert "nextPageToken" not in last
    everything = (await client.get(BASE, headers=ACME)).json()
    assert len(everything["paymentSessions"]) == 5 and "nextPageToken" not in everything


async def test_list_default_page_size_is_20(client: httpx.AsyncClient) -> None:
    for _ in range(21):
        await create(client)
    page = (await client.get(BASE, headers=ACME)).json()
    assert len(page["paymentSessions"]) == 20 and "nextPageToken" in page


BAD_QUERIES = [
    "pageSize=0",
    "pageSize=000",
    "pageSize=abc",
    "pageSize=-1",
    "pageSize=1.5",
    "pageSize=%C2%B2",  # "²": str.isdigit() says yes, int() refuses it
    "pageSize=%D9%A3",  # "٣", an Arabic-Indic 3: not an ASCII integer
    "pageToken=garbage",
    "pageToken=e30=",  # {}
    "pageToken=bnVsbA==",  # null
    "pageToken=eyJsYXN0X2lkIjogWzFdfQ==",  # {"last_id": [1]}
    "pageToken=%00",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
async def test_bad_list_queries_are_400(client: httpx.AsyncClient, query: str) -> None:
    await create(client)
    response = await client.get(f"{BASE}?{query}", headers=ACME)
    assert error_of(response) == (400, "invalid_request")
    assert response.json()["errorMessage"] == "Invalid query parameters."


async def test_page_sizes_past_the_maximum_are_clamped(client: httpx.AsyncClient) -> None:
    for _ in range(101):
        await create(client)
    for size in ("101", "9" * 5000):  # int() refuses more than 4300 digits: never a 500
        page = await client.get(f"{BASE}?pageSize={size}", headers=ACME)
        assert page.status_code == 200 and len(page.json()["paymentSessions"]) == 100
    assert len((await client.get(f"{BASE}?pageSize=007", headers=ACME)).json()["paymentSessions"]) == 7


async def test_a_page_token_of_another_tenant_or_list_is_400(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        await create(client)
    token = (await client.get(f"{BASE}?pageSize=1", headers=ACME)).json()["nextPageToken"]
    foreign = await client.get(f"{BASE}?pageToken={token}", headers=GLOBEX)
    assert error_of(foreign) == (400, "invalid_request")
    session_id = (await client.get(BASE, headers=ACME)).json()["paymentSessions"][0]["paymentSessionId"]
    elsewhere = await client.get(f"{BASE}/{session_id}/captures?pageToken={token}", headers=ACME)
    assert error_of(elsewhere) == (400, "invalid_request")


async def test_cancel_from_created_echoes_the_reason(client: httpx.AsyncClient, control: Control) -> None:
    session_id = (await create(client))["paymentSessionId"]
    response = await post(client, session_id, "cancel", {"cancellationReason": "Customer requested cancellation."})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["cancellationReason"]) == ("canceled", "Customer requested cancellation.")
    assert body["balances"] == {"capturable": "0", "captured": "0", "refundable": "0", "refunded": "0"}
    again = await post(client, session_id, "cancel")
    assert error_of(again) == (400, "payment_session_already_canceled")
    authorize = await control.act("cdp", session_id, "authorize")
    assert error_of(authorize) == (400, "payment_session_already_canceled")


async def test_cancel_is_refused_while_pending_and_after_authorization(
    client: httpx.AsyncClient, control: Control
) -> None:
    session_id = (await create(client))["paymentSessionId"]
    await control.act("cdp", session_id, "authorize")
    # the authorization is pending until the next read settles it... which this request is:
    # settlement runs before the handler, so cancel sees authorization_succeeded.
    response = await post(client, session_id, "cancel", {})
    assert error_of(response) == (400, "invalid_request")
    assert response.json()["errorMessage"] == "Payment session cannot be canceled in its current state."


async def test_cancel_without_a_body_works(client: httpx.AsyncClient) -> None:
    session_id = (await create(client))["paymentSessionId"]
    response = await client.post(f"{BASE}/{session_id}/cancel", headers=ACME)
    assert response.status_code == 200 and "cancellationReason" not in response.json()


INVALID: list[tuple[str, dict[str, Any]]] = [
    ("missing amount", {"amount": None}),
    ("number amount", {"amount": 1}),
    ("zero amount", {"amount": "0"}),
    ("negative amount", {"amount": "-1.00"}),
    ("words", {"amount": "one"}),
    ("exponent", {"amount": "1e3"}),
    ("too many decimals", {"amount": "1.0000001"}),
    ("unknown asset", {"asset": "doge"}),
    ("uppercase asset", {"asset": "USDC"}),
    ("bad target network", {"target": {"address": "0xabc", "network": "solana"}}),
    ("target without address", {"target": {"network": "base"}}),
    ("bad account id", {"target": {"accountId": "acct_1", "asset": "usd"}}),
    ("both targets", {"target": {"address": "0xabc", "accountId": ACCOUNT, "asset": "usd"}}),
    ("autoCapture string", {"autoCapture": "yes"}),
    ("long reference", {"externalReferenceId": "x" * 257}),
    ("11 metadata pairs", {"metadata": {f"k{i}": "v" for i in range(11)}}),
    ("long metadata key", {"metadata": {"k" * 41: "v"}}),
    ("long metadata value", {"metadata": {"k": "v" * 501}}),
    ("number metadata value", {"metadata": {"k": 1}}),
    ("bad redirect", {"redirect": {"successUrl": "ftp://example.com/x"}}),
    ("short redirect", {"redirect": {"successUrl": "http://a"}}),
    ("half display amount", {"customerDisplay": {"displayAmount": {"amount": "1.37"}}}),
    (
        "expiries out of order",
        {"expiries": {"authorizationExpiresAt": "2026-01-10T00:00:00Z", "captureExpiresAt": "2026-01-05T00:00:00Z"}},
    ),
    ("default capture before given authorization", {"expiries": {"authorizationExpiresAt": "2026-01-20T00:00:00Z"}}),
    ("expiry not a date", {"expiries": {"refundExpiresAt": "soon"}}),
    ("expiry in the past", {"expiries": {"authorizationExpiresAt": "2025-01-01T00:00:00Z"}}),
]


@pytest.mark.parametrize(("label", "changes"), INVALID, ids=[label for label, _ in INVALID])
async def test_invalid_create_requests_are_400(client: httpx.AsyncClient, label: str, changes: dict[str, Any]) -> None:
    body = {key: value for key, value in session_body(**changes).items() if value is not None}
    response = await client.post(BASE, json=body, headers=ACME)
    assert error_of(response) == (400, "invalid_request"), label
    assert response.json()["errorLink"] == "https://docs.cdp.coinbase.com/api-reference/v2/errors#invalid-request"


async def test_metadata_limits_are_inclusive(client: httpx.AsyncClient) -> None:
    body = await create(client, metadata={("k" * 38 + f"{i:02d}"): "v" * 500 for i in range(10)})
    assert len(body["metadata"]) == 10


async def test_given_expiries_are_kept(client: httpx.AsyncClient) -> None:
    body = await create(
        client,
        expiries={"authorizationExpiresAt": "2026-01-01T01:00:00Z", "captureExpiresAt": "2026-01-01T02:00:00.5+00:00"},
    )
    assert body["expiries"]["authorizationExpiresAt"] == "2026-01-01T01:00:00.000Z"
    assert body["expiries"]["captureExpiresAt"] == "2026-01-01T02:00:00.500Z"
    assert body["expiries"]["refundExpiresAt"] == "2026-01-31T00:00:00.000Z"


async def test_malformed_json_is_a_cdp_400(client: httpx.AsyncClient) -> None:
    response = await client.post(BASE, content=b'{"amount":', headers={**ACME, "content-type": "application/json"})
    assert error_of(response) == (400, "invalid_request")


async def test_compliance_is_write_only(client: httpx.AsyncClient) -> None:
    body = await create(client, compliance={"requesterIpAddress": "203.0.113.42"})
    assert "compliance" not in body
