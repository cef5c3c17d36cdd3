"""Fixtures: sessions that exist when a scenario loads, built through the real pipeline."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from tests.support.apps import client_for, make_app
from tests.support.control import Control

pytestmark = pytest.mark.anyio

SECRET = {"Authorization": "Bearer sk_test_acme"}
CDP = {"Authorization": "Bearer " + jwt.encode({"sub": "acme-key", "iss": "cdp"}, "k" * 32, algorithm="HS256")}
ORDER = {
    "amount": 10000,
    "currency": "USD",
    "customer": "c1",
    "order_id": "fixture-order",
    "items": [{"name": "Plan", "quantity": 1, "price": 10000}],
}


def payviox(name: str, *then: dict[str, Any], **changes: Any) -> dict[str, Any]:
    create = {"operation": "create_session", "headers": SECRET, "body": {**ORDER, "order_id": name, **changes}}
    return {"name": name, "provider": "payviox", "create": create, "then": list(then)}


async def view(client: httpx.AsyncClient, provider: str, session_id: str) -> dict[str, Any]:
    return await Control(client).session(provider, session_id)


async def test_an_expired_fixture_expired_before_the_scenario_began() -> None:
    app = make_app(fixtures=[payviox("stale", {"advance": 86400})])
    async with client_for(app) as client:
        control = Control(client)
        fixtures = (await control.scenario())["fixtures"]
        session = await view(client, "payviox", fixtures["stale"]["session_id"])
        assert session["status"] == "expired"
        assert session["created_at"] == "2025-12-31T00:00:00.000000Z"  # a day before clock.start
        assert (await control.clock())["now"] == "2026-01-01T00:00:00.000Z"
        assert [(step["from"], step["to"]) for step in session["history"]] == [("open", "expired")]


async def test_a_paid_then_refunded_fixture_has_consistent_money_and_history() -> None:
    app = make_app(
        fixtures=[payviox("paid", {"action": "pay", "body": {"outcome": "succeeded"}}, {"action": "refund"})]
    )
    async with client_for(app) as client:
        control = Control(client)
        session_id = (await control.scenario())["fixtures"]["paid"]["session_id"]
        details = (await client.get(f"/payviox/payment/{session_id}", headers=SECRET)).json()
        assert details["status"] == "succeeded"  # GPD's status list has no "refunded" (wire.api_status)
        assert (await view(client, "payviox", session_id))["sandbox"]["state"] == "refunded"
        assert details["fees"] == 320  # $0.30 + 2.9% of $100, as a real payment with stripe_credit
        balance = (await client.get("/payviox/balance", headers=SECRET)).json()["balance"]
        assert balance == details["net_amount"] - details["amount"]
        history = (await view(client, "payviox", session_id))["history"]
        assert [step["action"] for step in history] == ["pay_succeeded", "refund"]


async def test_fixture_calls_use_variables_and_show_in_the_journal() -> None:
    read = {
        "call": {"operation": "get_payment_details", "params": {"session_id": "${seen.session_id}"}, "headers": SECRET}
    }
    app = make_app(fixtures=[payviox("seen", read)])
    async with client_for(app) as client:
        control = Control(client)
        journal = await control.requests()
    assert [(entry["operation"], entry["status"], entry["notes"]) for entry in journal] == [
        ("create_session", 201, ["fixture seen"]),
        ("get_payment_details", 200, ["fixture seen"]),
    ]


async def test_fixtures_spend_no_rate_limits_and_no_fault_touches_them() -> None:
    limits = {"payviox": {"rate_limits": {"per_customer": 1}}}
    down = {
        "match": {"provider": "payviox", "operation": "create_session"},
        "when": {"nth": 2},
        "act": {"error": "unavailable"},
    }
    app = make_app(providers=limits, faults=[down], fixtures=[payviox("one")])
    async with client_for(app) as client:
        control = Control(client)
        first = await client.post("/payviox/session", json={**ORDER, "order_id": "live-1"}, headers=SECRET)
        assert first.status_code == 201  # the fixture's creation for customer c1 did not count
        second = await client.post(
            "/payviox/session", json={**ORDER, "order_id": "live-2", "customer": "c2"}, headers=SECRET
        )
        assert second.status_code == 503  # nth: 2 counts live calls only
        assert (await control.scenario())["faults"][0]["matched"] == 2


async def test_a_cdp_fixture_captured_with_a_partial_refund() -> None:
    """The same machinery drives another provider by its own operation and action names."""
    sid = {"session_id": "${sold.paymentSessionId}"}
    fixture = {
        "name": "sold",
        "provider": "cdp",
        "create": {
            "operation": "create_payment_session",
            "headers": CDP,
            "body": {"amount": "1.00", "asset": "usdc", "target": {"address": "0x" + "ab" * 20, "network": "base"}},
        },
        "then": [
            {"action": "authorize"},
            {
                "call": {
                    "operation": "capture_payment_session",
                    "params": sid,
                    "headers": CDP,
                    "body": {"finalCapture": True},
                }
            },
            {"call": {"operation": "get_payment_session", "params": sid, "headers": CDP}},
            {
                "call": {
                    "operation": "refund_payment_session",
                    "params": sid,
                    "headers": CDP,
                    "body": {"source": {"address": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"}, "amount": "0.40"},
                }
            },
        ],
    }
    async with client_for(make_app(fixtures=[fixture])) as client:
        control = Control(client)
        session_id = (await control.scenario())["fixtures"]["sold"]["paymentSessionId"]
        session = (await client.get(f"/cdp/platform/v2/payment-sessions/{session_id}", headers=CDP)).json()
    assert session["status"] == "refund_succeeded"
    assert [capture["status"] for capture in session["captures"]] == ["succeeded"]
    assert [refund["amount"] for refund in session["refunds"]] == ["0.40"]
