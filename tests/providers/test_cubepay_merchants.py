"""CubePay merchants declared by a scenario: strict API keys, the merchant id, the webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest

from sandbox.providers.cubepay.auth import merchant_id
from sandbox.registry import ScenarioModel
from sandbox.scenarios import ScenarioError, load_text
from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.cubepay_calls import API_KEY, bearer, create, read
from tests.support.receiver import Receiver

pytestmark = pytest.mark.anyio

SHOP_KEY, SHOP_KEY_NEXT, GLOBEX_KEY = "cp_shop_current_1", "cp_shop_rotated_2", "cp_globex_1"
REFUSED = {"error": "Unauthorized: the API key is invalid or revoked."}


def strict(**shop: Any) -> httpx.AsyncClient:
    merchants = {
        "shop": {"cubepay": {"api_keys": [SHOP_KEY, SHOP_KEY_NEXT], **shop}},
        "globex": {"cubepay": {"api_keys": [GLOBEX_KEY]}},
    }
    return client_for(make_app(merchants=merchants))


async def owner(client: httpx.AsyncClient, session_id: str) -> str:
    control = Control(client)
    return str((await control.session("cubepay", session_id))["sandbox"]["merchant"])


async def test_declared_keys_are_accepted_and_name_the_declared_merchant() -> None:
    async with strict(merchant_id="mch_shop_public") as client:
        made = await create(client, bearer(SHOP_KEY))
        assert await owner(client, made["paymentSessionId"]) == "mch_shop_public"
        # a rotated key (authentication: "Rotate API Keys") names the same merchant, under either prefix
        again = await read(client, made["paymentSessionId"], bearer(SHOP_KEY_NEXT))
        assert again["status"] == "PENDING"
        other = await client.get(
            f"/cubepay/api/v1/payment-sessions/{made['paymentSessionId']}", headers=bearer(GLOBEX_KEY)
        )
        assert (other.status_code, other.json()) == (404, {"error": "Payment session not found."})
        # the session token carries the declared merchant: the SDK's routes work as before
        assert (await read(client, made["paymentSessionId"], bearer(made["paymentSessionToken"])))["status"]


async def test_the_merchant_id_defaults_to_the_merchants_name() -> None:
    async with strict() as client:
        made = await create(client, bearer(GLOBEX_KEY))
        assert await owner(client, made["paymentSessionId"]) == "globex"


async def test_in_strict_mode_an_undeclared_key_is_401_and_makes_nothing() -> None:
    async with strict() as client:
        control = Control(client)
        body = {"amount": "50.00", "currency": "USD"}
        for path in ("/cubepay/payment-sessions", "/cubepay/api/v1/payment-sessions"):
            response = await client.post(path, json=body, headers=API_KEY)
            assert (response.status_code, response.json()) == (401, REFUSED)
        assert (await control.sessions("cubepay")) == []
        made = await create(client, bearer(SHOP_KEY))
        for route in ("", "/captures/cap_x"):  # the session's reads and its captures refuse it too
            refused = await client.get(f"/cubepay/payment-sessions/{made['paymentSessionId']}{route}", headers=API_KEY)
            assert (refused.status_code, refused.json()) == (401, REFUSED)
        last = (await control.requests())[-1]
        assert any("declares its CubePay API keys" in note for note in last["notes"])  # the journal says why
        missing = await client.post("/cubepay/payment-sessions", json=body)  # no key at all: as before
        assert missing.json() == {"error": "Unauthorized: a valid API key is required."}


async def test_without_declared_keys_any_key_is_its_own_merchant_as_before() -> None:
    hook = {"merchants": {"shop": {"cubepay": {"webhook": {"secret": "whsec_shop"}}}}}
    async with client_for(make_app(**hook)) as client:
        made = await create(client)
        assert await owner(client, made["paymentSessionId"]) == merchant_id("cubepay_test_acme")
        other = await create(client, bearer("anything-at-all"))
        assert await owner(client, other["paymentSessionId"]) == merchant_id("anything-at-all")


async def test_the_demo_page_and_its_backend_act_as_the_merchant_that_declares_the_demo_key() -> None:
    merchants = {"shop": {"cubepay": {"api_keys": ["demo-key-1"], "merchant_id": "mch_shop"}}}
    providers = {"cubepay": {"demo_api_key": "demo-key-1"}}
    async with client_for(make_app(merchants=merchants, providers=providers)) as client:
        page = await client.get("/cubepay/demo")
        assert 'const MERCHANT_ID = "mch_shop";' in page.text  # what CubePaySDK.init gets
        made = await client.post("/cubepay/demo/api/payment-sessions", json={"amount": 12.5})
        assert made.status_code == 200, made.text
        assert await owner(client, made.json()["paymentSessionId"]) == "mch_shop"


async def test_an_undeclared_demo_key_is_refused_in_strict_mode() -> None:
    async with strict() as client:
        made = await client.post("/cubepay/demo/api/payment-sessions", json={"amount": 12.5})
        assert (made.status_code, made.json()) == (401, REFUSED)


async def test_a_declared_webhook_receives_the_merchants_deliveries(receiver: tuple[Receiver, str]) -> None:
    hooks, url = receiver
    hook = {"url": url, "secret": "whsec_shop", "events": ["FUNDED"]}
    async with strict(merchant_id="mch_shop", webhook=hook) as client:
        control = Control(client)
        expected = [{"provider": "cubepay", "merchant": "mch_shop", "url": url, "events": ["FUNDED"]}]
        assert (await control.endpoints()) == expected
        await control.reset()
        assert (await control.endpoints()) == expected
        session_id = (await create(client, bearer(SHOP_KEY)))["paymentSessionId"]
        assert (await control.act("cubepay", session_id, "fund")).status_code == 200  # PENDING -> FUNDED
        await control.act(
            "cubepay", (await create(client, bearer(SHOP_KEY)))["paymentSessionId"], "cancel"
        )  # not subscribed
        await control.act("cubepay", (await create(client, bearer(GLOBEX_KEY)))["paymentSessionId"], "fund")  # globex's
        await control.flush_webhooks()
        [(headers, raw)] = hooks.received
        assert json.loads(raw)["status"] == "FUNDED" and json.loads(raw)["paymentSessionId"] == session_id
        signature = hmac.new(b"whsec_shop", raw, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(signature, headers["x-cubepay-signature"])


async def test_a_webhook_without_url_signs_the_inbox_named_after_the_merchant_id() -> None:
    async with strict(merchant_id="mch_shop", webhook={"secret": "whsec_shop"}) as client:
        control = Control(client)
        session_id = (await create(client, bearer(SHOP_KEY)))["paymentSessionId"]
        await control.act("cubepay", session_id, "fund")
        await control.flush_webhooks()
        [entry] = await control.inbox("cubepay-mch_shop")
        assert entry["verified"] is True  # checked against the declared secret
        expected = hmac.new(b"whsec_shop", entry["body"].encode(), hashlib.sha256).hexdigest()
        assert entry["headers"]["X-CubePay-Signature"] == expected


async def test_a_fault_can_match_the_declared_merchant() -> None:
    rule = {"match": {"provider": "cubepay", "merchant": "globex"}, "act": {"error": "unavailable"}}
    merchants = {"globex": {"cubepay": {"api_keys": [GLOBEX_KEY]}}, "shop": {"cubepay": {"api_keys": [SHOP_KEY]}}}
    async with client_for(make_app(merchants=merchants, faults=[rule])) as client:
        body = {"amount": "5.00", "currency": "USD"}
        hit = await client.post("/cubepay/payment-sessions", json=body, headers=bearer(GLOBEX_KEY))
        assert (hit.status_code, hit.json()) == (502, {"error": "Payment service unavailable."})
        assert (await client.post("/cubepay/payment-sessions", json=body, headers=bearer(SHOP_KEY))).status_code == 200


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ('api_keys: ["two words"]', "merchants.acme.cubepay.api_keys.0: 'two words' is not an API key"),
        ("api_keys: [eyJhbGciOi.eyJzdWIi.c2ln]", "merchants.acme.cubepay.api_keys.0: eyJhbGciOi.eyJzd... looks like"),
        ("merchant_id: mch shop", "merchants.acme.cubepay.merchant_id: String should match pattern"),
        ("webhook: {events: [FUNDED, PAID]}", "merchants.acme.cubepay.webhook.events: CubePay sends no events"),
        (
            "webhook: {url: http://x, token: y}",
            "merchants.acme.cubepay.webhook.token: unknown key; this section takes url, secret, events",
        ),
        (
            "allowed_ips: [10.0.0.0/8]",
            "merchants.acme.cubepay.allowed_ips: unknown key; this section takes api_keys, merchant_id, webhook",
        ),
    ],
)
def test_a_bad_merchant_block_is_a_line_numbered_error(block: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_text(ScenarioModel, f"merchants:\n  acme:\n    cubepay:\n      {block}\n", "m.yaml")
    [line] = caught.value.problems
    assert line.startswith("m.yaml:4: " + problem), line


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "merchants:\n  shop:\n    cubepay: {api_keys: [k1]}\n  other:\n    cubepay:\n      api_keys: [k2, k1]\n",
            "m.yaml:6: merchants.other.cubepay.api_keys.1: this key is already declared for merchant id 'shop'",
        ),
        (
            "merchants:\n  shop:\n    cubepay: {api_keys: [k1]}\n  other:\n    cubepay:\n      merchant_id: shop\n",
            "m.yaml:6: merchants.other.cubepay.merchant_id: merchant id 'shop' is already merchant 'shop''s",
        ),
    ],
)
async def test_a_key_or_merchant_id_declared_twice_is_refused_and_the_old_scenario_stays(
    client: httpx.AsyncClient, control: Control, text: str, problem: str
) -> None:
    before = (await control.scenario())["scenario"]
    response = await control.raw.load_scenario(text.encode(), source="m.yaml")
    assert response.status_code == 400
    assert response.json()["problems"] == [problem]
    assert (await control.scenario())["scenario"] == before
    assert (
        await client.post("/cubepay/payment-sessions", json={"amount": "1.00", "currency": "USD"}, headers=API_KEY)
    ).status_code == 200  # still not strict
