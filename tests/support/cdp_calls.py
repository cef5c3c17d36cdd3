"""CDP requests the CDP tests share: tokens, a valid body, create / read helpers (actions: `Control.act`)."""

from __future__ import annotations

from typing import Any

import httpx
import jwt

from tests.support.control import Control

BASE = "/cdp/platform/v2/payment-sessions"
WALLET = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"  # the spec's example target
ACCOUNT = "account_af2937b0-9846-4fe7-bfe9-ccc22d935114"


def token(sub: str = "acme-key") -> dict[str, str]:
    """Default mode takes any JWT that parses; its `sub` names the tenant."""
    signed = jwt.encode({"sub": sub, "iss": "cdp"}, "default-mode-does-not-check-this-signature-key", algorithm="HS256")
    return {"Authorization": f"Bearer {signed}"}


ACME = token("acme-key")
GLOBEX = token("globex-key")


def session_body(**changes: Any) -> dict[str, Any]:
    """The seed page's example request, with changes."""
    body: dict[str, Any] = {
        "amount": "1.00",
        "asset": "usdc",
        "target": {"address": WALLET, "network": "base"},
        "autoCapture": False,
        "externalReferenceId": "merchant-order-abc123",
    }
    body.update(changes)
    return body


async def create(client: httpx.AsyncClient, headers: dict[str, str] = ACME, **changes: Any) -> dict[str, Any]:
    response = await client.post(BASE, json=session_body(**changes), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def get(client: httpx.AsyncClient, session_id: str, headers: dict[str, str] = ACME) -> dict[str, Any]:
    response = await client.get(f"{BASE}/{session_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def authorized(client: httpx.AsyncClient, headers: dict[str, str] = ACME, **changes: Any) -> dict[str, Any]:
    """A session whose authorization has succeeded (settled by the read that returns it)."""
    created = await create(client, headers, **changes)
    assert (await Control(client).act("cdp", created["paymentSessionId"], "authorize")).status_code == 200
    return await get(client, created["paymentSessionId"], headers)


async def post(
    client: httpx.AsyncClient, session_id: str, what: str, body: Any = None, headers: dict[str, str] = ACME
) -> httpx.Response:
    return await client.post(f"{BASE}/{session_id}/{what}", json=body, headers=headers)


def error_of(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"errorType", "errorMessage", "correlationId", "errorLink"}, body
    return response.status_code, body["errorType"]
