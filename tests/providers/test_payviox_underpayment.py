"""A crypto payment that arrives short: `incomplete` with `amount_remaining`, then the rest.

Docs (webhooks/integration, llms-full.txt "Payment Webhooks"): `incomplete` is "Crypto payment
underpaid (opt-in event; includes `amount_remaining` in cents)", and the merchant waits for
`succeeded`. Webhooks go over real HTTP to a live receiver and are checked with the docs' own
verification code; GET /payment shows the underpaid session as `pending`.
"""

from __future__ import annotations

import json

import httpx
import pytest

from sandbox.providers.payviox.webhooks import EVENT_TYPES
from tests.support.control import Control
from tests.support.payviox_calls import SECRET, create, details, verify_signature
from tests.support.receiver import Receiver

pytestmark = pytest.mark.anyio
TOKEN = "whtoken_shop_secret"


async def subscribe(client: httpx.AsyncClient, url: str, events: list[str] | None) -> None:
    await Control(client).set_webhook_endpoint("payviox", "acme", url, TOKEN, events)


async def received(client: httpx.AsyncClient, hooks: Receiver) -> list[dict[str, object]]:
    """Every body delivered so far, each checked against its `Signature` first."""
    control = Control(client)
    await control.flush_webhooks()
    bodies = []
    for headers, raw in hooks.received:
        assert verify_signature(raw.decode(), headers["signature"], TOKEN)
        bodies.append(json.loads(raw))
    return bodies


async def crypto_session(client: httpx.AsyncClient, method: str = "cryptocom", **changes: object) -> str:
    return await create(client, paymentMethodId=method, **changes)


def test_incomplete_is_one_of_the_types_payviox_sends() -> None:
    payments = {event for event in EVENT_TYPES if not event.startswith("payout.")}
    assert payments == {"succeeded", "pending_review", "declined", "refunded", "expired", "incomplete"}


async def test_underpay_twice_then_top_up(
    client: httpx.AsyncClient, control: Control, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    await subscribe(client, url, ["succeeded", "incomplete"])
    session_id = await crypto_session(client, metadata={"user_id": "usr_123"})

    short = await control.act("payviox", session_id, "pay", outcome="incomplete", amount_paid=6000)
    assert short.status_code == 200, short.text
    assert short.json()["sandbox"]["amount_received"] == 6000
    assert short.json()["sandbox"]["amount_remaining"] == 4000
    [first] = await received(client, hooks)
    assert first == {
        "amount": 10000,
        "currency": "USD",
        "metadata": {"integration_session_id": session_id, "user_id": "usr_123"},
        "type": "incomplete",
        "provider": "cryptocom",
        "order_id": "order_12345",
        "items": [{"name": "Premium Plan", "quantity": 1, "price": 10000}],
        "payment_method": "cryptocom",
        "customer": first["customer"],
        "amount_remaining": 4000,
    }
    shown = await details(client, session_id)
    assert (shown["status"], shown["fees"], shown["net_amount"]) == ("pending", None, None)
    assert shown["payment_method"] == "cryptocom"
    assert "amount_remaining" not in shown  # GET /payment documents no such field

    await control.act("payviox", session_id, "pay", outcome="incomplete", amount_paid=1000)
    topped = await control.act("payviox", session_id, "pay", outcome="succeeded")
    assert topped.status_code == 200, topped.text
    first, second, third = await received(client, hooks)
    assert (second["type"], second["amount_remaining"]) == ("incomplete", 3000)
    assert second["customer"] == first["customer"]  # the provider collected it once
    assert third["type"] == "succeeded" and "amount_remaining" not in third
    assert (third["amount"], third["fees"], third["customer"]) == (10000, 100, first["customer"])
    shown = await details(client, session_id)
    assert (shown["status"], shown["fees"], shown["net_amount"]) == ("succeeded", 100, 9900)
    assert (await client.get("/payviox/balance", headers=SECRET)).json()["balance"] == 9900


async def test_incomplete_is_opt_in(
    client: httpx.AsyncClient, control: Control, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    await subscribe(client, url, None)  # the default subscription: only `succeeded`
    session_id = await crypto_session(client, method="zen_usdt")
    await control.act("payviox", session_id, "pay", outcome="incomplete", amount_paid=9999)
    assert await received(client, hooks) == []
    await control.act("payviox", session_id, "pay")
    assert [body["type"] for body in await received(client, hooks)] == ["succeeded"]
    log = await control.webhooks(session_id=session_id)
    assert [entry["event"] for entry in log] == ["succeeded"]


async def test_a_session_without_a_method_can_be_underpaid_in_crypto(
    client: httpx.AsyncClient, control: Control
) -> None:
    session_id = await create(client)
    body = {"outcome": "incomplete", "amount_paid": 100, "payment_method": "pallapay_crypto"}
    response = await control.act("payviox", session_id, "pay", **body)
    assert response.status_code == 200, response.text
    shown = await details(client, session_id)
    assert (shown["status"], shown["provider"]) == ("pending", "pallapay")


@pytest.mark.parametrize("method", [None, "paypal", "zen_card"])
async def test_a_method_that_is_not_crypto_cannot_be_underpaid(
    client: httpx.AsyncClient, control: Control, method: str | None
) -> None:
    session_id = await create(client, paymentMethodId=method) if method else await create(client)
    response = await control.act("payviox", session_id, "pay", outcome="incomplete", amount_paid=5000)
    assert response.status_code == 400
    assert response.json() == {"outcome": ["The incomplete outcome needs a crypto payment method."]}
    assert (await details(client, session_id))["status"] == ("pending" if method else None)
    assert (await control.webhooks(session_id=session_id)) == []


BETWEEN = "The amount paid field must be between 1 and 9999."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"outcome": "incomplete"}, "The amount paid field is required with incomplete."),
        ({"outcome": "incomplete", "amount_paid": "50"}, "The amount paid field must be an integer."),
        ({"outcome": "incomplete", "amount_paid": 12.5}, "The amount paid field must be an integer."),
        ({"outcome": "incomplete", "amount_paid": True}, "The amount paid field must be an integer."),
        ({"outcome": "incomplete", "amount_paid": 0}, BETWEEN),
        ({"outcome": "incomplete", "amount_paid": 10000}, BETWEEN),
        ({"outcome": "succeeded", "amount_paid": 10}, "The amount paid field is only allowed with incomplete."),
    ],
)
async def test_the_amount_paid_is_checked(
    client: httpx.AsyncClient, control: Control, body: dict[str, object], message: str
) -> None:
    session_id = await crypto_session(client)
    response = await control.act("payviox", session_id, "pay", **body)
    assert (response.status_code, response.json()) == (400, {"amount_paid": [message]})
    assert (await details(client, session_id))["status"] == "pending"


