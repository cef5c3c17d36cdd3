"""The control plane: reset, clock, journal, events, session inspection; and determinism."""

from __future__ import annotations

import httpx
import pytest

from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.payviox_calls import SECRET, order

pytestmark = pytest.mark.anyio


async def _script(client: httpx.AsyncClient) -> list[bytes]:
    """A fixed sequence of calls; returns every response body."""
    bodies = []
    for n in range(3):
        created = await client.post("/payviox/session", json=order(order_id=f"A-{n}"), headers=SECRET)
        bodies.append(created.content)
        session_id = created.json()["session_id"]
        paid = await Control(client).act("payviox", session_id, "pay", outcome="succeeded")
        bodies.append(paid.content)
        bodies.append((await client.get(f"/payviox/payment/{session_id}", headers=SECRET)).content)
    return bodies


async def test_same_seed_and_requests_give_byte_identical_responses() -> None:
    async with client_for(make_app(seed=42)) as first, client_for(make_app(seed=42)) as second:
        assert await _script(first) == await _script(second)
    async with client_for(make_app(seed=43)) as other, client_for(make_app(seed=42)) as again:
        assert await _script(other) != await _script(again)


async def test_reset_wipes_state_and_replays_the_seed(client: httpx.AsyncClient, control: Control) -> None:
    first = await _script(client)
    await control.advance(60)
    reset = await control.reset()  # answers 200
    assert reset["seed"] == 7
    assert reset["clock"]["now"] == "2026-01-01T00:00:00.000Z"
    assert (await control.raw.sessions("payviox")).json() == {"sessions": []}
    assert (await control.raw.requests()).json() == {"requests": []}
    assert await _script(client) == first


async def test_clock_get_advance_set(control: Control) -> None:
    assert (await control.clock()) == {"now": "2026-01-01T00:00:00.000Z", "manual": True}
    advanced = await control.advance(1.5)
    assert advanced["now"] == "2026-01-01T00:00:01.500Z"
    moved = await control.set_clock("2026-02-01T12:00:00Z")
    assert moved["now"] == "2026-02-01T12:00:00.000Z"
    assert (await control.clock())["now"] == "2026-02-01T12:00:00.000Z"


async def test_running_clock_moves_with_wall_time_and_can_be_advanced() -> None:
    async with client_for(make_app(manual=False, start="2030-06-01T00:00:00Z")) as client:
        control = Control(client)
        clock = await control.clock()
        assert clock["manual"] is False and clock["now"].startswith("2030-06-01T00:00")
        advanced = await control.advance(86400)
        assert advanced["now"].startswith("2030-06-02T00:00")


async def test_journal_masks_credentials_and_filters(client: httpx.AsyncClient, control: Control) -> None:
    await client.post("/payviox/session", json=order(), headers={"Authorization": "Bearer sk_test_supersecretkey"})
    await control.health()
    entries = await control.requests(provider="payviox")
    assert len(entries) == 1
    entry = entries[0]
    assert entry["request"]["headers"]["authorization"] == "Bearer sk_test_…tkey"
    assert "sk_test_supersecretkey" not in str(entry)
    assert (entry["operation"], entry["status"], entry["merchant"]) == ("create_session", 201, "supersecretkey")
    assert entry["request"]["body"]["order_id"] == "order_12345"
    assert entry["client_ip"] == "198.51.100.10"


async def test_journal_is_capped() -> None:
    app = make_app()
    app.state.sandbox.settings.journal_cap = 5
    app.state.sandbox.reset()
    async with client_for(app) as client:
        control = Control(client)
        for _ in range(8):
            await client.get("/payviox/balance", headers=SECRET)
        entries = await control.requests()
        assert [entry["id"] for entry in entries] == [4, 5, 6, 7, 8]


async def test_session_inspection_shows_state_and_history(client: httpx.AsyncClient, control: Control) -> None:
    session_id = (await client.post("/payviox/session", json=order(), headers=SECRET)).json()["session_id"]
    await control.act("payviox", session_id, "pay", outcome="pending_review")
    body = await control.session("payviox", session_id)
    assert body["status"] == "pending_review"
    assert body["sandbox"]["allowed_actions"] == [{"action": "review", "params": {"decision": ["approve", "decline"]}}]
    assert body["history"] == [
        {"action": "pay_pending_review", "from": "open", "to": "pending_review", "at": "2026-01-01T00:00:00.000Z"}
    ]
    listed = await control.sessions("payviox")
    assert [item["session_id"] for item in listed] == [session_id]
    missing = await control.raw.session("payviox", "nope")
    assert missing.status_code == 404


async def test_events_record_every_transition(client: httpx.AsyncClient, control: Control) -> None:
    session_id = (await client.post("/payviox/session", json=order(), headers=SECRET)).json()["session_id"]
    await control.act("payviox", session_id, "pay")
    await control.act("payviox", session_id, "refund")
    events = await control.events()
    assert [(event["action"], event["to"]) for event in events] == [
        ("pay_succeeded", "succeeded"),
        ("refund", "refunded"),
    ]


async def test_scenario_is_shown(control: Control) -> None:
    body = await control.scenario()
    assert body["seed"] == 7
    assert body["scenario"]["providers"]["payviox"]["rate_limits"] == {
        "per_ip": 100,
        "per_customer": 20,
        "window_seconds": 60,
    }


async def test_the_control_api_stops_and_restarts_a_running_clock() -> None:
    async with client_for(make_app(manual=False, start="2030-06-01T00:00:00Z")) as client:
        control = Control(client)
        stopped = await control.set_clock(manual=True)
        assert stopped["manual"] is True and stopped["now"].startswith("2030-06-01T00:00")
        assert (await control.clock()) == {"now": stopped["now"], "manual": True}
        assert (await control.clock())["now"] == stopped["now"]  # time stands still
        advanced = await control.advance(60)
        assert advanced["now"] == stopped["now"].replace("T00:00:", "T00:01:")
        resumed = await control.set_clock(manual=False)
        assert resumed["manual"] is False and resumed["now"] >= advanced["now"]  # runs on from where it stood
        both = await control.set_clock("2030-07-01T00:00:00Z", manual=True)
        assert (both["now"], both["manual"]) == ("2030-07-01T00:00:00.000Z", True)
        for bad in [{}, {"manual": "yes"}, {"manual": 1}, {"now": None, "manual": None}]:
            refused = await control.raw.send("POST", "/clock/set", json=bad)
            assert (refused.status_code, refused.json()["error"]) == (400, "invalid_request"), bad
        assert (await control.reset())["clock"]["manual"] is False  # the scenario's mode again
