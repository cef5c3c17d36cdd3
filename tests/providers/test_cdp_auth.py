"""CDP credentials and idempotency: default mode, strict mode with real keys, X-Idempotency-Key."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.support.apps import client_for, make_app
from tests.support.cdp_calls import ACME, BASE, GLOBEX, authorized, create, error_of, get, post, session_body
from tests.support.control import Control

pytestmark = pytest.mark.anyio

KEY_ID = "3f0e8c1a-5b7d-4e2f-9a6c-1d2e3f4a5b6c"
EC_KEY_ID = "organizations/org-1/apiKeys/ec-key"
HOST = "sandbox.test"


def ed25519_secret() -> tuple[str, ed25519.Ed25519PrivateKey]:
    """A CDP Ed25519 secret: base64 of the 32-byte seed followed by the 32-byte public key."""
    private = ed25519.Ed25519PrivateKey.generate()
    seed = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(seed + public).decode(), private


ED_SECRET, ED_PRIVATE = ed25519_secret()
EC_PRIVATE = ec.generate_private_key(ec.SECP256R1())
EC_SECRET = EC_PRIVATE.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
).decode()
STRICT = {"cdp": {"api_keys": [{"id": KEY_ID, "secret": ED_SECRET}, {"id": EC_KEY_ID, "secret": EC_SECRET}]}}


def signed(
    method: str, path: str, *, key: Any = ED_PRIVATE, kid: str = KEY_ID, alg: str = "EdDSA", **claims: Any
) -> dict[str, str]:
    """A token shaped exactly like cdp-sdk's (cdp/auth/utils/jwt.py), with overrides."""
    now = int(time.time())
    body = {
        "sub": kid,
        "iss": "cdp",
        "aud": None,
        "nbf": now,
        "exp": now + 120,
        "uris": [f"{method} {HOST}{path}"],
        **claims,
    }
    headers = {"kid": kid, "typ": "JWT", "nonce": "1234567890123456"}
    return {"Authorization": f"Bearer {jwt.encode(body, key, algorithm=alg, headers=headers)}"}


@pytest.fixture
async def strict() -> Any:
    async with client_for(make_app(providers=STRICT)) as client:
        yield client


async def test_default_mode_takes_any_jwt_and_sub_names_the_tenant(client: httpx.AsyncClient) -> None:
    created = await create(client, ACME)
    assert (await client.get(f"{BASE}/{created['paymentSessionId']}", headers=GLOBEX)).status_code == 404
    for headers in (
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic abc"},
        {"Authorization": f"Bearer {jwt.encode({'iss': 'cdp'}, 'k' * 32)}"},
    ):
        response = await client.get(BASE, headers=headers)
        assert error_of(response) == (401, "unauthorized")
        assert response.json()["errorMessage"] == "The request is not properly authenticated."


async def test_strict_mode_accepts_a_real_ed25519_and_es256_signature(strict: httpx.AsyncClient) -> None:
    response = await strict.post(BASE, json=session_body(), headers=signed("POST", "/cdp/platform/v2/payment-sessions"))
    assert response.status_code == 200, response.text
    ec_token = signed("GET", "/cdp/platform/v2/payment-sessions", key=EC_PRIVATE, kid=EC_KEY_ID, alg="ES256")
    assert (await strict.get(f"{BASE}?pageSize=5", headers=ec_token)).status_code == 200  # the query is not signed


async def test_strict_mode_refusals(strict: httpx.AsyncClient) -> None:
    path = "/cdp/platform/v2/payment-sessions"
    other_secret, other_private = ed25519_secret()
    now = int(time.time())
    cases = {
        "unknown key": signed("GET", path, kid="someone-else"),
        "wrong signature": signed("GET", path, key=other_private),
        "wrong issuer": signed("GET", path, iss="coinbase"),
        "expired": signed("GET", path, nbf=now - 600, exp=now - 300),
        "not yet valid": signed("GET", path, nbf=now + 600, exp=now + 720),
        "other method": signed("POST", path),
        "other path": signed("GET", "/cdp/platform/v2/payment-sessions/x"),
        "other host": {"Authorization": signed("GET", path)["Authorization"]},  # sent below with another Host
        "no uris": signed("GET", path, uris=None),
        "unsigned": {"Authorization": f"Bearer {jwt.encode({'sub': KEY_ID, 'iss': 'cdp'}, 'k' * 32)}"},
    }
    for label, headers in cases.items():
        extra = {"host": "api.cdp.coinbase.com"} if label == "other host" else {}
        response = await strict.get(BASE, headers={**headers, **extra})
        assert error_of(response) == (401, "unauthorized"), label
    assert (await strict.get(BASE, headers=signed("GET", path))).status_code == 200


