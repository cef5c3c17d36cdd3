"""Bad input at every route of every provider: a 4xx in the provider's format, never a 500.

The routes come from the providers' operation tables, so a new operation is covered the day it
is added. Credentials per provider let the body reach validation instead of stopping at auth.
"""

from __future__ import annotations

import json

import httpx
import pytest

from sandbox.registry import PROVIDERS
from tests.support import hostile
from tests.support.apps import client_for, make_app
from tests.support.control import Control

pytestmark = pytest.mark.anyio

# A credential each provider accepts in its default (non-strict) mode.
CREDENTIALS: dict[str, dict[str, str]] = {
    "payviox": {"Authorization": "Bearer sk_test_fuzz"},
    # CDP default mode: any JWT that parses (header {"alg":"none"}, claims {"sub":"fuzz"}).
    "cdp": {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJmdXp6In0."},
    # CubePay: any visible-ASCII bearer value is an API key (its session-token routes then 401).
    "cubepay": {"Authorization": "Bearer cubepay_test_fuzz"},
}

BODIES: list[tuple[str, bytes]] = [
    ("malformed", b'{"amount": 100,'),
    ("array", b"[1, 2, 3]"),
    ("scalar", b"42"),
    ("nan", b'{"amount": NaN}'),
    ("invalid utf-8", b'{"amount": "\xff\xfe"}'),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000),
    ("wrong types", json.dumps({key: [{"x": None}] for key in ("amount", "currency", "items", "customer")}).encode()),
    ("strings for numbers", json.dumps({"amount": "100", "quantity": "1", "price": "1", "seconds": "x"}).encode()),
    ("huge number", b'{"amount": 1' + b"0" * 5000 + b"}"),
    ("too large", b'{"x": "' + b"a" * (1024 * 1024) + b'"}'),
]

ROUTES = [
    (name, op.method, op.path.replace("{session_id}", "0" * 32).replace("{", "").replace("}", ""))
    for name, provider in PROVIDERS.items()
    for op in provider.operations
]


@pytest.mark.parametrize(("provider", "method", "path"), ROUTES)
@pytest.mark.parametrize(("label", "raw"), BODIES, ids=[label for label, _ in BODIES])
async def test_bad_bodies_never_get_a_500(provider: str, method: str, path: str, label: str, raw: bytes) -> None:
    async with client_for(make_app()) as client:
        headers = {**CREDENTIALS.get(provider, {}), "content-type": "application/json"}
        response = await client.request(method, f"/{provider}{path}", content=raw, headers=headers)
    assert 200 <= response.status_code < 500, response.text[:300]
    if label == "too large":
        assert response.status_code == 413
    if response.headers.get("content-type", "").startswith("application/json"):
        assert isinstance(response.json(), dict | list)


@pytest.mark.parametrize(("provider", "method", "path"), ROUTES)
async def test_unknown_ids_and_no_credentials_never_get_a_500(provider: str, method: str, path: str) -> None:
    async with client_for(make_app()) as client:
        response = await client.request(method, f"/{provider}{path}")
    assert response.status_code < 500


async def test_control_api_bad_bodies(client: httpx.AsyncClient, control: Control) -> None:
    for path, raw in [
        ("/_sandbox/clock/advance", b"{bad"),
        ("/_sandbox/clock/advance", b'{"seconds": -5}'),
        ("/_sandbox/clock/advance", b'{"seconds": "ten"}'),
        ("/_sandbox/clock/advance", b'{"seconds": true}'),
        ("/_sandbox/clock/set", b'{"now": "yesterday"}'),
        ("/_sandbox/clock/set", b'{"now": "2020-01-01T00:00:00Z"}'),
        ("/_sandbox/clock/set", b"[]"),
    ]:
        response = await client.post(path, content=raw)
        assert response.status_code == 400, (path, raw)
        assert response.json()["error"] == "invalid_request"
    assert (await control.raw.requests(limit="x")).status_code == 400
    assert (await control.raw.requests(limit="²")).status_code == 400  # sent as %C2%B2; "²".isdigit() is true
    assert (await control.raw.requests(limit="9" * 5000)).status_code == 200
    assert (await control.raw.sessions("nope")).status_code == 404


