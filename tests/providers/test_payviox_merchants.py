"""Payviox merchants declared by a scenario: strict keys, enabled payment methods and IP rules."""

from __future__ import annotations

import httpx
import pytest

from sandbox.registry import ScenarioModel
from sandbox.scenarios import ScenarioError, load_text
from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.payviox_calls import SECRET, order

pytestmark = pytest.mark.anyio

SHOP = {"payviox": {"public_key": "pk_test_shop1", "secret_key": "sk_test_shop1"}}


def strict() -> httpx.AsyncClient:
    return client_for(make_app(merchants={"shop": SHOP}))


async def test_declared_keys_are_accepted_and_name_the_declared_merchant() -> None:
    async with strict() as client:
        control = Control(client)
        made = await client.post("/payviox/session", json=order(), headers={"Authorization": "Bearer sk_test_shop1"})
        assert made.status_code == 201, made.text
        session = made.json()["session_id"]
        view = await control.session("payviox", session)
        assert view["sandbox"]["merchant"] == "shop"
        by_public = await client.post(
            "/payviox/session", json=order(order_id="o2"), headers={"Authorization": "Bearer pk_test_shop1"}
        )
        assert by_public.status_code == 201
        # pk_ and sk_ name the same business: the secret key reads what the public key made
        read = await client.get(
            f"/payviox/payment/{by_public.json()['session_id']}", headers={"Authorization": "Bearer sk_test_shop1"}
        )
        assert read.status_code == 200


async def test_in_strict_mode_an_undeclared_key_is_401() -> None:
    async with strict() as client:
        response = await client.post("/payviox/session", json=order(), headers=SECRET)
        assert response.status_code == 401
        assert response.json() == {"error": "Unauthorized"}
        assert "declares its Payviox keys" in response.headers["X-Sandbox-Reason"]


async def test_without_declared_keys_any_test_key_is_its_own_business() -> None:
    async with client_for(make_app(merchants={"acme": {"payviox": {"enabled_methods": ["pm_card"]}}})) as client:
        assert (await client.post("/payviox/session", json=order(), headers=SECRET)).status_code == 201
        other = {"Authorization": "Bearer sk_test_someone"}
        assert (await client.post("/payviox/session", json=order(), headers=other)).status_code == 201


