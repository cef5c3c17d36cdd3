"""Payviox's read endpoints: payment methods, payment details, session methods, balance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.payviox_calls import OTHER_SECRET, PUBLIC, SECRET, create, details

pytestmark = pytest.mark.anyio


def _null_with_all_of(node: Any) -> Any:
    """OAS 3.0 leaves `nullable: true` beside `allOf` ambiguous, and the validator applies the
    allOf to null; the spec's own descriptions say these fields are null until paid, so read
    the pattern as "null, or the allOf"."""
    if isinstance(node, dict):
        node = {key: _null_with_all_of(value) for key, value in node.items()}
        if node.get("nullable") and "allOf" in node:
            node = {"anyOf": [{"type": "object", "nullable": True, "enum": [None]}, {"allOf": node.pop("allOf")}]}
        return node
    if isinstance(node, list):
        return [_null_with_all_of(value) for value in node]
    return node


SPEC = _null_with_all_of(yaml.safe_load((Path(__file__).parent / "specs" / "payviox.openapi.yaml").read_text()))


def assert_matches_schema(body: Any, name: str) -> None:
    schema = {**SPEC["components"]["schemas"][name], "components": SPEC["components"]}
    OAS30Validator(schema).validate(body)


async def test_payment_methods_are_an_object_keyed_by_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/payviox/payments/methods", headers=PUBLIC)
    assert response.status_code == 200
    methods = response.json()
    assert isinstance(methods, dict)
    assert methods["stripe_credit"] == {
        "name": "Credit Card (Stripe)",
        "image": "http://sandbox.test/payviox/images/stripe.svg",  # served by the sandbox, not Payviox's CDN
        "countries": None,
        "currencies": None,
        "fees": {"static_fees": 0.30, "percent_fees": 0.029},
    }
    # money is written as the docs print it, never through a float
    assert b'"fees":{"static_fees":0.30,"percent_fees":0.029}' in response.content


async def test_methods_filter_by_country_and_currency(client: httpx.AsyncClient) -> None:
    brazil = (await client.get("/payviox/payments/methods?countries=BR", headers=PUBLIC)).json()
    assert "nicepay_pix" in brazil and "stripe_credit" in brazil  # global methods always pass
    assert "zen_blik" not in brazil
    zloty = (await client.get("/payviox/payments/methods?currencies=PLN,EUR", headers=PUBLIC)).json()
    assert "zen_blik" in zloty and "payssion_ideal" in zloty and "nicepay_pix" not in zloty


async def test_methods_is_company_must_be_boolean(client: httpx.AsyncClient) -> None:
    ok = await client.get("/payviox/payments/methods?is_company=true", headers=PUBLIC)
    plain = await client.get("/payviox/payments/methods", headers=PUBLIC)
    assert (ok.status_code, ok.json()) == (200, plain.json())  # invented: the same methods and fees
    bad = await client.get("/payviox/payments/methods?is_company=maybe", headers=PUBLIC)
    assert (bad.status_code, bad.json()) == (400, {"is_company": ["The is company field must be true or false."]})


async def test_methods_need_a_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/payviox/payments/methods")
    assert (response.status_code, response.json()) == (401, {"error": "Unauthorized"})


async def test_payment_details_before_payment(client: httpx.AsyncClient) -> None:
    session_id = await create(client)
    body = await details(client, session_id)
    assert_matches_schema(body, "GetPaymentDetailsResponse")
    assert body == {
        "session_id": session_id,
        "status": None,
        "amount": 10000,
        "fees": None,
        "net_amount": None,
        "currency": "USD",
        "order_id": "order_12345",
        "customer": "customer_abc123",
        "description": "Premium subscription",
        "items": [{"name": "Premium Plan", "quantity": 1, "price": 10000}],
        "metadata": {"user_id": "usr_123", "plan": "premium"},
        "payment_method": None,
        "provider": None,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "customer_details": None,
        "payment_details": None,
        "ip": None,
        "country": None,
        "user_agent": None,
    }


async def test_payment_details_after_payment_have_fees_and_net(client: httpx.AsyncClient, control: Control) -> None:
    session_id = await create(client)
    await control.act(
        "payviox", session_id, "pay", payment_method="stripe_credit", user_agent="Mozilla/5.0", ip="192.0.2.9"
    )
    body = await details(client, session_id)
    assert_matches_schema(body, "GetPaymentDetailsResponse")
    assert body["status"] == "succeeded"
    assert body["fees"] == 320  # $0.30 + 2.9% of $100.00
    assert body["net_amount"] == 9680
    assert body["payment_method"] == "stripe_credit"
    assert body["provider"] == "stripe"
    assert body["ip"] == "192.0.2.9"
    assert body["user_agent"] == "Mozilla/5.0"
    assert body["payment_details"]["type"] == "card"
    assert set(body["payment_details"]["card"]) == {"brand", "last4", "exp_month", "exp_year", "country"}
    assert set(body["customer_details"]) == {"name", "email", "phone", "address"}


async def test_payment_details_need_the_secret_key(client: httpx.AsyncClient) -> None:
    session_id = await create(client)
    response = await client.get(f"/payviox/payment/{session_id}", headers=PUBLIC)
    assert (response.status_code, response.json()) == (401, {"error": "Unauthorized"})


@pytest.mark.parametrize("who", ["unknown", "other business"])
async def test_payment_not_found(client: httpx.AsyncClient, who: str) -> None:
    session_id = await create(client)
    target, headers = ("0" * 32, SECRET) if who == "unknown" else (session_id, OTHER_SECRET)
    response = await client.get(f"/payviox/payment/{target}", headers=headers)
    assert (response.status_code, response.json()) == (404, {"error": "Payment not found"})


async def test_session_payment_methods_follow_the_session_currency(client: httpx.AsyncClient) -> None:
    rupiah = await create(client, currency="IDR", order_id="o-idr")
    response = await client.get(f"/payviox/session/{rupiah}/payments", headers=PUBLIC)
    assert response.status_code == 200
    methods = response.json()
    for method in methods:
        assert_matches_schema(method, "PaymentMethod")
    ids = {method["id"] for method in methods}
    assert {"nicepay_va", "stripe_credit"} <= ids
    assert "zen_blik" not in ids
    assert {"id": "nicepay_va", "name": "Virtual Account (Nicepay)", "type": "bank_transfer"} in methods


async def test_session_payment_methods_404_for_another_business(client: httpx.AsyncClient) -> None:
    session_id = await create(client)
    response = await client.get(f"/payviox/session/{session_id}/payments", headers=OTHER_SECRET)
    assert (response.status_code, response.json()) == (404, {"error": "Session not found"})


async def test_balance_follows_payments_and_refunds() -> None:
    app = make_app(providers={"payviox": {"balance": 1500000, "payout_balance": 500000}})
    async with client_for(app) as client:
        control = Control(client)
        first = await client.get("/payviox/balance", headers=SECRET)
        assert first.json() == {"balance": 1500000, "payout_balance": 500000}
        assert_matches_schema(first.json(), "GetBalanceResponse")
        session_id = await create(client)
        await control.act("payviox", session_id, "pay")
        assert (await client.get("/payviox/balance", headers=SECRET)).json()["balance"] == 1500000 + 9680
        await control.act("payviox", session_id, "refund")
        assert (await client.get("/payviox/balance", headers=SECRET)).json()["balance"] == 1500000 + 9680 - 10000
        # another business's balance is its own
        assert (await client.get("/payviox/balance", headers=OTHER_SECRET)).json()["balance"] == 1500000


async def test_balance_needs_the_secret_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/payviox/balance", headers=PUBLIC)
    assert (response.status_code, response.json()) == (401, {"error": "Unauthorized"})
