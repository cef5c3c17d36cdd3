"""POST and GET /cubepay/payment-sessions: the seed's response, both prefixes, auth, tokens, errors."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import httpx
import pytest

from sandbox.evm import checksum_address
from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.cubepay_calls import API_KEY, OTHER_KEY, bearer, create, read

pytestmark = pytest.mark.anyio

# The endpoints page's create response: the seed guide's fields plus `userAddress` and
# `fundingTransactionHash` (null), in the page's order.
SEED_FIELDS = [
    "paymentSessionId",
    "paymentSessionToken",
    "amount",
    "currency",
    "network",
    "tokenSymbol",
    "oneTimeWalletAddress",
    "userAddress",
    "fundingTransactionHash",
    "status",
    "createdAt",
]


def claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # type: ignore[no-any-return]


async def test_create_answers_200_with_exactly_the_seed_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/cubepay/payment-sessions", json={"amount": "50.00", "currency": "USD"}, headers=API_KEY
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == SEED_FIELDS
    assert re.fullmatch(r"ps_[a-z0-9]{24}", body["paymentSessionId"])
    assert body["paymentSessionToken"].startswith("eyJhbGciOiJIUzI1NiIs")  # the docs' example prefix
    assert (body["amount"], body["currency"], body["status"]) == ("50.00", "USD", "PENDING")
    assert (body["network"], body["tokenSymbol"]) == ("SEPOLIA", "USDC")
    address = body["oneTimeWalletAddress"]
    assert re.fullmatch(r"0x[0-9a-fA-F]{40}", address) and address != address.lower()
    assert checksum_address(address) == address
    assert body["createdAt"] == "2026-01-01T00:00:00Z"


async def test_the_legacy_api_v1_prefix_serves_the_same_api(client: httpx.AsyncClient) -> None:
    created = await create(client, prefix="/api/v1")
    response = await client.get(f"/cubepay/api/v1/payment-sessions/{created['paymentSessionId']}", headers=API_KEY)
    assert response.status_code == 200
    assert response.json()["paymentSessionId"] == created["paymentSessionId"]


@pytest.mark.parametrize(("given", "shown"), [("50", "50.00"), ("0.5", "0.50"), ("12.345678", "12.345678")])
async def test_amounts_are_decimal_strings_with_two_places_at_least(
    client: httpx.AsyncClient, given: str, shown: str
) -> None:
    assert (await create(client, amount=given))["amount"] == shown


async def test_the_same_request_id_returns_the_same_session(client: httpx.AsyncClient, control: Control) -> None:
    first = await create(client, requestId="order-42")
    again = await create(client, requestId="order-42")
    other = await create(client, requestId="order-43")
    assert again == first
    assert other["paymentSessionId"] != first["paymentSessionId"]
    sessions = await control.sessions("cubepay")
    assert len(sessions) == 2


async def test_a_retry_reserialized_or_under_the_other_prefix_is_the_same_request(
    client: httpx.AsyncClient, control: Control
) -> None:
    first = await create(client, requestId="order-7")
    headers = {**API_KEY, "content-type": "application/json"}
    reordered = b'{ "requestId": "order-7",\n  "currency": "USD", "amount": "50.00" }'
    for path in ("/cubepay/payment-sessions", "/cubepay/api/v1/payment-sessions"):
        again = await client.post(path, content=reordered, headers=headers)
        assert (again.status_code, again.json()) == (200, first), path
    assert len(await control.sessions("cubepay")) == 1


async def test_a_request_id_reused_with_another_body_is_refused(client: httpx.AsyncClient) -> None:
    await create(client, requestId="order-42")
    response = await client.post(
        "/cubepay/payment-sessions",
        json={"amount": "99.00", "currency": "USD", "requestId": "order-42"},
        headers=API_KEY,
    )
    assert response.status_code == 400
    assert response.json() == {"error": "This requestId was already used with a different request."}


async def test_request_ids_are_per_merchant(client: httpx.AsyncClient) -> None:
    mine = await create(client, requestId="same")
    theirs = await create(client, OTHER_KEY, requestId="same")
    assert mine["paymentSessionId"] != theirs["paymentSessionId"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"currency": "USD"}, "The 'amount' field is required."),  # the docs' own example (error-codes)
        ({"amount": "", "currency": "USD"}, "The 'amount' field is required."),
        ({"amount": "50.00"}, "The 'currency' field is required."),
        ({"amount": 50, "currency": "USD"}, "The 'amount' field must be a string."),
        ({"amount": "0", "currency": "USD"}, "The 'amount' field must be a positive number."),
        ({"amount": "0.00", "currency": "USD"}, "The 'amount' field must be a positive number."),
        ({"amount": "-5", "currency": "USD"}, "The 'amount' field must be a positive number."),
        ({"amount": "abc", "currency": "USD"}, "The 'amount' field must be a positive number."),
        ({"amount": "1e3", "currency": "USD"}, "The 'amount' field must be a positive number."),
        ({"amount": "NaN", "currency": "USD"}, "The 'amount' field must be a positive number."),
        ({"amount": "1.1234567", "currency": "USD"}, "The 'amount' field must have at most 6 decimal places."),
        ({"amount": "50.00", "currency": "EUR"}, "Unsupported currency 'EUR'. Supported: USD."),
        ({"amount": "50.00", "currency": ["USD"]}, "The 'currency' field must be a string."),
        ({"amount": "50.00", "currency": "USD", "requestId": 7}, "The 'requestId' field must be a string."),
    ],
)
async def test_bad_bodies_get_400_with_one_error_message(
    client: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    response = await client.post("/cubepay/payment-sessions", json=body, headers=API_KEY)
    assert response.status_code == 400
    assert response.json() == {"error": message}


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"", b'"text"'])
async def test_a_body_that_is_not_a_json_object_is_a_400(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.post(
        "/cubepay/payment-sessions", content=raw, headers={**API_KEY, "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid request body: expected a JSON object."}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}])
async def test_create_without_an_api_key_is_401(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.post("/cubepay/payment-sessions", json={"amount": "5", "currency": "USD"}, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized: a valid API key is required."}


async def test_a_session_token_cannot_create_sessions(client: httpx.AsyncClient) -> None:
    token = (await create(client))["paymentSessionToken"]
    response = await client.post(
        "/cubepay/payment-sessions", json={"amount": "5", "currency": "USD"}, headers=bearer(token)
    )
    assert response.status_code == 401


async def test_get_accepts_the_session_token_and_the_api_key(client: httpx.AsyncClient) -> None:
    created = await create(client)
    by_token = await read(client, created["paymentSessionId"], bearer(created["paymentSessionToken"]))
    by_key = await read(client, created["paymentSessionId"])
    assert by_token == by_key
    assert by_key == {
        "paymentSessionId": created["paymentSessionId"],
        "status": "PENDING",
        "amount": "50.00",
        "currency": "USD",
        "network": "SEPOLIA",
        "tokenSymbol": "USDC",
        "userAddress": None,
        "oneTimeWalletAddress": created["oneTimeWalletAddress"],
        "fundingTransactionHash": None,
        "userSubmittedTransactionHash": None,
        "capturableAmount": None,
        "capturedAmount": None,
        "refundedAmount": None,
        "captures": [],
        "createdAt": "2026-01-01T00:00:00Z",
    }


async def test_the_token_is_scoped_to_its_one_session(client: httpx.AsyncClient) -> None:
    first, second = await create(client), await create(client)
    response = await client.get(
        f"/cubepay/payment-sessions/{second['paymentSessionId']}", headers=bearer(first["paymentSessionToken"])
    )
    assert response.status_code == 401
    assert response.json() == {"error": "Payment session token is not valid for this payment session."}


async def test_an_expired_token_is_401_and_its_lifetime_is_a_setting() -> None:
    app = make_app(providers={"cubepay": {"token_ttl_seconds": 60}})
    async with client_for(app) as client:
        control = Control(client)
        created = await create(client)
        assert claims(created["paymentSessionToken"])["exp"] - claims(created["paymentSessionToken"])["iat"] == 60
        await control.advance(59)
        await read(client, created["paymentSessionId"], bearer(created["paymentSessionToken"]))
        await control.advance(1)
        response = await client.get(
            f"/cubepay/payment-sessions/{created['paymentSessionId']}", headers=bearer(created["paymentSessionToken"])
        )
        assert response.status_code == 401
        assert response.json() == {"error": "Payment session token has expired."}
        await read(client, created["paymentSessionId"])  # the API key still reads it


def _forge(token: str, **changes: Any) -> str:
    head, body, signature = token.split(".")
    payload = {**claims(token), **changes}
    encoded = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{head}.{encoded}.{signature}"


async def test_tampered_and_unsigned_tokens_are_401(client: httpx.AsyncClient) -> None:
    created = await create(client)
    session_id, token = created["paymentSessionId"], created["paymentSessionToken"]
    longer = _forge(token, exp=claims(token)["exp"] + 10_000)
    unsigned_head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    unsigned = unsigned_head + "." + token.split(".")[1] + "."
    for bad in (longer, unsigned, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "eyJ.x.y"):
        response = await client.get(f"/cubepay/payment-sessions/{session_id}", headers=bearer(bad))
        assert response.status_code == 401, bad
        assert response.json() == {"error": "Invalid payment session token."}


async def test_another_merchants_session_is_404(client: httpx.AsyncClient) -> None:
    created = await create(client)
    response = await client.get(f"/cubepay/payment-sessions/{created['paymentSessionId']}", headers=OTHER_KEY)
    assert response.status_code == 404
    assert response.json() == {"error": "Payment session not found."}
    missing = await client.get("/cubepay/payment-sessions/ps_nope", headers=API_KEY)
    assert (missing.status_code, missing.json()) == (404, {"error": "Payment session not found."})


async def test_unknown_routes_and_methods_answer_in_cubepays_envelope(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/cubepay/payments", headers=API_KEY)
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Not Found"})
    wrong_method = await client.delete("/cubepay/payment-sessions", headers=API_KEY)
    assert (wrong_method.status_code, wrong_method.json()) == (405, {"error": "Method not allowed."})


async def test_network_token_and_initial_status_come_from_settings() -> None:
    app = make_app(providers={"cubepay": {"network": "POLYGON", "token_symbol": "USD1", "initial_status": "CREATED"}})
    async with client_for(app) as client:
        created = await create(client)
        assert (created["network"], created["tokenSymbol"], created["status"]) == ("POLYGON", "USD1", "CREATED")


async def test_the_same_seed_gives_byte_identical_sessions_and_tokens() -> None:
    bodies = []
    for _ in range(2):
        async with client_for(make_app(seed=11)) as client:
            bodies.append(await create(client))
    assert bodies[0] == bodies[1]
    async with client_for(make_app(seed=12)) as client:
        other = await create(client)
    assert other["paymentSessionToken"] != bodies[0]["paymentSessionToken"]
    assert other["oneTimeWalletAddress"] != bodies[0]["oneTimeWalletAddress"]


async def test_the_journal_masks_the_api_key_and_the_token(client: httpx.AsyncClient, control: Control) -> None:
    created = await create(client)
    entries = await control.requests(provider="cubepay")
    text = json.dumps(entries)
    assert created["paymentSessionToken"] not in text
    assert "cubepay_test_acme" not in text
