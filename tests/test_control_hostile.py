"""Hostile input at the control API (`/_sandbox`): never a 500, and a body over 1 MiB gets 413.

The provider routes have their own fuzz (test_bad_input.py); these are the sandbox's own routes,
taken from the route table so a new one is covered the day it is added, plus the inputs that
once broke something further on: instants and durations past what a datetime holds, scenarios
nested past the recursion limit, and wrong types in the payer's actions.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.routing import Route

from sandbox import control
from tests.support.apps import client_for, make_app
from tests.support.control import PREFIX, Control
from tests.test_bad_input import BODIES

pytestmark = pytest.mark.anyio

SECRET = {"Authorization": "Bearer sk_test_acme"}


async def create(client: httpx.AsyncClient, **changes: Any) -> str:
    body = {
        "amount": 100,
        "currency": "USD",
        "customer": "c",
        "order_id": f"o{changes.pop('n', 1)}",
        "items": [{"name": "x", "quantity": 1, "price": 100}],
        **changes,
    }
    response = await client.post("/payviox/session", json=body, headers=SECRET)
    assert response.status_code == 201, response.text
    return str(response.json()["session_id"])


PARAMS = {
    "provider": "payviox",
    "merchant": "acme",
    "delivery_id": "nope",
    "name": "box",
    "action": "pay",
    "id": "nope",
}
ROUTES = [
    (method, route.path)
    for route in control.ROUTES
    if isinstance(route, Route) and not route.path.startswith("/ui")  # the dashboard's pages: tests/test_dashboard.py
    for method in sorted(route.methods or ())
    if method != "HEAD"
]
READS_A_BODY = {
    ("POST", "/clock/advance"),
    ("POST", "/clock/set"),
    ("PUT", "/scenario"),
    ("PUT", "/webhooks/endpoints/{provider}/{merchant}"),
    ("PUT", "/inbox/{name}"),
    ("POST", "/inbox/{name}"),
    ("POST", "/{provider}/sessions/{session_id}/actions/{action}"),
    ("POST", "/narration"),
}


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{method} {path}" for method, path in ROUTES])
async def test_bad_bodies_at_every_control_route_never_get_a_500(method: str, path: str) -> None:
    async with client_for(make_app()) as client:
        session_id = await create(client)
        url = PREFIX + path.format(**PARAMS, session_id=session_id)
        for label, raw in BODIES:
            response = await client.request(method, url, content=raw, headers={"content-type": "application/json"})
            assert response.status_code < 500, (label, response.text[:300])
            if label == "too large" and (method, path) in READS_A_BODY:
                assert response.status_code == 413, response.text[:300]
            if (method, path) != ("GET", "/snapshot"):  # the one binary answer: the state file
                assert isinstance(response.json(), dict)


async def test_the_clock_refuses_durations_and_instants_past_what_it_can_hold(
    client: httpx.AsyncClient, control: Control
) -> None:
    for raw in [b'{"seconds": 1e400}', b'{"seconds": 99999999999999999999}', b'{"seconds": 3200000000}']:
        response = await client.post("/_sandbox/clock/advance", content=raw)
        assert (response.status_code, response.json()["error"]) == (400, "invalid_request"), raw
    for instant in ["9999-12-31T23:59:59Z", "9000-01-01T00:00:01Z"]:
        response = await control.raw.set_clock(instant)
        assert response.status_code == 400
        assert "the sandbox clock stops at 9000-01-01T00:00:00.000Z" in response.json()["message"]
    assert (await control.clock())["now"] == "2026-01-01T00:00:00.000Z"
    await control.set_clock("8999-12-31T00:00:00Z")  # answers 200
    await create(client, n=2)  # its 24 h deadline still fits in a datetime


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("steps: " + "[" * 5000 + "]" * 5000, "<PUT /_sandbox/scenario>:1: the scenario is nested too deeply"),
        ('{"steps": ' + "[" * 100_000 + "]" * 100_000 + "}", "the scenario is nested too deeply"),
        ("seed: " + "9" * 5000, "<PUT /_sandbox/scenario>:1: Exceeds the limit (4300 digits)"),
        ("clock: {start: '9999-12-31T00:00:00Z'}", ":1: clock.start: the sandbox clock stops at 9000-01-01"),
        ("providers: {payviox: {session_ttl_seconds: 100000000000000}}", "session_ttl_seconds: Input should be less"),
        ("steps: [{advance: 1e300}]", "steps.0.advance: Input should be less than or equal to 3153600000"),
    ],
)
async def test_scenarios_a_datetime_or_the_parser_cannot_hold_are_400(
    control: Control, text: str, problem: str
) -> None:
    response = await control.raw.load_scenario(text)
    assert response.status_code == 400, response.text[:300]
    assert any(problem in line for line in response.json()["problems"]), response.json()["problems"]
    assert (await control.scenario())["scenario"]["name"] == "unnamed"  # nothing loaded


async def test_a_scenario_start_without_a_zone_is_utc(control: Control) -> None:
    await control.load_scenario("clock: {start: '2026-03-01T12:00:00', manual: true}")
    assert (await control.clock())["now"] == "2026-03-01T12:00:00.000Z"


async def test_a_scenario_over_one_mebibyte_is_413(control: Control) -> None:
    response = await control.raw.load_scenario("description: " + "x" * (1024 * 1024))
    assert (response.status_code, response.json()["error"]) == (413, "payload_too_large")


async def test_a_journal_limit_of_zero_lists_nothing(client: httpx.AsyncClient, control: Control) -> None:
    await create(client)
    assert (await control.raw.requests(limit=0)).json() == {"requests": []}
    assert len(await control.requests(limit=1)) == 1


async def test_a_tenant_must_be_ascii_so_its_keys_are_valid(client: httpx.AsyncClient, control: Control) -> None:
    assert (await control.raw.providers("café")).status_code == 400
    listed = await control.providers("cafe_1")
    keys = next(provider["credentials"] for provider in listed if provider["name"] == "payviox")
    balance = await client.get("/payviox/balance", headers={"Authorization": f"Bearer {keys['secret_key']}"})
    assert balance.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"payment_method": {"id": "pm_card"}}, "payment_method"),
        ({"payment_method": ["pm_card"]}, "payment_method"),
        ({"payment_method": 5}, "payment_method"),
        ({"ip": 5}, "ip"),
        ({"ip": ["203.0.113.1"]}, "ip"),
        ({"user_agent": {"a": 1}}, "user_agent"),
        ({"country": 5}, "country"),
        ({"outcome": ["succeeded"]}, "outcome"),
        ({"decision": {"a": 1}}, "decision"),
    ],
)
async def test_payviox_actions_refuse_wrong_types_with_a_400(
    client: httpx.AsyncClient, control: Control, body: dict[str, object], field: str
) -> None:
    session_id = await create(client, ip="203.0.113.1")
    action = "review" if field == "decision" else "pay"
    if action == "review":
        await control.act("payviox", session_id, "pay", outcome="pending_review", ip="203.0.113.1")
    response = await control.act("payviox", session_id, action, **body)
    assert response.status_code == 400, response.text
    assert field in response.json(), response.json()
    details = await client.get(f"/payviox/payment/{session_id}", headers=SECRET)
    assert details.json()["status"] == (None if action == "pay" else "pending_review")  # nothing happened
