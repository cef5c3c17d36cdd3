"""The app answers on every mount."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/_sandbox/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_unknown_root_path_says_where_providers_live(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert "/payviox" in response.json()["message"]


def test_live_server_answers(live_url: str) -> None:
    assert httpx.get(f"{live_url}/_sandbox/health").json() == {"status": "ok"}
