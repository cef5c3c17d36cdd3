"""Payviox, fidelity round two: `processing` payments, `payment_error` on create, the status
after a refund, what the hosted page records, images served by the sandbox, live keys, and
the control view's actions matching the action endpoint."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

import httpx
import pytest

from sandbox.providers.payviox.actions import ACTIONS
from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.payviox_calls import PUBLIC, SECRET, create, details, order

pytestmark = pytest.mark.anyio


async def test_a_processing_payment_settles_later_on_the_sandbox_clock(
    client: httpx.AsyncClient, control: Control
) -> None:
    session_id = await create(client)
    paid = await control.act("payviox", session_id, "pay", outcome="processing")
    assert paid.status_code == 200
    shown = await details(client, session_id)
    assert (shown["status"], shown["fees"]) == ("processing", None)  # GPD's documented `processing`
    assert await control.webhooks(provider="payviox") == []  # no webhook type for processing
    await control.advance(59)
    assert (await details(client, session_id))["status"] == "processing"
    await control.advance(1)  # the `processing_seconds` setting: 60
    settled = await details(client, session_id)
    assert (settled["status"], settled["fees"]) == ("succeeded", 320)
    assert [entry["event"] for entry in await control.webhooks(provider="payviox")] == ["succeeded"]


async def test_processing_can_settle_to_another_outcome_by_setting_or_action() -> None:
    app = make_app(providers={"payviox": {"processing_outcome": "failed", "processing_seconds": 5}})
    async with client_for(app) as client:
        control = Control(client)
        lapsed = await create(client, order_id="o1")
        await control.act("payviox", lapsed, "pay", outcome="processing")
        await control.advance(5)
        assert (await details(client, lapsed))["status"] == "failed"
        declined = await create(client, order_id="o2")
        await control.act("payviox", declined, "pay", outcome="processing")
        assert (await control.act("payviox", declined, "settle", outcome="declined")).status_code == 200
        assert (await details(client, declined))["status"] == "declined"


async def test_the_hosted_page_offers_processing(client: httpx.AsyncClient) -> None:
    session_id = await create(client)
    page = await client.get(f"/payviox/secure/{session_id}")
    assert 'value="processing"' in page.text
    paid = await client.post(f"/payviox/secure/{session_id}/pay", data={"outcome": "processing"})
    assert paid.status_code == 303
    assert (await details(client, session_id))["status"] == "processing"


async def test_a_failing_redirect_provider_gives_payment_error_and_an_open_session() -> None:
    async with client_for(make_app(providers={"payviox": {"failing_providers": ["zen"]}})) as client:
        response = await client.post("/payviox/session", json=order(paymentMethodId="zen_card"), headers=SECRET)
        assert response.status_code == 201
        body = response.json()
        assert body == {
            "session_id": body["session_id"],
            "payment_error": {"success": False, "message": "Payment creation failed", "error_type": "http_error"},
        }
        assert (await details(client, body["session_id"]))["status"] is None  # "the session is still created"
        assert (await client.get(f"/payviox/secure/{body['session_id']}")).status_code == 200  # the fallback page
        other = await client.post(
            "/payviox/session", json=order(order_id="o2", paymentMethodId="paypal"), headers=SECRET
        )
        assert "redirect_url" in other.json()  # only the named provider fails


async def test_an_unknown_failing_provider_does_not_load(control: Control) -> None:
    response = await control.raw.load_scenario({"providers": {"payviox": {"failing_providers": ["nope"]}}})
    assert response.status_code == 400
    assert "unknown Payviox providers" in response.text


async def test_after_a_refund_get_payment_keeps_a_documented_status(
    client: httpx.AsyncClient, control: Control
) -> None:
    session_id = await create(client)
    await control.act("payviox", session_id, "pay")
    await control.act("payviox", session_id, "refund")
    assert (await details(client, session_id))["status"] == "succeeded"
    view = await control.session("payviox", session_id)
    assert view["sandbox"]["state"] == "refunded"
    assert [entry["event"] for entry in await control.webhooks(provider="payviox")] == ["succeeded", "refunded"]


async def test_the_hosted_page_records_the_payers_ip_and_user_agent(client: httpx.AsyncClient) -> None:
    session_id = await create(client)
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) SandboxTest/1.0"}
    paid = await client.post(f"/payviox/secure/{session_id}/pay", data={"outcome": "succeeded"}, headers=browser)
    assert paid.status_code == 303
    shown = await details(client, session_id)
    assert shown["ip"] == "198.51.100.10"  # the socket peer of tests/support/apps.py
    assert shown["user_agent"] == browser["User-Agent"]


async def test_method_images_are_served_by_the_sandbox(client: httpx.AsyncClient) -> None:
    methods = (await client.get("/payviox/payments/methods", headers=PUBLIC)).json()
    for method in methods.values():
        assert method["image"].startswith("http://sandbox.test/payviox/images/")
        image = await client.get(method["image"])
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/svg+xml"
        assert image.text.startswith("<svg") and image.text.endswith("</svg>")
    paypal = await client.get(methods["paypal"]["image"])
    assert 'aria-label="PayPal"' in paypal.text
    missing = await client.get("/payviox/images/nope.svg")
    assert missing.status_code == 404


async def test_image_urls_carry_the_namespace(client: httpx.AsyncClient) -> None:
    methods = (await client.get("/ns/shop/payviox/payments/methods", headers=PUBLIC)).json()
    url = methods["paypal"]["image"]
    assert url == "http://sandbox.test/ns/shop/payviox/images/paypal.svg"
    assert (await client.get(url)).status_code == 200


@pytest.mark.parametrize("path", ["/payviox/balance", "/payviox/payment/" + "0" * 32, "/payviox/payments/methods"])
async def test_live_keys_are_refused_everywhere_with_a_reason(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"Authorization": "Bearer sk_live_acme"})
    assert (response.status_code, response.json()) == (401, {"error": "Unauthorized"})
    assert "live keys are refused" in response.headers["x-sandbox-reason"]


# allowed actions -----------------------------------------------------------------------------


async def _act(control: Control, record: str, action: str, **body: object) -> None:
    response = await control.act("payviox", record, action, **body)
    assert response.status_code == 200, response.text


def _maker(
    *steps: tuple[str, dict[str, object]], **create_with: object
) -> Callable[[httpx.AsyncClient], Awaitable[str]]:
    """A fresh session reached by `steps` (control actions); each gets its own order_id."""
    numbers = itertools.count()

    async def make(client: httpx.AsyncClient) -> str:
        session_id = await create(client, order_id=f"o{next(numbers)}", **create_with)
        for action, body in steps:
            await _act(Control(client), session_id, action, **body)
        return session_id

    return make


async def _payout_user(client: httpx.AsyncClient, amount: int = 1000) -> str:
    created = await client.post(
        "/payviox/payout/create", json={"email": "u@example.com", "amount": amount}, headers=SECRET
    )
    read = await client.get("/payviox/payout/operations", headers={"X-Payout-Hash": created.json()["hash"]})
    return str(read.json()["payout_user_id"])


async def _emptied_user(client: httpx.AsyncClient) -> str:
    user = await _payout_user(client)
    await _act(Control(client), user, "withdraw")
    return user


async def _payout_order(client: httpx.AsyncClient, settle: bool = False) -> str:
    user = await _payout_user(client, 10)
    started = await Control(client).act("payviox", user, "withdraw", amount=1)
    order_id = str(started.json()["order_id"])
    if settle:
        await _act(Control(client), order_id, "settle")
    return order_id


async def _expired(client: httpx.AsyncClient) -> str:
    session_id = await create(client, order_id="lapsed")
    await Control(client).advance(86400)
    return session_id


STATES: dict[str, Callable[[httpx.AsyncClient], Awaitable[str]]] = {
    "open": _maker(),
    "pending": _maker(paymentMethodId="paypal"),
    "failed": _maker(("pay", {"outcome": "failed"})),
    "pending_review": _maker(("pay", {"outcome": "pending_review"})),
    "processing": _maker(("pay", {"outcome": "processing"})),
    "incomplete": _maker(("pay", {"outcome": "incomplete", "payment_method": "cryptocom_btc", "amount_paid": 100})),
    "succeeded": _maker(("pay", {})),
    "declined": _maker(("pay", {"outcome": "declined"})),
    "refunded": _maker(("pay", {}), ("refund", {})),
    "expired": _expired,
    "payout user": _payout_user,
    "payout user, empty": _emptied_user,
    "payout order, processing": _payout_order,
    "payout order, settled": lambda client: _payout_order(client, settle=True),
}


@pytest.mark.parametrize("state", list(STATES))
async def test_advertised_actions_are_exactly_the_accepted_ones(state: str) -> None:
    make = STATES[state]
    async with client_for(make_app()) as client:
        control = Control(client)
        view = await control.session("payviox", await make(client))
        advertised = {entry["action"]: entry["params"] for entry in view["sandbox"]["allowed_actions"]}
        accepted = set()
        for action in ACTIONS:
            async with client_for(make_app()) as fresh:  # a fresh sandbox per try: the same ids, nothing shared
                record = await make(fresh)
                response = await Control(fresh).act("payviox", record, action)
                assert response.status_code in (200, 400, 404, 409), response.text
                if response.status_code == 200:
                    accepted.add(action)
        assert set(advertised) == accepted, view["sandbox"]["allowed_actions"]
