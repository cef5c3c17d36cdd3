"""The SDK bundle, the demo page and the demo merchant's backend route, over HTTP."""

from __future__ import annotations

import httpx
import pytest

from sandbox.providers.cubepay.auth import merchant_id
from tests.support.cubepay_calls import bearer, read

pytestmark = pytest.mark.anyio

DEMO_KEY = {"Authorization": "Bearer cubepay_sandbox_demo"}


async def test_the_sdk_bundle_is_served_as_javascript(client: httpx.AsyncClient) -> None:
    response = await client.get("/cubepay/vendor/cubist-pay-client-sdk.umd.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/javascript; charset=utf-8"
    assert "root.CubePaySDK = factory()" in response.text
    assert '"CubePayClosedError"' in response.text
    # the sandbox's own base is written in, so a copy self-hosted under public/vendor/ still reaches it
    assert 'var SERVED_API = "http://sandbox.test/cubepay";' in response.text


async def test_the_demo_page_mounts_the_sdk_root_with_the_demo_merchant(client: httpx.AsyncClient) -> None:
    response = await client.get("/cubepay/demo")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<div id="cubepay-sdk-root"></div>' in response.text
    assert f'const MERCHANT_ID = "{merchant_id("cubepay_sandbox_demo")}";' in response.text


async def test_the_demo_backend_route_answers_like_the_seed_route(client: httpx.AsyncClient) -> None:
    response = await client.post("/cubepay/demo/api/payment-sessions", json={"amount": 12.5})
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["paymentSessionId", "paymentSessionToken"]  # the seed route passes on only these
    session = await read(client, body["paymentSessionId"], bearer(body["paymentSessionToken"]))
    assert (session["amount"], session["currency"]) == ("12.50", "USD")  # String(amount), currency || "USD"
    assert (await read(client, body["paymentSessionId"], DEMO_KEY))["status"] == "PENDING"


async def test_the_demo_backend_route_passes_on_cubepays_errors(client: httpx.AsyncClient) -> None:
    response = await client.post("/cubepay/demo/api/payment-sessions", json={"amount": -1})
    assert (response.status_code, response.json()) == (400, {"error": "The 'amount' field must be a positive number."})