QUERIES = [
    "pageSize=%C2%B2",  # "²": str.isdigit() is true, int() refuses it
    "pageSize=" + "9" * 5000,  # int() refuses more than 4300 digits
    "pageSize=-1&pageSize=1e3",
    "pageToken=%FF%FE",
    "pageToken=" + "A" * 8000,
    "pageToken=bnVsbA==",  # base64 of null
    "addresses=%FF,%00&network=%00&asset=" + "x" * 100,
]
GETS = [(name, path) for name, method, path in ROUTES if method == "GET"]


@pytest.mark.parametrize(("provider", "path"), GETS)
async def test_odd_queries_never_get_a_500(provider: str, path: str) -> None:
    async with client_for(make_app()) as client:
        for query in QUERIES:
            response = await client.get(f"/{provider}{path}?{query}", headers=CREDENTIALS.get(provider, {}))
            assert response.status_code < 500, (query[:40], response.text[:300])


async def _live_sessions(client: httpx.AsyncClient, provider: str) -> list[tuple[str, dict[str, str]]]:
    """Two sessions of `provider`, one just created and one paid, with the credential for each route."""
    if provider == "cdp":
        body = {"amount": "5.00", "asset": "usdc", "target": {"address": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"}}
        path, action = "/cdp/platform/v2/payment-sessions", "authorize"
    else:
        body = {"amount": "5.00", "currency": "USD"}
        path, action = "/cubepay/payment-sessions", "fund"
    live = []
    for paid in (False, True):
        created = (await client.post(path, json=body, headers=CREDENTIALS[provider])).json()
        session_id = created.get("paymentSessionId")
        if paid:
            await Control(client).act(provider, session_id, action)
        token = created.get("paymentSessionToken")
        live.append((session_id, {"Authorization": f"Bearer {token}"} if token else CREDENTIALS[provider]))
    return live


@pytest.mark.parametrize("provider", ["cdp", "cubepay"])
async def test_bad_bodies_against_live_sessions_never_get_a_500(provider: str) -> None:
    """The fuzz above meets unknown ids; here every body reaches the validation of a real session."""
    async with client_for(make_app()) as client:
        live = await _live_sessions(client, provider)
        for _, method, template in (route for route in ROUTES if route[0] == provider):
            for session_id, token in live:
                path = f"/{provider}" + template.replace("0" * 32, session_id)
                for credential in {"key": CREDENTIALS[provider], "token": token}.values():
                    for _, raw in BODIES[:-1]:  # "too large" is refused before any route: tested above
                        headers = {**credential, "content-type": "application/json"}
                        response = await client.request(method, path, content=raw, headers=headers)
                        assert response.status_code < 500, (method, path, raw[:40], response.text[:300])
                for action in PROVIDERS[provider].actions:
                    response = await client.post(f"/_sandbox/{provider}/sessions/{session_id}/actions/{action}",
                                                 content=BODIES[0][1])  # fmt: skip
                    assert response.status_code < 500


@pytest.mark.parametrize(("provider", "method", "path"), ROUTES)
async def test_hostile_shapes_never_get_a_500(provider: str, method: str, path: str) -> None:
    """Every worst-case shape (tests/support/hostile.py) at 16 KiB: a 4xx or a normal answer."""
    async with client_for(make_app()) as client:
        headers = {**CREDENTIALS.get(provider, {}), "content-type": "application/json"}
        for label, raw in hostile.bodies(16 * 1024).items():
            response = await client.request(method, f"/{provider}{path}", content=raw, headers=headers)
            assert response.status_code < 500, (label, response.text[:300])


@pytest.mark.parametrize("shape", sorted(hostile.SHAPES))
async def test_hostile_shapes_at_the_cap_on_creation_and_the_control_api(shape: str) -> None:
    """The reported denial of service was an unterminated string of 30,000 escaped quotes sent to
    the unauthenticated control API; every shape at the 1 MiB cap gets an answer, never a 500."""
    raw = hostile.SHAPES[shape](hostile.CAP)
    async with client_for(make_app()) as client:
        for provider, path in [
            ("payviox", "/payviox/session"),
            ("cdp", "/cdp/platform/v2/payment-sessions"),
            ("cubepay", "/cubepay/payment-sessions"),
            (None, "/_sandbox/clock/advance"),
        ]:
            headers = {**CREDENTIALS.get(provider or "", {}), "content-type": "application/json"}
            response = await client.post(path, content=raw, headers=headers)
            assert 400 <= response.status_code < 500, (path, response.text[:300])


async def test_the_reported_body_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/_sandbox/clock/advance", content=b'"' + b'\\"' * 30000 + b"[" * 513)
    assert response.status_code == 400
