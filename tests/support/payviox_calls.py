"""Payviox requests the Payviox tests share: keys, a valid body, create-and-return-id."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx

SECRET = {"Authorization": "Bearer sk_test_acme"}
PUBLIC = {"Authorization": "Bearer pk_test_acme"}
OTHER_SECRET = {"Authorization": "Bearer sk_test_globex"}


def order(**changes: Any) -> dict[str, Any]:
    """The seed page's example request, with changes."""
    body: dict[str, Any] = {
        "amount": 10000,
        "currency": "USD",
        "customer": "customer_abc123",
        "order_id": "order_12345",
        "description": "Premium subscription",
        "metadata": {"user_id": "usr_123", "plan": "premium"},
        "items": [{"name": "Premium Plan", "quantity": 1, "price": 10000}],
    }
    body.update(changes)
    return body


async def create(client: httpx.AsyncClient, headers: dict[str, str] = SECRET, **changes: Any) -> str:
    response = await client.post("/payviox/session", json=order(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["session_id"])


async def details(client: httpx.AsyncClient, session_id: str, headers: dict[str, str] = SECRET) -> dict[str, Any]:
    response = await client.get(f"/payviox/payment/{session_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def verify_signature(raw_body: str, signature: str, webhook_token: str) -> bool:
    """The docs' Python verification of a webhook (webhooks/integration), unchanged."""
    computed = hmac.new(webhook_token.encode(), raw_body.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(computed, signature)