async def test_strict_mode_allows_a_small_clock_skew_set_by_jwt_leeway_seconds(strict: httpx.AsyncClient) -> None:
    path = "/cdp/platform/v2/payment-sessions"
    now = int(time.time())
    skewed = {
        "expired 5 s ago": signed("GET", path, nbf=now - 125, exp=now - 5),
        "valid in 5 s": signed("GET", path, nbf=now + 5, exp=now + 125),
    }
    for label, headers in skewed.items():  # within the default leeway of 30 s
        assert (await strict.get(BASE, headers=headers)).status_code == 200, label
    async with client_for(make_app(providers={"cdp": {**STRICT["cdp"], "jwt_leeway_seconds": 0}})) as exact:
        for label, headers in skewed.items():
            assert error_of(await exact.get(BASE, headers=headers)) == (401, "unauthorized"), label


async def test_strict_mode_time_is_wall_time_not_the_sandbox_clock(strict: httpx.AsyncClient) -> None:
    control = Control(strict)
    await control.advance(10 * 86400)
    assert (await strict.get(BASE, headers=signed("GET", "/cdp/platform/v2/payment-sessions"))).status_code == 200


async def test_bad_api_key_secret_in_settings_is_a_401_not_a_crash() -> None:
    app = make_app(providers={"cdp": {"api_keys": [{"id": KEY_ID, "secret": "not a key"}]}})
    async with client_for(app) as client:
        response = await client.get(BASE, headers=signed("GET", "/cdp/platform/v2/payment-sessions"))
        assert error_of(response) == (401, "unauthorized")


async def test_same_key_same_body_replays_the_identical_response(client: httpx.AsyncClient) -> None:
    headers = {**ACME, "X-Idempotency-Key": "8e03978e-40d5-43e8-bc93-6894a57f9324"}
    first = await client.post(BASE, json=session_body(), headers=headers)
    second = await client.post(BASE, json=session_body(), headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len((await client.get(BASE, headers=ACME)).json()["paymentSessions"]) == 1
    other_tenant = await client.post(
        BASE, json=session_body(), headers={**GLOBEX, "X-Idempotency-Key": headers["X-Idempotency-Key"]}
    )
    assert other_tenant.json()["paymentSessionId"] != first.json()["paymentSessionId"]


async def test_same_key_different_body_is_422(client: httpx.AsyncClient) -> None:
    headers = {**ACME, "X-Idempotency-Key": "key-1"}
    assert (await client.post(BASE, json=session_body(), headers=headers)).status_code == 200
    response = await client.post(BASE, json=session_body(amount="2.00"), headers=headers)
    assert error_of(response) == (422, "idempotency_error")
    assert response.json()["errorMessage"] == (
        "Idempotency key 'key-1' was already used with a different request payload. "
        "Please try again with a new idempotency key."
    )


async def test_idempotency_keys_last_24_hours_of_sandbox_time(client: httpx.AsyncClient, control: Control) -> None:
    headers = {**ACME, "X-Idempotency-Key": "daily"}
    first = (await client.post(BASE, json=session_body(), headers=headers)).json()
    await control.advance(24 * 3600 + 1)
    again = (await client.post(BASE, json=session_body(), headers=headers)).json()
    assert again["paymentSessionId"] != first["paymentSessionId"]


async def test_idempotent_capture_is_not_captured_twice(client: httpx.AsyncClient) -> None:
    session_id = (await authorized(client, amount="2.00"))["paymentSessionId"]
    headers = {**ACME, "X-Idempotency-Key": "capture-1"}
    first = await post(client, session_id, "captures", {"amount": "1", "finalCapture": False}, headers)
    await get(client, session_id)
    second = await post(client, session_id, "captures", {"amount": "1", "finalCapture": False}, headers)
    assert first.content == second.content
    assert len((await get(client, session_id))["captures"]) == 1


@pytest.mark.parametrize("key", ["", "k" * 129])
async def test_idempotency_key_length_is_1_to_128(client: httpx.AsyncClient, key: str) -> None:
    response = await client.post(BASE, json=session_body(), headers={**ACME, "X-Idempotency-Key": key})
    assert error_of(response) == (400, "invalid_request")
