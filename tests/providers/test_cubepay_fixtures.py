"""CubePay sessions as scenario fixtures: built through the real operations, actions and clock."""

from __future__ import annotations

import pytest

from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.cubepay_calls import API_KEY, read

pytestmark = pytest.mark.anyio


async def test_a_funded_and_captured_fixture_exists_when_the_scenario_loads() -> None:
    create = {"operation": "create_payment_session", "headers": API_KEY, "body": {"amount": "80", "currency": "USD"}}
    capture = {
        "operation": "create_capture",
        "params": {"session_id": "${paid.paymentSessionId}"},
        "headers": API_KEY,
        "body": {"requestId": "fixture", "captureAmount": "60.00", "isFinalCapture": True},
    }
    fixture = {"name": "paid", "provider": "cubepay", "create": create,
               "then": [{"action": "fund"}, {"call": capture}, {"advance": 1}]}  # fmt: skip
    async with client_for(make_app(fixtures=[fixture])) as client:
        control = Control(client)
        session_id = (await control.scenario())["fixtures"]["paid"]["paymentSessionId"]
        session = await read(client, session_id)
        assert (session["status"], session["capturedAmount"], session["refundedAmount"]) == (
            "SUCCEEDED", "60.00", "20.00")  # fmt: skip
        assert session["createdAt"] == "2025-12-31T23:59:59Z"  # the fixture happened before clock.start


async def test_an_unfunded_fixture_left_past_its_ttl_is_canceled() -> None:
    create = {"operation": "create_payment_session", "headers": API_KEY, "body": {"amount": "5", "currency": "USD"}}
    fixture = {"name": "stale", "provider": "cubepay", "create": create, "then": [{"advance": 3600}]}
    async with client_for(make_app(fixtures=[fixture])) as client:
        control = Control(client)
        session_id = (await control.scenario())["fixtures"]["stale"]["paymentSessionId"]
        assert (await read(client, session_id))["status"] == "CANCELED"
