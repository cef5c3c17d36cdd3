"""POST /payviox/session: every rule of the create-session page, with its exact messages."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from sandbox.providers.payviox.methods import CATALOGUE, PROVIDER_NAMES
from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.payviox_calls import OTHER_SECRET, PUBLIC, SECRET, create, order

pytestmark = pytest.mark.anyio


async def post(client: httpx.AsyncClient, body: Any, headers: dict[str, str] = SECRET) -> httpx.Response:
    return await client.post("/payviox/session", json=body, headers=headers)


async def test_created_session_answers_201_with_a_32_character_id(client: httpx.AsyncClient) -> None:
    response = await post(client, order())
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert list(response.json()) == ["session_id"]
    assert re.fullmatch(r"[a-z0-9]{32}", response.json()["session_id"])


async def test_public_key_creates_sessions_too(client: httpx.AsyncClient) -> None:
    assert (await post(client, order(), PUBLIC)).status_code == 201


async def test_missing_fields_get_laravel_messages(client: httpx.AsyncClient) -> None:
    response = await post(client, {})
    assert response.status_code == 400
    assert response.json() == {
        "amount": ["The amount field is required."],
        "currency": ["The currency field is required."],
        "customer": ["The customer field is required."],
        "order_id": ["The order id field is required."],
        "items": ["The items field is required."],
    }


async def test_seed_example_of_two_missing_fields(client: httpx.AsyncClient) -> None:
    body = order()
    del body["amount"], body["currency"]
    response = await post(client, body)
    assert response.json() == {
        "amount": ["The amount field is required."],
        "currency": ["The currency field is required."],
    }


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"amount": 99, "items": [{"name": "x", "quantity": 1, "price": 99}]},
            {"amount": ["The amount field must be at least 100."]},
        ),
        ({"amount": "10000"}, {"amount": ["The amount field must be an integer."]}),
        ({"amount": 100.5}, {"amount": ["The amount field must be an integer."]}),
        ({"amount": True}, {"amount": ["The amount field must be an integer."]}),
        ({"currency": "USDT"}, {"currency": ["The currency field must not be greater than 3 characters."]}),
        ({"currency": 840}, {"currency": ["The currency field must be a string."]}),
        ({"customer": "   "}, {"customer": ["The customer field is required."]}),
        ({"order_id": ["a"]}, {"order_id": ["The order id field must be a string."]}),
        ({"items": []}, {"items": ["The items field is required."]}),
        ({"items": "one"}, {"items": ["The items field must be an array."]}),
        ({"items": [{"quantity": 1, "price": 10000}]}, {"items.0.name": ["The items.0.name field is required."]}),
        (
            {"items": [{"name": "x", "quantity": 0, "price": 10000}]},
            {"items.0.quantity": ["The items.0.quantity field must be at least 1."]},
        ),
        (
            {"items": [{"name": "x", "quantity": 1, "price": 0}]},
            {"items.0.price": ["The items.0.price field must be at least 1."]},
        ),
        (
            {"items": ["not an object"]},
            {
                "items.0.name": ["The items.0.name field is required."],
                "items.0.quantity": ["The items.0.quantity field is required."],
                "items.0.price": ["The items.0.price field is required."],
            },
        ),
        ({"metadata": "plan=premium"}, {"metadata": ["The metadata field must be an array."]}),
        ({"description": 5}, {"description": ["The description field must be a string."]}),
        ({"paymentMethodId": 5}, {"payment method id": ["The payment method id field must be a string."]}),
        ({"ip": "not-an-ip"}, {"ip": ["The ip field must be a valid IP address."]}),
    ],
)
async def test_field_rules(client: httpx.AsyncClient, changes: dict[str, Any], errors: dict[str, list[str]]) -> None:
    response = await post(client, order(**changes))
    assert response.status_code == 400
    # Laravel keys errors by the attribute as sent; the label is only in the message.
    expected = {("paymentMethodId" if key == "payment method id" else key): value for key, value in errors.items()}
    assert response.json() == expected


async def test_amount_must_equal_the_sum_of_items(client: httpx.AsyncClient) -> None:
    items = [{"name": "A", "quantity": 2, "price": 5000}, {"name": "B", "quantity": 1, "price": 5000}]
    response = await post(client, order(amount=10000, items=items))
    assert response.status_code == 400
    assert response.json() == {
        "amount": ["The total amount does not match the sum of the items (calculated: 15000, received: 10000)"]
    }
    assert (await post(client, order(amount=15000, items=items, order_id="o2"))).status_code == 201


async def test_order_id_is_unique_per_business(client: httpx.AsyncClient) -> None:
    await create(client)
    again = await post(client, order())
    assert again.status_code == 400
    assert again.json() == {"order_id": ["The order id has already been taken."]}
    # pk_test_acme is the same business as sk_test_acme
    assert (await post(client, order(), PUBLIC)).json() == {"order_id": ["The order id has already been taken."]}
    # another business may use the same order id
    assert (await post(client, order(), OTHER_SECRET)).status_code == 201


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2, 3]", b'"a string"', b"null", b'{"amount": NaN}'])
async def test_a_body_that_is_not_an_object_reads_as_no_input(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.post(
        "/payviox/session", content=raw, headers={**SECRET, "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["amount"] == ["The amount field is required."]


async def test_unknown_payment_method(client: httpx.AsyncClient) -> None:
    response = await post(client, order(paymentMethodId="pm_nonexistent"))
    assert response.status_code == 400
    assert response.json() == {"error": "Payment method not found"}


async def test_redirect_provider_method_answers_with_a_sandbox_redirect_url(
    client: httpx.AsyncClient, control: Control
) -> None:
    response = await post(client, order(paymentMethodId="zen_card"))
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"session_id", "redirect_url"}
    assert body["redirect_url"] == f"http://sandbox.test/payviox/redirect/{body['session_id']}"
    page = await client.get(body["redirect_url"])
    assert page.status_code == 200
    assert "Zen (sandbox)" in page.text
    state = await control.session("payviox", body["session_id"])
    assert state["status"] == "pending"
    assert state["payment_method"] == "zen_card"


# One method of each redirect-based provider the create-session page names.
REDIRECT_METHODS = [
    ("zen_blik", "PLN"),
    ("nicepay_va", "IDR"),
    ("paypal", "USD"),
    ("payssion_bancontact", "EUR"),
    ("pallapay_crypto", "USD"),
    ("cryptocom", "USD"),
]


@pytest.mark.parametrize(("method", "currency"), REDIRECT_METHODS)
async def test_every_redirect_provider_gets_a_redirect_url_to_a_page_playing_it(
    client: httpx.AsyncClient, method: str, currency: str
) -> None:
    response = await post(client, order(paymentMethodId=method, currency=currency))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["redirect_url"] == f"http://sandbox.test/payviox/redirect/{body['session_id']}"
    page = await client.get(body["redirect_url"])
    provider = CATALOGUE[method].provider
    assert page.status_code == 200 and f"{PROVIDER_NAMES[provider]} (sandbox)" in page.text
    form = {"outcome": "succeeded", "method": method}
    assert (await client.post(f"/payviox/secure/{body['session_id']}/pay", data=form)).status_code == 303
    paid = (await client.get(f"/payviox/payment/{body['session_id']}", headers=SECRET)).json()
    assert (paid["status"], paid["payment_method"], paid["provider"]) == ("succeeded", method, provider)


async def test_non_redirect_method_gives_only_a_session_id(client: httpx.AsyncClient) -> None:
    response = await post(client, order(paymentMethodId="pm_card"))
    assert list(response.json()) == ["session_id"]


async def test_public_key_captures_the_client_ip_and_ignores_the_ip_field(
    client: httpx.AsyncClient, control: Control
) -> None:
    session_id = await create(client, PUBLIC, ip="203.0.113.42")
    state = await control.session("payviox", session_id)
    assert state["sandbox"]["required_ip"] == "198.51.100.10"  # the socket peer of the test client


async def test_public_key_takes_the_first_forwarded_hop(client: httpx.AsyncClient, control: Control) -> None:
    headers = {**PUBLIC, "X-Forwarded-For": "192.0.2.5, 10.0.0.1"}
    session_id = await create(client, headers)
    state = await control.session("payviox", session_id)
    assert state["sandbox"]["required_ip"] == "192.0.2.5"


async def test_secret_key_stores_the_given_ip_or_none(client: httpx.AsyncClient, control: Control) -> None:
    with_ip = await create(client, ip="203.0.113.42")
    without = await create(client, order_id="o2")
    assert (await control.session("payviox", with_ip))["sandbox"]["required_ip"] == "203.0.113.42"
    assert (await control.session("payviox", without))["sandbox"]["required_ip"] is None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "sk_test_acme"},
        {"Authorization": "Basic c2tfdGVzdF9hY21lOg=="},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not_a_key"},
        {"Authorization": "Bearer rk_test_acme"},
    ],
)
async def test_bad_credentials_get_401(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await post(client, order(), headers)
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized"}


@pytest.mark.parametrize("key", ["sk_live_acme", "pk_live_acme"])
async def test_live_keys_are_refused_with_a_reason(
    client: httpx.AsyncClient, control: Control, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = await post(client, order(), {"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized"}
    assert "live keys are refused" in response.headers["x-sandbox-reason"]
    journal = await control.requests()
    assert "live keys are refused" in journal[-1]["notes"][0]
    logged = [record for record in caplog.records if record.name == "sandbox.payviox"]
    assert logged and "live keys are refused" in logged[-1].getMessage()  # the server's log says why


async def test_rate_limit_per_ip() -> None:
    app = make_app(providers={"payviox": {"rate_limits": {"per_ip": 2, "per_customer": 100}}})
    async with client_for(app) as client:
        control = Control(client)
        for n in range(2):
            assert (await post(client, order(order_id=f"o{n}", customer=f"c{n}"), PUBLIC)).status_code == 201
        refused = await post(client, order(order_id="o9", customer="c9"), PUBLIC)
        assert refused.status_code == 429
        assert refused.json() == {
            "error": "rate_limit_exceeded",
            "message": "Too many session requests",
            "type": "ip",
            "retry_after": 60,
        }
        assert refused.headers["retry-after"] == "60"
        await control.advance(45)
        assert (await post(client, order(order_id="o9", customer="c9"), PUBLIC)).json()["retry_after"] == 15
        await control.advance(15)
        assert (await post(client, order(order_id="o9", customer="c9"), PUBLIC)).status_code == 201


async def test_rate_limit_per_ip_uses_the_end_user_ip_with_a_secret_key() -> None:
    app = make_app(providers={"payviox": {"rate_limits": {"per_ip": 1}}})
    async with client_for(app) as client:
        assert (await post(client, order(order_id="o1", customer="a", ip="192.0.2.1"))).status_code == 201
        assert (await post(client, order(order_id="o2", customer="b", ip="192.0.2.2"))).status_code == 201
        assert (await post(client, order(order_id="o3", customer="c", ip="192.0.2.1"))).status_code == 429


async def test_rate_limit_per_customer() -> None:
    app = make_app(providers={"payviox": {"rate_limits": {"per_ip": 100, "per_customer": 1, "window_seconds": 30}}})
    async with client_for(app) as client:
        assert (await post(client, order(order_id="o1"))).status_code == 201
        refused = await post(client, order(order_id="o2"))
        assert refused.status_code == 429
        assert refused.json()["type"] == "customer"
        assert refused.json()["retry_after"] == 30
        assert (await post(client, order(order_id="o3", customer="someone_else"))).status_code == 201


async def test_body_over_one_mebibyte_gets_413(client: httpx.AsyncClient) -> None:
    huge = order(description="x" * (1024 * 1024 + 1))
    response = await post(client, huge)
    assert response.status_code == 413
    assert response.json() == {"error": "Payload Too Large"}


async def test_chunked_body_over_the_limit_gets_413(client: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(17):
            yield b"x" * 65536

    response = await client.post("/payviox/session", content=chunks(), headers=SECRET)
    assert (response.status_code, response.json()) == (413, {"error": "Payload Too Large"})


async def test_unknown_path_and_wrong_method_answer_in_payviox_format(client: httpx.AsyncClient) -> None:
    missing = await client.get("/payviox/sessions", headers=SECRET)
    assert (missing.status_code, missing.json()) == (404, {"error": "Not Found"})
    wrong = await client.put("/payviox/session", headers=SECRET)
    assert (wrong.status_code, wrong.json()) == (405, {"error": "Method Not Allowed"})


async def test_cors_preflight_for_browser_sdk(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/payviox/session",
        headers={
            "Origin": "http://shop.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "http://shop.test")
