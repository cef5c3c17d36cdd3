"""CDP balances and statuses under any sequence of actions, and the scenario's failing outcomes.

The walk drives sessions through seeded random sequences of captures, voids and refunds (over,
under and exact amounts), settled by the clock or by the control API with either outcome, and
after every step reads the session back and checks the identities the spec states: balances
never negative nor above the amount, `refundable = captured − refunded`, `captured` and
`refunded` the sums of the succeeded actions, and `status` the latest action's event.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.support.apps import client_for, make_app
from tests.support.cdp_calls import create, get, post
from tests.support.control import Control

pytestmark = pytest.mark.anyio

REFUND_TO = {"address": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"}
ZERO = Decimal(0)


def _amounts(session: dict[str, Any]) -> dict[str, Decimal]:
    return {name: Decimal(value) for name, value in session["balances"].items()}


def _succeeded(session: dict[str, Any], plural: str) -> Decimal:
    return sum((Decimal(a["amount"]) for a in session.get(plural, []) if a["status"] == "succeeded"), ZERO)


def check_invariants(session: dict[str, Any]) -> None:
    total = Decimal(session["amount"])
    b = _amounts(session)
    assert all(value >= 0 for value in b.values()), b
    assert b["refundable"] == b["captured"] - b["refunded"], b
    assert b["capturable"] + b["captured"] <= total, b
    assert b["refunded"] <= b["captured"] <= total, b
    assert b["captured"] == _succeeded(session, "captures")
    assert b["refunded"] == _succeeded(session, "refunds")
    kinds = {"authorizations": "authorization", "captures": "capture", "voids": "void", "refunds": "refund"}
    actions = [(a["createdAt"], kind, a["status"]) for plural, kind in kinds.items() for a in session.get(plural, [])]
    if actions:  # actions never overlap, so the newest one made the latest event
        _, kind, status = max(actions)
        assert session["status"] == f"{kind}_{status}"
    if any(a["status"] == "succeeded" for a in session.get("authorizations", [])):
        assert b["capturable"] + b["captured"] + _succeeded(session, "voids") <= total
    released = [a for a in session.get("captures", []) if a["status"] == "succeeded" and a["finalCapture"]]
    if released or _succeeded(session, "voids"):  # a final capture or a void gives back all the rest
        assert b["capturable"] == 0, b


async def _step(client: httpx.AsyncClient, rng: random.Random, session: dict[str, Any]) -> None:
    control = Control(client)
    session_id = session["paymentSessionId"]
    b = _amounts(session)
    cents = Decimal("0.01")
    [choice] = rng.choices(["capture", "void", "refund", "settle", "wait"], weights=[8, 1, 6, 3, 2])
    if choice == "capture":
        body: dict[str, Any] = {"finalCapture": rng.random() < 0.1}
        if rng.random() < 0.8:
            body["amount"] = str(max(cents, (b["capturable"] * Decimal(rng.uniform(0.1, 1.1))).quantize(cents)))
        await post(client, session_id, "captures", body)
    elif choice == "void":
        await post(client, session_id, "voids", {})
    elif choice == "refund":
        body = {"source": REFUND_TO}
        if rng.random() < 0.8:
            body["amount"] = str(max(cents, (b["refundable"] * Decimal(rng.uniform(0.1, 1.1))).quantize(cents)))
        await post(client, session_id, "refunds", body)
    elif choice == "settle":
        await control.act("cdp", session_id, "settle", outcome=rng.choice(["succeeded", "failed"]))
    await control.advance(rng.choice([1, 3]))


@pytest.mark.parametrize("seed", range(10))
async def test_balances_stay_consistent_whatever_the_sequence(seed: int) -> None:
    rng = random.Random(seed)
    app = make_app(providers={"cdp": {"settlement": {"delay_seconds": 2}}})
    async with client_for(app) as client:
        control = Control(client)
        created = await create(client, amount="10.00", autoCapture=rng.random() < 0.2)
        session_id = created["paymentSessionId"]
        check_invariants(created)
        await control.act("cdp", session_id, "authorize", outcome="succeeded" if rng.random() < 0.9 else "failed")
        for _ in range(60):
            session = await get(client, session_id)
            check_invariants(session)
            await _step(client, rng, session)
        check_invariants(await get(client, session_id))


async def test_auto_capture_starts_nothing_after_a_failed_authorization(
    client: httpx.AsyncClient, control: Control
) -> None:
    session_id = (await create(client, autoCapture=True))["paymentSessionId"]
    await control.act("cdp", session_id, "authorize", outcome="failed")
    session = await get(client, session_id)
    assert session["status"] == "authorization_failed" and "captures" not in session


@pytest.mark.parametrize(
    ("kind", "plural", "body", "code"),
    [
        ("capture", "captures", {"amount": "0.40", "finalCapture": False}, "capture_failed"),
        ("void", "voids", {}, "void_failed"),
        ("refund", "refunds", {"source": REFUND_TO}, "refund_failed"),
    ],
)
async def test_the_scenario_sets_each_actions_outcome(kind: str, plural: str, body: dict[str, Any], code: str) -> None:
    app = make_app(providers={"cdp": {"settlement": {kind: "failed"}}})
    async with client_for(app) as client:
        control = Control(client)
        session_id = (await create(client, autoCapture=kind == "refund"))["paymentSessionId"]
        await control.act("cdp", session_id, "authorize")
        before = (await get(client, session_id))["balances"]
        assert (await post(client, session_id, plural, body)).status_code == 200
        session = await get(client, session_id)
        assert session["status"] == f"{kind}_failed"
        assert session[plural][-1]["error"]["code"] == code
        assert session["balances"] == before  # a failed action moves no money


async def test_a_failed_capture_can_be_tried_again() -> None:
    async with client_for(make_app(providers={"cdp": {"settlement": {"delay_seconds": 60}}})) as client:
        control = Control(client)
        session_id = (await create(client))["paymentSessionId"]
        await control.act("cdp", session_id, "authorize", outcome="succeeded")
        await control.act("cdp", session_id, "settle")
        await post(client, session_id, "captures", {"finalCapture": True})
        assert (await control.act("cdp", session_id, "settle", outcome="failed")).json()["status"] == "capture_failed"
        retried = await post(client, session_id, "captures", {"finalCapture": True})
        assert retried.status_code == 200 and retried.json()["amount"] == "1.00"
        await control.advance(60)
        session = await get(client, session_id)
        assert (session["status"], session["balances"]["captured"]) == ("capture_succeeded", "1.00")
