"""A merchant's contract tests for a Payviox checkout, written against the sandbox.

Run them with `pytest examples/payviox` (a live sandbox on a thread), add
`--sandbox-mode=inprocess` for no socket at all, or `--sandbox-url=http://127.0.0.1:4242` for a
sandbox you started with `sandbox serve`. The `sandbox` fixture comes from the sandbox's pytest
plugin; `sandbox.http` is an httpx client on it, and each test gets keys of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from sandbox.pytest_plugin import SandboxHandle

WEBHOOK_TOKEN = "whtoken_my_shop"


def verify_signature(raw_body: str, signature: str, webhook_token: str) -> bool:
    """Payviox's documented check (webhooks/integration), as a merchant's handler has it."""
    computed = hmac.new(webhook_token.encode(), raw_body.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(computed, signature)


@pytest.fixture
def api(sandbox: SandboxHandle) -> str:
    """Our backend's Payviox client: the secret key and the API base the app would be configured with."""
    keys = sandbox.credentials("payviox")
    sandbox.http.headers["Authorization"] = f"Bearer {keys['secret_key']}"
    return sandbox.url("payviox")


def checkout(sandbox: SandboxHandle, api: str, order_id: str = "order_1001", ip: str | None = None) -> str:
    body = {
        "amount": 4500,
        "currency": "EUR",
        "customer": "jane@example.com",
        "order_id": order_id,
        "description": "Two mugs",
        "metadata": {"cart": "c-77"},
        "items": [{"name": "Mug", "quantity": 2, "price": 2250}],
    }
    if ip:
        body["ip"] = ip
    response = sandbox.http.post(f"{api}/session", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["session_id"])


def test_customer_pays_on_the_hosted_page_and_we_get_a_signed_webhook(sandbox: SandboxHandle, api: str) -> None:
    sandbox.set_webhook_endpoint("payviox", None, secret=WEBHOOK_TOKEN, events=["succeeded", "refunded"])
    session_id = checkout(sandbox, api)

    # the customer opens the payment page and pays
    page = sandbox.http.get(f"{api}/secure/{session_id}")
    assert page.status_code == 200 and "Two mugs" in page.text
    paid = sandbox.http.post(f"{api}/secure/{session_id}/pay", data={"method": "stripe_credit", "outcome": "succeeded"})
    assert paid.status_code == 303

    # our backend confirms through the API...
    details = sandbox.http.get(f"{api}/payment/{session_id}").json()
    assert details["status"] == "succeeded"
    assert details["net_amount"] == details["amount"] - details["fees"]

    # ...and through the webhook, which we verify the way production code does
    sandbox.flush_webhooks()
    [delivery] = sandbox.inbox(f"payviox-{sandbox.providers()['payviox']['merchant']}")
    assert verify_signature(delivery["body"], delivery["headers"]["Signature"], WEBHOOK_TOKEN)
    event = json.loads(delivery["body"])
    assert (event["type"], event["order_id"]) == ("succeeded", "order_1001")
    assert event["metadata"] == {"integration_session_id": session_id, "cart": "c-77"}


def test_a_declined_payment_is_not_fulfilled(sandbox: SandboxHandle, api: str) -> None:
    session_id = checkout(sandbox, api)
    sandbox.act("payviox", session_id, "pay", outcome="pending_review")
    assert sandbox.http.get(f"{api}/payment/{session_id}").json()["status"] == "pending_review"
    sandbox.act("payviox", session_id, "review", decision="decline")
    assert sandbox.http.get(f"{api}/payment/{session_id}").json()["status"] == "declined"


def test_a_payer_on_another_network_is_refused(sandbox: SandboxHandle, api: str) -> None:
    session_id = checkout(sandbox, api, ip="203.0.113.42")
    refused = sandbox.http.get(f"{api}/secure/{session_id}", headers={"X-Forwarded-For": "192.0.2.1"})
    assert refused.status_code == 403
    assert refused.json() == {"error": "IP mismatch", "message": "Request IP does not match session IP"}


def test_an_abandoned_checkout_expires_after_a_day(sandbox: SandboxHandle, api: str) -> None:
    session_id = checkout(sandbox, api)
    sandbox.advance(24 * 3600 - 1)
    assert sandbox.http.get(f"{api}/payment/{session_id}").json()["status"] is None  # still open
    sandbox.advance(1)
    assert sandbox.http.get(f"{api}/payment/{session_id}").json()["status"] == "expired"


def test_our_order_ids_must_be_unique(sandbox: SandboxHandle, api: str) -> None:
    checkout(sandbox, api)
    again = sandbox.http.post(
        f"{api}/session",
        json={
            "amount": 100,
            "currency": "EUR",
            "customer": "c",
            "order_id": "order_1001",
            "items": [{"name": "x", "quantity": 1, "price": 100}],
        },
    )
    assert again.status_code == 400
    assert again.json() == {"order_id": ["The order id has already been taken."]}


@pytest.mark.sandbox(scenario={"providers": {"payviox": {"rate_limits": {"per_customer": 2}}}})
def test_we_back_off_when_rate_limited(sandbox: SandboxHandle, api: str) -> None:
    for n in range(2):
        checkout(sandbox, api, order_id=f"order_{n}")
    limited = sandbox.http.post(
        f"{api}/session",
        json={
            "amount": 100,
            "currency": "EUR",
            "customer": "jane@example.com",
            "order_id": "order_9",
            "items": [{"name": "x", "quantity": 1, "price": 100}],
        },
    )
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) == limited.json()["retry_after"]
