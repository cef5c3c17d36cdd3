"""The payer's side: the hosted page, the IP check, outcomes, review, refund and expiry."""

from __future__ import annotations

import httpx
import pytest

from tests.support.control import Control
from tests.support.payviox_calls import PUBLIC, SECRET, create, details, order

pytestmark = pytest.mark.anyio
IP_MISMATCH = {"error": "IP mismatch", "message": "Request IP does not match session IP"}
AT = {"X-Forwarded-For": "203.0.113.42"}


async def pay_on_page(client: httpx.AsyncClient, session_id: str, outcome: str, **headers: str) -> httpx.Response:
    form = {"outcome": outcome, "method": "stripe_credit"}
    return await client.post(f"/payviox/secure/{session_id}/pay", data=form, headers=headers)


async def test_hosted_page_shows_items_total_methods_and_outcomes(client: httpx.AsyncClient) -> None:
    items = [
        {"name": "Premium Plan", "quantity": 2, "price": 2500},
        {"name": "Setup fee", "quantity": 1, "price": 5000},
    ]
    session_id = await create(client, items=items)
    page = await client.get(f"/payviox/secure/{session_id}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for text in ("Premium Plan", "Setup fee", "50.00 USD", "100.00 USD", "Credit Card (Stripe)", session_id):
        assert text in page.text
    for outcome in ("succeeded", "declined", "pending_review", "failed"):
        assert f'value="{outcome}"' in page.text


async def test_hosted_page_escapes_what_the_merchant_sent(client: httpx.AsyncClient) -> None:
    items = [{"name": "<script>alert(1)</script>", "quantity": 1, "price": 10000}]
    session_id = await create(client, items=items, description="<b>bold</b>")
    page = await client.get(f"/payviox/secure/{session_id}")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in page.text


@pytest.mark.parametrize("outcome", ["succeeded", "declined", "pending_review", "failed"])
async def test_paying_on_the_page_reaches_each_outcome(client: httpx.AsyncClient, outcome: str) -> None:
    session_id = await create(client)
    response = await pay_on_page(client, session_id, outcome)
    assert response.status_code == 303
    assert response.headers["location"] == f"/payviox/secure/{session_id}"
    body = await details(client, session_id)
    assert body["status"] == outcome
    assert body["user_agent"].startswith("python-httpx")
    assert body["ip"] == "198.51.100.10"
    assert (body["fees"] is None) == (outcome == "failed")
    result = await client.get(f"/payviox/secure/{session_id}")
    assert f'data-status="{outcome}"' in result.text


async def test_a_finished_payment_shows_no_buttons_and_cannot_be_paid_again(client: httpx.AsyncClient) -> None:
    session_id = await create(client)
    await pay_on_page(client, session_id, "succeeded")
    page = await client.get(f"/payviox/secure/{session_id}")
    assert 'value="succeeded"' not in page.text
    again = await pay_on_page(client, session_id, "succeeded")
    assert again.status_code == 409
    assert (await details(client, session_id))["status"] == "succeeded"


async def test_a_failed_payment_can_be_retried(client: httpx.AsyncClient) -> None:
    session_id = await create(client)
    await pay_on_page(client, session_id, "failed")
    assert (await pay_on_page(client, session_id, "succeeded")).status_code == 303
    assert (await details(client, session_id))["status"] == "succeeded"


async def test_ip_mismatch_on_page_and_payment(client: httpx.AsyncClient) -> None:
    session_id = await create(client, ip="203.0.113.42")
    page = await client.get(f"/payviox/secure/{session_id}")
    assert (page.status_code, page.json()) == (403, IP_MISMATCH)
    paid = await pay_on_page(client, session_id, "succeeded")
    assert (paid.status_code, paid.json()) == (403, IP_MISMATCH)
    assert (await details(client, session_id))["status"] is None
    assert (await client.get(f"/payviox/secure/{session_id}", headers=AT)).status_code == 200
    assert (await pay_on_page(client, session_id, "succeeded", **AT)).status_code == 303
    assert (await details(client, session_id))["ip"] == "203.0.113.42"


async def test_a_public_key_session_is_bound_to_the_creating_browser(client: httpx.AsyncClient) -> None:
    session_id = await create(client, {**PUBLIC, **AT})
    elsewhere = await client.get(f"/payviox/secure/{session_id}")
    assert (elsewhere.status_code, elsewhere.json()) == (403, IP_MISMATCH)
    assert (await client.get(f"/payviox/secure/{session_id}", headers=AT)).status_code == 200


async def test_a_secret_key_session_without_ip_is_not_checked(client: httpx.AsyncClient) -> None:
    session_id = await create(client)
    assert (
        await client.get(f"/payviox/secure/{session_id}", headers={"X-Forwarded-For": "192.0.2.77"})
    ).status_code == 200


async def test_unknown_session_page_is_404(client: httpx.AsyncClient) -> None:
    page = await client.get(f"/payviox/secure/{'0' * 32}")
    assert page.status_code == 404
    assert "Session not found" in page.text


async def test_control_pay_checks_the_ip_the_same_way(client: httpx.AsyncClient, control: Control) -> None:
    session_id = await create(client, ip="203.0.113.42")
    wrong = await control.act("payviox", session_id, "pay", ip="192.0.2.1")
    assert (wrong.status_code, wrong.json()) == (403, IP_MISMATCH)
    right = await control.act("payviox", session_id, "pay", ip="203.0.113.42", outcome="pending_review")
    assert right.status_code == 200
    assert right.json()["status"] == "pending_review"


async def test_control_pay_without_ip_is_the_expected_payer(client: httpx.AsyncClient, control: Control) -> None:
    session_id = await create(client, ip="203.0.113.42")
    assert (await control.act("payviox", session_id, "pay")).json()["ip"] == "203.0.113.42"


async def test_control_pay_rejects_unknown_outcome_and_method(client: httpx.AsyncClient, control: Control) -> None:
    session_id = await create(client)
    outcome = await control.act("payviox", session_id, "pay", outcome="maybe")
    assert outcome.status_code == 400
    assert "outcome" in outcome.json()
    method = await control.act("payviox", session_id, "pay", payment_method="nope")
    assert (method.status_code, method.json()) == (400, {"error": "Payment method not found"})


@pytest.mark.parametrize(("decision", "status"), [("approve", "succeeded"), ("decline", "declined")])
async def test_review_settles_a_held_payment(
    client: httpx.AsyncClient, control: Control, decision: str, status: str
) -> None:
    session_id = await create(client)
    await control.act("payviox", session_id, "pay", outcome="pending_review")
    response = await control.act("payviox", session_id, "review", decision=decision)
    assert response.status_code == 200
    assert (await details(client, session_id))["status"] == status


async def test_refund_only_after_success(client: httpx.AsyncClient, control: Control) -> None:
    session_id = await create(client)
    early = await control.act("payviox", session_id, "refund")
    assert early.status_code == 409
    assert "cannot refund" in early.json()["error"]
    await control.act("payviox", session_id, "pay")
    assert (await control.act("payviox", session_id, "refund")).status_code == 200
    # GPD's documented statuses have no "refunded": the API keeps "succeeded", the control view says refunded
    assert (await details(client, session_id))["status"] == "succeeded"
    assert (await control.session("payviox", session_id))["sandbox"]["state"] == "refunded"


async def test_actions_on_unknown_session_or_action(client: httpx.AsyncClient, control: Control) -> None:
    missing = await control.act("payviox", "0" * 32, "pay")
    assert (missing.status_code, missing.json()) == (404, {"error": "Session not found"})
    session_id = await create(client)
    unknown = await control.act("payviox", session_id, "teleport")
    assert unknown.status_code == 404
    assert "pay" in unknown.json()["message"]


async def test_unpaid_session_expires_after_24_hours(client: httpx.AsyncClient, control: Control) -> None:
    unpaid = await create(client, order_id="o1")
    paid = await create(client, order_id="o2")
    started = await create(client, order_id="o3", paymentMethodId="paypal")
    await control.act("payviox", paid, "pay")
    await control.advance(24 * 3600 - 1)
    assert (await details(client, unpaid))["status"] is None
    moved = await control.advance(1)
    assert moved["expired"] == [{"provider": "payviox", "session_id": unpaid}]
    assert (await details(client, unpaid))["status"] == "expired"
    assert (await details(client, paid))["status"] == "succeeded"
    assert (await details(client, started))["status"] == "pending"
    page = await client.get(f"/payviox/secure/{unpaid}")
    assert 'value="succeeded"' not in page.text and "expired" in page.text
    assert (await pay_on_page(client, unpaid, "succeeded")).status_code == 409
    events = await control.events(session_id=unpaid)
    assert [event["action"] for event in events] == ["expire"]
    assert events[0]["at"] == "2026-01-02T00:00:00.000Z"


async def test_expiry_is_applied_when_read_without_a_clock_call(client: httpx.AsyncClient, control: Control) -> None:
    session_id = await create(client)
    await control.set_clock("2026-01-05T00:00:00Z")
    assert (await details(client, session_id))["status"] == "expired"


async def test_redirect_provider_page_pays_with_its_method(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/payviox/session", json={**order(), "paymentMethodId": "payssion_ideal", "currency": "EUR"}, headers=SECRET
    )
    session_id = response.json()["session_id"]
    page = await client.get(f"/payviox/redirect/{session_id}")
    assert "Payssion (sandbox)" in page.text and 'name=method value="payssion_ideal"' in page.text
    form = {"outcome": "succeeded", "method": "payssion_ideal"}
    assert (await client.post(f"/payviox/secure/{session_id}/pay", data=form)).status_code == 303
    body = await details(client, session_id)
    assert (body["status"], body["provider"], body["payment_details"]) == ("succeeded", "payssion", {"type": "ideal"})
