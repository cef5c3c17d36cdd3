"""HTTP hygiene: every 405 says what is allowed, a plain OPTIONS answers with `Allow`, an id no
route takes (an encoded newline) gets its provider's own 404, and the control API's flush and
redeliver attempt a delivery now whatever its backoff, marking the attempt forced."""

from __future__ import annotations

import httpx
import pytest

from sandbox.registry import PROVIDERS
from tests.support.payviox_calls import SECRET, create
from tests.support.receiver import Receiver

pytestmark = pytest.mark.anyio


def _methods(response: httpx.Response) -> set[str]:
    return {method.strip() for method in response.headers["allow"].split(",")}


async def test_every_provider_405_lists_the_methods_of_its_path(client: httpx.AsyncClient) -> None:
    checked = 0
    for name, provider in PROVIDERS.items():
        by_path: dict[str, set[str]] = {}
        for op in provider.operations:
            by_path.setdefault(op.path.replace("{", "x").replace("}", ""), set()).add(op.method)
        for path, methods in by_path.items():
            if "PATCH" in methods:
                continue
            answer = await client.patch(f"/{name}{path}", json={})
            assert answer.status_code == 405, (name, path, answer.text)
            assert _methods(answer) >= methods, (name, path, answer.headers["allow"])
            checked += 1
    assert checked > 10


async def test_control_405s_list_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    answer = await client.delete("/_sandbox/scenario")  # two routes: GET and PUT
    assert answer.status_code == 405
    assert _methods(answer) >= {"GET", "PUT"} and answer.json()["error"] == "method_not_allowed"
    answer = await client.patch("/_sandbox/inbox/x")
    assert answer.status_code == 405 and _methods(answer) >= {"GET", "POST", "PUT"}


async def test_a_plain_options_answers_allow_and_a_preflight_the_cors_headers(client: httpx.AsyncClient) -> None:
    for path in ["/cdp/platform/v2/payment-sessions", "/payviox/session", "/_sandbox/scenario"]:
        plain = await client.options(path)
        assert plain.status_code == 204, (path, plain.text)
        assert "OPTIONS" in _methods(plain) and len(_methods(plain)) > 1
        assert plain.headers["vary"] == "Origin"
        preflight = await client.options(
            path, headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
        )
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"
        assert "POST" in preflight.headers["access-control-allow-methods"]
    missing = await client.options("/payviox/no/such/path")
    assert missing.status_code == 404 and missing.json() != {"error": "not_found"}


async def test_an_encoded_newline_in_an_id_gets_the_providers_own_404(client: httpx.AsyncClient) -> None:
    session = await create(client)
    for path, headers in [
        (f"/payviox/payment/{session}%0A", SECRET),
        ("/payviox/payment/a%0Ab/x", SECRET),
        ("/cubepay/payment-sessions/x%0Ay", {"Authorization": "Bearer cubepay_test_acme"}),
        ("/cdp/platform/v2/payment-sessions/%0A", {}),
    ]:
        answer = await client.get(path, headers=headers)
        provider = path.split("/")[1]
        plain = await client.get(f"/{provider}/no-such-route", headers=headers)
        assert answer.status_code in (401, 404), (path, answer.text)
        assert "providers live under" not in answer.text, path  # not the app's generic 404
        assert set(answer.json()) == set(plain.json()) or answer.status_code == 401, (path, answer.text)


async def _failing_delivery(client: httpx.AsyncClient, url: str) -> str:
    session = await create(client)
    put = await client.put("/_sandbox/webhooks/endpoints/payviox/acme", json={"url": url, "secret": "s"})
    assert put.status_code == 200
    assert (await client.post(f"/_sandbox/payviox/sessions/{session}/actions/pay", json={})).status_code == 200
    await client.post("/_sandbox/webhooks/flush")
    deliveries = (await client.get("/_sandbox/webhooks")).json()["deliveries"]
    [pending] = [each for each in deliveries if each["state"] == "pending"]
    assert len(pending["attempts"]) == 1 and pending["next_attempt_at"] is not None  # waiting out its backoff
    return str(pending["id"])


async def test_flush_attempts_a_delivery_in_backoff_now_and_marks_it_forced(
    client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    hooks.status = 500
    delivery = await _failing_delivery(client, url)
    hooks.status = 200
    flushed = (await client.post("/_sandbox/webhooks/flush")).json()
    assert delivery in flushed["attempted"]
    [shown] = [each for each in (await client.get("/_sandbox/webhooks")).json()["deliveries"] if each["id"] == delivery]
    assert shown["state"] == "delivered" and len(shown["attempts"]) == 2
    assert shown["attempts"][1]["forced"] is True and "forced" not in shown["attempts"][0]


async def test_redeliver_goes_now_even_behind_a_delivery_in_backoff(
    client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    hooks.status = 500
    delivery = await _failing_delivery(client, url)
    hooks.status = 200
    copy = (await client.post(f"/_sandbox/webhooks/{delivery}/redeliver")).json()
    assert copy["state"] == "delivered" and copy["attempts"][0]["forced"] is True
