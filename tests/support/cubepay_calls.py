"""CubePay requests the CubePay tests share: keys, create, read, a funded session (actions: `Control.act`)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.control import Control

API_KEY = {"Authorization": "Bearer cubepay_test_acme"}
OTHER_KEY = {"Authorization": "Bearer cubepay_test_globex"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create(
    client: httpx.AsyncClient, headers: dict[str, str] = API_KEY, prefix: str = "", **changes: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"amount": "50.00", "currency": "USD", **changes}
    response = await client.post(f"/cubepay{prefix}/payment-sessions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def read(client: httpx.AsyncClient, session_id: str, headers: dict[str, str] = API_KEY) -> dict[str, Any]:
    response = await client.get(f"/cubepay/payment-sessions/{session_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def funded(client: httpx.AsyncClient, amount: str = "50.00", **fund: Any) -> str:
    """A session funded through the control API; returns its id."""
    session_id = str((await create(client, amount=amount))["paymentSessionId"])
    response = await Control(client).act("cubepay", session_id, "fund", **fund)
    assert response.status_code == 200, response.text
    return session_id


async def capture(
    client: httpx.AsyncClient, session_id: str, amount: str, final: bool = False, request_id: str = "cap-1"
) -> httpx.Response:
    body = {"requestId": request_id, "captureAmount": amount, "isFinalCapture": final}
    return await client.post(f"/cubepay/api/v1/payment-sessions/{session_id}/captures", json=body, headers=API_KEY)