async def test_an_underpaid_session_takes_only_the_rest_in_the_same_crypto(
    client: httpx.AsyncClient, control: Control
) -> None:
    session_id = await crypto_session(client, method="cryptocom_btc")
    await control.act("payviox", session_id, "pay", outcome="incomplete", amount_paid=2500)
    too_much = await control.act("payviox", session_id, "pay", outcome="incomplete", amount_paid=7500)
    assert too_much.json() == {"amount_paid": ["The amount paid field must be between 1 and 7499."]}
    other = await control.act("payviox", session_id, "pay", payment_method="stripe_credit")
    assert (other.status_code, other.json()) == (400, {"payment_method": ["The rest must be paid with cryptocom_btc."]})
    declined = await control.act("payviox", session_id, "pay", outcome="declined")
    assert declined.status_code == 409
    assert declined.json() == {"error": "cannot pay_declined a session that is incomplete"}
    view = await control.session("payviox", session_id)
    [pay] = view["sandbox"]["allowed_actions"]
    assert (pay["action"], pay["params"]["outcome"]) == ("pay", ["succeeded", "incomplete"])
    assert "amount_paid" in pay["params"]
    assert (await control.act("payviox", session_id, "pay")).status_code == 200
    again = await control.act("payviox", session_id, "pay", outcome="incomplete", amount_paid=1)
    assert again.status_code == 409


async def test_an_underpaid_session_does_not_expire(
    client: httpx.AsyncClient, control: Control, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    await subscribe(client, url, ["incomplete", "expired", "succeeded"])
    session_id = await crypto_session(client)
    await control.act("payviox", session_id, "pay", outcome="incomplete", amount_paid=4000)
    moved = await control.advance(3 * 86400)
    assert moved["expired"] == []
    assert (await details(client, session_id))["status"] == "pending"
    assert (await control.act("payviox", session_id, "pay")).status_code == 200
    assert [body["type"] for body in await received(client, hooks)] == ["incomplete", "succeeded"]


async def test_the_crypto_provider_page_pays_short_then_the_rest(client: httpx.AsyncClient) -> None:
    session_id = await crypto_session(client)
    page = await client.get(f"/payviox/redirect/{session_id}")
    assert "Crypto.com (sandbox)" in page.text
    assert "name=amount_paid min=1 max=9999" in page.text and 'value="incomplete"' in page.text
    form = {"outcome": "incomplete", "method": "cryptocom", "amount_paid": "2500"}
    paid = await client.post(f"/payviox/secure/{session_id}/pay", data=form)
    assert (paid.status_code, paid.headers["location"]) == (303, f"/payviox/secure/{session_id}")
    assert (await details(client, session_id))["status"] == "pending"

    page = await client.get(f"/payviox/redirect/{session_id}")
    assert 'data-status="incomplete"' in page.text
    assert "25.00 USD received, 75.00 USD still due" in page.text
    assert "Pay the remaining 75.00 USD" in page.text and "max=7499" in page.text
    for gone in ("declined", "pending_review", "failed"):
        assert f'value="{gone}"' not in page.text
    hosted = await client.get(f"/payviox/secure/{session_id}")  # the same choices on Payviox's own page
    assert 'name=method value="cryptocom"' in hosted.text and "Credit Card" not in hosted.text
    assert 'value="incomplete"' in hosted.text

    bad = await client.post(f"/payviox/secure/{session_id}/pay", data={**form, "amount_paid": "lots"})
    assert bad.status_code == 409 and "must be an integer" in bad.text
    rest = await client.post(f"/payviox/secure/{session_id}/pay", data={"outcome": "succeeded", "method": "cryptocom"})
    assert rest.status_code == 303
    assert (await details(client, session_id))["status"] == "succeeded"
    page = await client.get(f"/payviox/redirect/{session_id}")
    assert "amount_paid" not in page.text and 'value="succeeded"' not in page.text


async def test_pages_for_other_methods_offer_no_short_payment(client: httpx.AsyncClient) -> None:
    card = await create(client, order_id="card")
    wallet = await create(client, order_id="wallet", paymentMethodId="paypal")
    for path in (f"/payviox/secure/{card}", f"/payviox/redirect/{wallet}"):
        page = await client.get(path)
        assert page.status_code == 200
        assert "amount_paid" not in page.text and 'value="incomplete"' not in page.text