async def test_enabled_methods_limit_what_the_business_lists_and_accepts() -> None:
    app = make_app(merchants={"acme": {"payviox": {"enabled_methods": ["pm_card", "paypal"]}}})
    async with client_for(app) as client:
        listed = (await client.get("/payviox/payments/methods", headers=SECRET)).json()
        assert sorted(listed) == ["paypal", "pm_card"]
        everyone = await client.get("/payviox/payments/methods", headers={"Authorization": "Bearer sk_test_x"})
        assert len(everyone.json()) > 2  # another business has every method
        refused = await client.post("/payviox/session", json=order(paymentMethodId="zen_card"), headers=SECRET)
        assert refused.status_code == 400
        assert refused.json() == {"error": "Payment method not found"}
        session = (await client.post("/payviox/session", json=order(order_id="o9"), headers=SECRET)).json()
        usable = (await client.get(f"/payviox/session/{session['session_id']}/payments", headers=SECRET)).json()
        assert sorted(method["id"] for method in usable) == ["paypal", "pm_card"]


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ("enabled_methods: [pm_card, pm_cheque]", "merchants.acme.payviox.enabled_methods: Value error, unknown"),
        ("secret_key: sk_live_acme", "merchants.acme.payviox.secret_key: String should match pattern"),
        (
            "webhook: {url: http://x, secret: y}",
            "merchants.acme.payviox.webhook.secret: unknown key; this section takes url, token, events",
        ),
    ],
)
def test_a_bad_merchant_block_is_a_line_numbered_error(block: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_text(ScenarioModel, f"merchants:\n  acme:\n    payviox:\n      {block}\n", "m.yaml")
    [line] = caught.value.problems
    assert line.startswith("m.yaml:4: " + problem.replace("Value error, ", "")), line


async def test_the_hosted_page_and_pay_offer_only_enabled_methods() -> None:
    merchants = {"shop": {"payviox": {"secret_key": "sk_test_shop1", "enabled_methods": ["pm_card", "paypal"]}}}
    async with client_for(make_app(merchants=merchants)) as client:
        control = Control(client)
        headers = {"Authorization": "Bearer sk_test_shop1"}
        session_id = (await client.post("/payviox/session", json=order(), headers=headers)).json()["session_id"]
        page = await client.get(f"/payviox/secure/{session_id}")
        assert 'value="pm_card"' in page.text
        assert 'value="stripe_credit"' not in page.text and 'value="stripe_apple_pay"' not in page.text
        disabled = await client.post(f"/payviox/secure/{session_id}/pay", data={"method": "stripe_credit"})
        assert disabled.status_code == 409 and "Payment method not found" in disabled.text
        refused = await control.act("payviox", session_id, "pay", payment_method="stripe_credit")
        assert (refused.status_code, refused.json()) == (400, {"error": "Payment method not found"})
        paid = await control.act("payviox", session_id, "pay")
        assert paid.json()["payment_method"] == "pm_card"  # the default card method is not enabled here


async def test_a_declared_webhook_endpoint_receives_deliveries() -> None:
    hook = {"url": "http://127.0.0.1:9/hooks", "token": "whtoken_shop", "events": ["succeeded", "refunded"]}
    merchants = {"shop": {"payviox": {"secret_key": "sk_test_shop1", "webhook": hook}}}
    async with client_for(make_app(merchants=merchants)) as client:
        control = Control(client)
        expected = [
            {"provider": "payviox", "merchant": "shop", "url": hook["url"], "events": ["refunded", "succeeded"]}
        ]
        assert (await control.endpoints()) == expected
        await control.reset()
        assert (await control.endpoints()) == expected
        headers = {"Authorization": "Bearer sk_test_shop1"}
        session_id = (await client.post("/payviox/session", json=order(), headers=headers)).json()["session_id"]
        await control.act("payviox", session_id, "pay")
        [delivery] = await control.webhooks()
        assert delivery["url"] == hook["url"]
        import hashlib
        import hmac

        assert (
            delivery["headers"]["Signature"]
            == hmac.new(b"whtoken_shop", delivery["body"].encode(), hashlib.sha256).hexdigest()
        )


async def test_allowed_ips_restrict_where_the_secret_key_works_from() -> None:
    rules = {
        "secret_key": "sk_test_shop1",
        "public_key": "pk_test_shop1",
        "allowed_ips": ["203.0.113.0/24", "2001:db8::1"],
    }
    async with client_for(make_app(merchants={"shop": {"payviox": rules}})) as client:
        control = Control(client)
        key = {"Authorization": "Bearer sk_test_shop1"}
        inside = await client.get("/payviox/balance", headers={**key, "X-Forwarded-For": "203.0.113.77"})
        assert inside.status_code == 200
        ipv6 = await client.get("/payviox/balance", headers={**key, "X-Forwarded-For": "2001:db8::1"})
        assert ipv6.status_code == 200
        outside = await client.get("/payviox/balance", headers=key)  # the test client's own 198.51.100.10
        assert (outside.status_code, outside.json()) == (403, {"error": "Forbidden"})
        assert "198.51.100.10 is not in the allowed_ips of merchant shop" in outside.headers["X-Sandbox-Reason"]
        made = await client.post("/payviox/session", json=order(), headers={**key, "X-Forwarded-For": "192.0.2.1"})
        assert made.status_code == 403
        assert (await control.sessions("payviox")) == []  # nothing was made
        # the public key is used from payers' browsers, wherever they are
        browser = {"Authorization": "Bearer pk_test_shop1", "X-Forwarded-For": "192.0.2.1"}
        assert (await client.post("/payviox/session", json=order(), headers=browser)).status_code == 201


async def test_allowed_ips_apply_to_a_business_named_by_any_test_key() -> None:
    async with client_for(make_app(merchants={"acme": {"payviox": {"allowed_ips": ["192.0.2.5"]}}})) as client:
        assert (await client.get("/payviox/balance", headers=SECRET)).status_code == 403  # sk_test_acme
        allowed = await client.get("/payviox/balance", headers={**SECRET, "X-Forwarded-For": "192.0.2.5"})
        assert allowed.status_code == 200
        other = await client.get("/payviox/balance", headers={"Authorization": "Bearer sk_test_other"})
        assert other.status_code == 200  # another business has no rule


def test_an_allowed_ip_that_is_not_an_address_is_a_line_numbered_error() -> None:
    text = "merchants:\n  shop:\n    payviox:\n      allowed_ips: [10.0.0.0/8, nowhere]\n"
    with pytest.raises(ScenarioError) as refused:
        load_text(ScenarioModel, text, "s.yaml")
    assert refused.value.problems == [
        "s.yaml:4: merchants.shop.payviox.allowed_ips: 'nowhere' is not an IP address or a CIDR network"
    ]
